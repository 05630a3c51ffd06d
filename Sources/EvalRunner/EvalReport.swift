import Eval
import Foundation

/// The numbers of `docs/EVAL.md`, computed from a results directory.
///
/// Baseline: every combining condition (vote, ceiling, fusion, self) is compared with its *best
/// member* — the solo condition of one of its member models with the highest accuracy on the same
/// items; per task the best member is chosen per task (the strictest baseline), overall on all
/// items. Deltas are paired (same items) with a bootstrap interval from a fixed seed, so the
/// report is identical for identical results.
public struct EvalReport: Sendable {
    /// One condition's lines, in item order.
    public struct Condition: Sendable {
        public var name: String
        public var kind: EvalConditionKind
        public var memberModels: [String]
        public var records: [EvalResultRecord]
        /// The condition this one is another draw of (see `drawGroups()`).
        public var drawOf: String?
        /// Picked on the first N dev items per task (see `choiceChecks()`).
        public var chosenOnFirst: Int? = nil
    }

    /// One row of an accuracy table.
    public struct Row: Sendable {
        public var condition: String
        public var kind: EvalConditionKind
        public var accuracy: Proportion
        public var parseFailures: Proportion
        /// Items whose model call failed.
        public var errors: Int
        /// For combining conditions: the best member's condition name, its accuracy on the same
        /// items, the paired delta and the rescues/regressions against it.
        public var bestMember: String?
        public var bestMemberAccuracy: Proportion?
        public var delta: PairedDelta?
        public var counts: PairedCounts?
    }

    /// Time and tokens per item of one condition (recorded compute cost, cached or not).
    public struct Cost: Sendable {
        public var condition: String
        public var items: Int
        public var secondsPerItem: Double
        /// The median, robust to a few items slowed down by other processes on the machine.
        public var medianSecondsPerItem: Double
        public var promptTokensPerItem: Double
        public var completionTokensPerItem: Double
        public var totalSeconds: Double
    }

    /// The answer-letter histogram of a condition on a letter task.
    public struct LetterCheck: Sendable {
        public var condition: String
        public var task: String
        public var histogram: LetterHistogram
        /// The gold letters' histogram on the same items, for comparison.
        public var gold: LetterHistogram
        /// True when one letter takes at least `LetterCheck.warningShare` of the answers.
        public var warn: Bool
        public static let warningShare = 0.5
        public static let minimumAnswers = 10
    }

    public let conditions: [Condition]
    /// Tasks present, in `EvalItemSet.taskNames` order.
    public let tasks: [String]
    /// Held-out lines left out (never reported unless asked for with a final check).
    public let excludedHeldout: Int
    public let resamples: Int
    public let seed: UInt64
    /// Rows per scope ("" for all tasks), computed once: each combining row holds a bootstrap.
    private var rowsByScope: [String: [Row]] = [:]

    /// - Parameter includeHeldout: keep held-out lines (`fusion eval --report --final-check` only).
    public init(records: [String: [EvalResultRecord]], includeHeldout: Bool = false, resamples: Int = 2000,
                seed: UInt64 = EvalStatistics.defaultBootstrapSeed) throws {
        var excluded = 0
        var conditions: [Condition] = []
        for (name, lines) in records {
            let kept = lines.filter { includeHeldout || $0.split == .dev }
            excluded += lines.count - kept.count
            guard let first = kept.first else { continue }
            // One line per item: a later line for the same id replaces an earlier one.
            var byID: [String: EvalResultRecord] = [:]
            var order: [String] = []
            for line in kept {
                if byID[line.id] == nil { order.append(line.id) }
                byID[line.id] = line
            }
            conditions.append(Condition(name: name, kind: first.kind, memberModels: first.memberModels,
                                        records: order.map { byID[$0]! }, drawOf: first.drawOf,
                                        chosenOnFirst: kept.lazy.compactMap(\.chosenOnFirst).first))
        }
        guard !conditions.isEmpty else {
            throw EvalReportError.empty(excluded > 0 ? "only held-out results (\(excluded) lines); they are not reported without --final-check"
                                                     : "no result lines")
        }
        self.conditions = conditions.sorted {
            (EvalRunner.order($0.kind, 0), $0.name) < (EvalRunner.order($1.kind, 0), $1.name)
        }
        tasks = EvalItemSet.reportOrder(Set(conditions.flatMap { $0.records.map(\.task) }))
        excludedHeldout = excluded
        self.resamples = resamples
        self.seed = seed
        for scope in [nil] + tasks.map(Optional.some) { rowsByScope[scope ?? ""] = computeRows(task: scope) }
    }

    public func condition(named name: String) -> Condition? { conditions.first { $0.name == name } }

    static func correctness(_ records: [EvalResultRecord], task: String?) -> [String: Bool] {
        Dictionary(records.filter { task == nil || $0.task == task }.map { ($0.id, $0.correct) },
                   uniquingKeysWith: { _, last in last })
    }

    /// The solo conditions that can serve as `condition`'s best member, in member order. A redrawn
    /// solo counts by its first draw only: the luckier of two seeds is not a fair baseline.
    public func memberCandidates(of condition: Condition) -> [Condition] {
        let solos = conditions.filter { !$0.kind.combines && $0.drawOf == nil }
        let members = condition.memberModels.flatMap { model in solos.filter { $0.memberModels.first == model } }
        return members.isEmpty ? solos : members
    }

    /// The best member of `condition` on `task` (nil: all tasks), by accuracy on the items both have.
    public func bestMember(of condition: Condition, task: String?) -> Condition? {
        let mine = Self.correctness(condition.records, task: task)
        var best: (Condition, Double)?
        for candidate in memberCandidates(of: condition) {
            let theirs = Self.correctness(candidate.records, task: task)
            let shared = mine.keys.filter { theirs[$0] != nil }
            guard !shared.isEmpty else { continue }
            let accuracy = Double(shared.filter { theirs[$0]! }.count) / Double(shared.count)
            if best == nil || accuracy > best!.1 { best = (candidate, accuracy) }
        }
        return best?.0
    }

    /// The accuracy table for one task, or for all tasks when `task` is nil.
    public func rows(task: String?) -> [Row] {
        rowsByScope[task ?? ""] ?? []
    }

    private func computeRows(task: String?) -> [Row] {
        conditions.compactMap { condition in
            let records = condition.records.filter { task == nil || $0.task == task }
            guard !records.isEmpty else { return nil }
            var row = Row(condition: condition.name, kind: condition.kind,
                          accuracy: EvalStatistics.accuracy(records.map(\.correct)),
                          parseFailures: EvalStatistics.wilson(successes: records.filter(\.parseFailed).count,
                                                               total: records.count),
                          errors: records.filter { $0.error != nil }.count)
            if condition.kind.combines, let best = bestMember(of: condition, task: task) {
                let mine = Self.correctness(condition.records, task: task)
                let theirs = Self.correctness(best.records, task: task)
                let shared = mine.keys.filter { theirs[$0] != nil }
                row.bestMember = best.name
                row.bestMemberAccuracy = EvalStatistics.wilson(successes: shared.filter { theirs[$0]! }.count, total: shared.count)
                row.delta = EvalStatistics.pairedBootstrap(condition: mine, baseline: theirs, resamples: resamples, seed: seed)
                row.counts = EvalStatistics.rescuesAndRegressions(condition: mine, baseline: theirs)
            }
            return row
        }
    }

    /// Time and tokens per item, per condition.
    public func costs() -> [Cost] {
        conditions.map { c in
            let n = Double(max(1, c.records.count))
            let seconds = c.records.reduce(0) { $0 + $1.seconds }
            let sorted = c.records.map(\.seconds).sorted()
            let median = sorted.isEmpty ? 0 : sorted.count % 2 == 1 ? sorted[sorted.count / 2]
                : (sorted[sorted.count / 2 - 1] + sorted[sorted.count / 2]) / 2
            return Cost(condition: c.name, items: c.records.count, secondsPerItem: seconds / n, medianSecondsPerItem: median,
                        promptTokensPerItem: Double(c.records.reduce(0) { $0 + $1.promptTokens }) / n,
                        completionTokensPerItem: Double(c.records.reduce(0) { $0 + $1.completionTokens }) / n,
                        totalSeconds: seconds)
        }
    }

    /// Letter histograms of every condition on every letter task.
    public func letterChecks() -> [LetterCheck] {
        var checks: [LetterCheck] = []
        for task in tasks {
            for c in conditions {
                let records = c.records.filter { $0.task == task && $0.answerType == .letter }
                guard !records.isEmpty else { continue }
                let histogram = EvalStatistics.letterHistogram(records.map { $0.extracted.map(ExtractedAnswer.answer) ?? .parseFailure })
                let gold = EvalStatistics.letterHistogram(records.map { .answer($0.gold) })
                let warn = histogram.answered >= LetterCheck.minimumAnswers
                    && (histogram.dominant?.share ?? 0) >= LetterCheck.warningShare
                checks.append(LetterCheck(condition: c.name, task: task, histogram: histogram, gold: gold, warn: warn))
            }
        }
        return checks
    }

    /// One comparison of a vote or fusion with its best member, in one scope.
    public struct Verdict: Sendable {
        public enum Outcome: String, Sendable {
            /// The 95 % interval of the delta is above zero.
            case beats
            /// Positive but within noise.
            case notMeasurably = "not measurably better"
            /// Zero or negative, interval includes zero.
            case doesNotBeat = "does not beat"
            /// The interval is below zero.
            case worse
        }
        public var condition: String
        public var kind: EvalConditionKind
        /// nil: all tasks.
        public var task: String?
        public var bestMember: String
        public var delta: PairedDelta
        /// Summed over the draws when `draws` > 1.
        public var rescues: Int
        public var regressions: Int
        public var outcome: Outcome
        /// Draws pooled into `delta` (1: a condition with no other draws in the results).
        public var draws: Int = 1
        /// For pooled draws: the items the largest draw answered, when more than `delta.items`
        /// (a partial draw limits the pooled delta to the items all draws share).
        public var largestDrawItems: Int = 0

        /// The name as the report prints it: "self-x (2 draws pooled on the 20 of 200 items they share)".
        public var label: String {
            draws > 1 ? EvalReport.pooledLabel(condition, draws: draws, shared: delta.items, largest: largestDrawItems) : condition
        }
    }

    /// For every vote, fusion and self-fusion (ceilings are bounds, not methods), overall and per
    /// task: whether it beats its best member. A condition with other draws in the results gets one
    /// verdict for all of them, named by its first draw, from the pooled delta.
    public func verdicts() -> [Verdict] {
        var verdicts: [Verdict] = []
        let groups = drawGroups()
        func outcome(_ delta: PairedDelta) -> Verdict.Outcome {
            delta.low > 0 ? .beats : delta.high < 0 ? .worse : delta.delta > 0 ? .notMeasurably : .doesNotBeat
        }
        for scope in [nil] + tasks.map(Optional.some) {
            var pooledDone: Set<String> = []
            for row in rows(task: scope) where row.kind.combines && row.kind != .ceiling {
                // Draws sharing no item in this scope fall through to one verdict each.
                if let group = groups.first(where: { $0.draws.contains(row.condition) }), let p = pooledDraws(group, task: scope) {
                    guard pooledDone.insert(group.base).inserted else { continue }
                    verdicts.append(Verdict(condition: p.name, kind: row.kind, task: scope, bestMember: p.bestMember,
                                            delta: p.pooled, rescues: p.perDraw.reduce(0) { $0 + $1.rescues },
                                            regressions: p.perDraw.reduce(0) { $0 + $1.regressions },
                                            outcome: outcome(p.pooled), draws: p.perDraw.count,
                                            largestDrawItems: p.largestDrawItems))
                    continue
                }
                guard let delta = row.delta, let best = row.bestMember else { continue }
                verdicts.append(Verdict(condition: row.condition, kind: row.kind, task: scope, bestMember: best, delta: delta,
                                        rescues: row.counts?.rescues.count ?? 0,
                                        regressions: row.counts?.regressions.count ?? 0, outcome: outcome(delta)))
            }
        }
        return verdicts
    }

    /// Plain sentences, one per condition: where it does not beat its best member, and where it does.
    public func verdictSentences() -> (notBetter: [String], better: [String]) {
        let all = verdicts()
        var notBetter: [String] = [], better: [String] = []
        var names: [String] = []
        for v in all where !names.contains(v.condition) { names.append(v.condition) }
        func place(_ v: Verdict) -> String { v.task ?? "all tasks" }
        func numbers(_ v: Verdict) -> String {
            "\(Self.points(v.delta.delta)) pts [\(Self.points(v.delta.low)), \(Self.points(v.delta.high))]"
        }
        for name in names {
            let mine = all.filter { $0.condition == name }
            let losing = mine.filter { $0.outcome != .beats }
            let winning = mine.filter { $0.outcome == .beats }
            // Name the best member once when it is the same everywhere.
            func sentence(_ list: [Verdict], _ lead: String) -> String {
                let members = Set(list.map(\.bestMember))
                let parts = list.map { v in
                    "\(place(v)) (\(v.outcome == .worse ? "**worse**, " : v.outcome == .notMeasurably ? "within noise, " : "")"
                        + numbers(v) + (members.count > 1 ? " vs \(v.bestMember)" : "") + ")"
                }
                let member = members.count == 1 ? " (\(members.first!))" : ""
                let draws = list[0].label.dropFirst(name.count)
                return "**\(name)**\(draws) \(lead)\(member) on " + parts.joined(separator: "; ") + "."
            }
            if !losing.isEmpty { notBetter.append(sentence(losing, "does not beat its best member")) }
            if !winning.isEmpty { better.append(sentence(winning, "beats its best member")) }
        }
        return (notBetter, better)
    }

    // MARK: - Formatting

    /// "+4.4" / "-38.0" (points, one decimal).
    static func points(_ fraction: Double) -> String {
        let tenths = Int((fraction * 1000).rounded())
        return (tenths < 0 ? "−" : "+") + "\(abs(tenths) / 10).\(abs(tenths) % 10)"
    }

    /// "53.3" (percent, one decimal).
    static func percent(_ fraction: Double) -> String {
        let tenths = Int((fraction * 1000).rounded())
        return "\(tenths / 10).\(tenths % 10)"
    }

    /// "+1.5 [+0.2, +2.8]": a paired delta and its 95 % interval, in points.
    static func interval(_ d: PairedDelta) -> String {
        "\(points(d.delta)) [\(points(d.low)), \(points(d.high))]"
    }

    /// `interval(_:)`, bold when the interval excludes zero (a measured difference).
    static func markedInterval(_ d: PairedDelta) -> String {
        d.isSignificant ? "**\(interval(d))**" : interval(d)
    }

    static func accuracyCell(_ p: Proportion) -> String {
        "\(percent(p.value)) [\(percent(p.low)), \(percent(p.high))]"
    }
}
