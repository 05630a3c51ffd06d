import Eval
import Foundation

/// A condition picked by its results (`chosen_on_first` in its config), checked on the items the
/// pick did not see.
///
/// Why: picking the best of several methods by their results on some items flatters the winner on
/// exactly those items: part of its lead there is luck, and the luck was chosen for. Its delta on
/// the later items, which played no part in the pick, is the number to trust. Items are told apart
/// by their task index (`task_index` in the results: the rule `--limit` selects by; positions have
/// gaps), so the split does not depend on which items happen to be in the results. Held-out items
/// (a final check) are all later items.
extension EvalReport {
    /// One picked condition against its best member, on the items the pick saw and on the rest.
    public struct ChoiceCheck: Sendable {
        /// The paired comparison on one part of the items.
        public struct Part: Sendable {
            public var delta: PairedDelta
            public var counts: PairedCounts
        }
        public var condition: String
        /// The pick saw the first `chosenOnFirst` dev items of each task.
        public var chosenOnFirst: Int
        /// The best member over all items (the overall table's baseline, so the parts add up to its delta).
        public var bestMember: String
        /// On the items the pick saw; nil when none of them are in the results.
        public var seen: Part?
        /// On the later items; nil when the condition was not run past the items it was picked on.
        public var later: Part?
        /// Items without a task index (results written before it was recorded): in neither part.
        public var unplaced: Int
    }

    /// Every vote or fusion condition with `chosen_on_first`, in condition order, over all tasks.
    public func choiceChecks() -> [ChoiceCheck] {
        conditions.compactMap { condition -> ChoiceCheck? in
            guard let first = condition.chosenOnFirst, condition.kind.combines, condition.kind != .ceiling,
                  let best = bestMember(of: condition, task: nil) else { return nil }
            let theirs = Self.correctness(best.records, task: nil)
            func part(_ records: [EvalResultRecord]) -> ChoiceCheck.Part? {
                let mine = Self.correctness(records, task: nil)
                let delta = EvalStatistics.pairedBootstrap(condition: mine, baseline: theirs, resamples: resamples, seed: seed)
                guard delta.items > 0 else { return nil }
                return ChoiceCheck.Part(delta: delta, counts: EvalStatistics.rescuesAndRegressions(condition: mine, baseline: theirs))
            }
            let placed = condition.records.filter { $0.taskIndex != nil }
            let seen = placed.filter { $0.split == .dev && $0.taskIndex! < first }
            let later = placed.filter { $0.split == .heldout || $0.taskIndex! >= first }
            return ChoiceCheck(condition: condition.name, chosenOnFirst: first, bestMember: best.name, seen: part(seen),
                               later: part(later), unplaced: condition.records.count - placed.count)
        }
    }

    /// The "After the choice" section (empty when no condition says it was picked on results).
    func choiceMarkdown() -> [String] {
        let checks = choiceChecks()
        guard !checks.isEmpty else { return [] }
        var out = ["### After the choice", "",
                   "Conditions picked by their results on the first N dev items of each task (`chosen_on_first` in "
                   + "their config; e.g. the default preset), against the best member of the overall table, all tasks. "
                   + "A pick flatters the winner on the items it was made on, so the delta on the later items, which "
                   + "played no part in it, is the one to trust.", "",
                   "| condition | picked on | vs | items the pick saw: n, Δ pts [95 % CI], rescues / regressions | "
                   + "later items: n, Δ pts [95 % CI], rescues / regressions |",
                   "|---|---|---|---|---|"]
        func cell(_ part: ChoiceCheck.Part?, missing: String) -> String {
            guard let part else { return missing }
            return "\(part.delta.items), \(Self.markedInterval(part.delta)), "
                + "\(part.counts.rescues.count) / \(part.counts.regressions.count)"
        }
        for check in checks {
            out.append("| \(check.condition) | first \(check.chosenOnFirst) per task | \(check.bestMember) | "
                       + "\(cell(check.seen, missing: "none in the results")) | "
                       + "\(cell(check.later, missing: "not run past the items it was picked on")) |")
        }
        for check in checks where check.unplaced > 0 {
            out.append("")
            out.append("\(check.condition): \(check.unplaced) result lines have no `task_index` (written before it was "
                       + "recorded) and are in neither part; rerun the condition (its calls are cached) to place them.")
        }
        out.append("")
        return out
    }
}
