import Eval
import Foundation

/// Repeated draws: a sampled condition run again with another seed (`draw_of` in its config).
///
/// Why pool: with sampled members one draw is one roll of the dice. On our dev items two draws of
/// the same self-fusion were 7 points apart, one "beating" its best member and one not; a verdict
/// read off one draw reports the seed, not the method. The pooled delta averages each item over the
/// draws before the paired bootstrap resamples items: its interval is for the delta expected over
/// seeds (how far one more draw may land from it is the spread, shown beside it).
extension EvalReport {
    /// A condition and the conditions that redraw it, as present in the results.
    public struct DrawGroup: Sendable, Equatable {
        /// The first draw (the condition the others name in `draw_of`).
        public var base: String
        /// Every draw present, the base first (when present), then the others by name.
        public var draws: [String]
    }

    /// One draw's numbers on the items every draw and the best member share.
    public struct DrawResult: Sendable {
        public var condition: String
        public var accuracy: Double
        /// Accuracy minus the best member's, as a fraction.
        public var delta: Double
        public var rescues: Int
        public var regressions: Int
    }

    /// A draw group's pooled comparison with its best member, in one scope.
    public struct PooledDraws: Sendable {
        public var group: DrawGroup
        /// nil: all tasks.
        public var task: String?
        public var bestMember: String
        public var bestMemberAccuracy: Double
        public var perDraw: [DrawResult]
        /// Mean over draws minus the best member, with a paired bootstrap over items.
        public var pooled: PairedDelta
        /// Items on which the draws do not all agree on correctness.
        public var disagreements: Int
        /// Items of the draw with the most in this scope: more than `pooled.items` when a draw is
        /// partial, and the pooled numbers are then only about the shared items.
        public var largestDrawItems: Int
        /// Highest minus lowest draw accuracy.
        public var spread: Double { (perDraw.map(\.accuracy).max() ?? 0) - (perDraw.map(\.accuracy).min() ?? 0) }
        /// The first draw present: the group's name in the report (the base, unless its results are missing).
        public var name: String { group.draws[0] }
    }

    /// Groups with at least two draws present, in condition order. A result line's `draw_of` is
    /// only trusted when kind and member models match the group's first draw (results written by
    /// an older config could otherwise pool two different methods).
    public func drawGroups() -> [DrawGroup] {
        var groups: [DrawGroup] = []
        for condition in conditions {
            let base = condition.drawOf ?? condition.name
            if groups.contains(where: { $0.base == base }) { continue }
            let candidates = conditions.filter { ($0.drawOf ?? $0.name) == base }
            let reference = candidates.first { $0.name == base } ?? candidates[0]
            let members = candidates.filter { $0.kind == reference.kind && $0.memberModels == reference.memberModels }.map(\.name)
            guard members.count >= 2 else { continue }
            // Numeric order, so that -draw10 follows -draw9.
            let others = members.filter { $0 != base }.sorted { $0.compare($1, options: .numeric) == .orderedAscending }
            groups.append(DrawGroup(base: base, draws: members.filter { $0 == base } + others))
        }
        return groups
    }

    /// The pooled comparison of `group` with the best member of its first draw, on the items every
    /// draw and that member answered (nil when there are none or no member to compare with).
    public func pooledDraws(_ group: DrawGroup, task: String?) -> PooledDraws? {
        let draws = group.draws.compactMap(condition(named:))
        guard let first = draws.first, let best = bestMember(of: first, task: task) else { return nil }
        let baseline = Self.correctness(best.records, task: task)
        let perDraw = draws.map { Self.correctness($0.records, task: task) }
        let pooled = Self.pooledScores(perDraw)
        let ids = baseline.keys.filter { pooled[$0] != nil }.sorted()
        guard !ids.isEmpty else { return nil }
        let n = Double(ids.count)
        let baseAccuracy = Double(ids.filter { baseline[$0]! }.count) / n
        let shared = Set(ids)
        let results = zip(draws, perDraw).map { condition, correct in
            let counts = EvalStatistics.rescuesAndRegressions(condition: correct.filter { shared.contains($0.key) },
                                                             baseline: baseline)
            let right = ids.filter { correct[$0]! }.count
            return DrawResult(condition: condition.name, accuracy: Double(right) / n, delta: Double(counts.net) / n,
                              rescues: counts.rescues.count, regressions: counts.regressions.count)
        }
        let differences = ids.map { pooled[$0]! - (baseline[$0]! ? 1 : 0) }
        let disagreements = ids.filter { id in Set(perDraw.map { $0[id]! }).count > 1 }.count
        return PooledDraws(group: group, task: task, bestMember: best.name, bestMemberAccuracy: baseAccuracy,
                           perDraw: results,
                           pooled: EvalStatistics.pairedBootstrap(differences: differences, resamples: resamples, seed: seed),
                           disagreements: disagreements, largestDrawItems: perDraw.map(\.count).max() ?? 0)
    }

    /// Each item's correctness averaged over the draws, on the items every draw answered: the
    /// per-item score the pooled delta and the head-to-head comparisons resample.
    static func pooledScores(_ perDraw: [[String: Bool]]) -> [String: Double] {
        guard let first = perDraw.first else { return [:] }
        let shared = perDraw.dropFirst().reduce(Set(first.keys)) { $0.intersection($1.keys) }
        return Dictionary(uniqueKeysWithValues: shared.map { id in
            (id, Double(perDraw.filter { $0[id]! }.count) / Double(perDraw.count))
        })
    }

    /// "self-x (2 draws pooled)", or "… pooled on the 20 of 200 items they share)" for a partial draw.
    static func pooledLabel(_ name: String, draws: Int, shared: Int, largest: Int) -> String {
        let partial = largest > shared ? " on the \(shared) of \(largest) items they share" : ""
        return "\(name) (\(draws) draws pooled\(partial))"
    }

    /// The "Repeated draws" section of the report (empty when no condition was drawn twice).
    func drawsMarkdown() -> [String] {
        let groups = drawGroups()
        guard !groups.isEmpty else { return [] }
        var out = ["### Repeated draws", "",
                   "Conditions run again with another seed (`draw_of`). Verdicts and the target above use the "
                   + "pooled delta: each item's correctness averaged over the draws, minus the best member's, with a "
                   + "paired bootstrap over items (all tasks here; per task in the verdicts): an interval for the delta "
                   + "expected over seeds. The spread is how far apart the draws landed, so how far one more draw may "
                   + "land from the pooled delta.", "",
                   "| condition | draws | n | accuracy per draw % | Δ per draw vs best member, pts | "
                   + "pooled Δ, pts [95 % CI] | spread, pts | items the draws disagree on |",
                   "|---|---:|---:|---|---|---|---:|---:|"]
        // Methods first, then the votes and ceilings that bound them; per-task pooled deltas are in the verdicts.
        let byKind = groups.sorted { a, b in
            func rank(_ g: DrawGroup) -> Int {
                switch condition(named: g.draws[0])?.kind {
                case .fusion?, .self?: return 0
                case .vote?: return 1
                default: return 2
                }
            }
            return (rank(a), a.base) < (rank(b), b.base)
        }
        for group in byKind {
            guard let p = pooledDraws(group, task: nil) else { continue }
            let accuracies = p.perDraw.map { Self.percent($0.accuracy) }.joined(separator: " / ")
            let deltas = p.perDraw.map { Self.points($0.delta) }.joined(separator: " / ")
            let name = p.name == group.base ? p.name : "\(p.name) (draws of \(group.base), which has no results)"
            let n = p.pooled.items < p.largestDrawItems ? "\(p.pooled.items) of \(p.largestDrawItems)" : "\(p.pooled.items)"
            out.append("| \(name) | \(p.perDraw.count) | \(n) | \(accuracies) | "
                       + "\(deltas) vs \(p.bestMember) (\(Self.percent(p.bestMemberAccuracy))) | "
                       + "\(Self.markedInterval(p.pooled)) | "
                       + "\(Self.percent(p.spread)) | \(p.disagreements) |")
        }
        out.append("")
        return out
    }
}
