import Eval
import Foundation

/// Two result files compared item by item: one condition before and after a prompt change, on
/// another build or machine, or two conditions against each other.
///
/// Why its own tool: the report holds one result file per condition, so "did this wording help?"
/// needs the old file beside the new one, paired on the items both answered, with the same paired
/// bootstrap the report uses. Without it those numbers come from ad-hoc scripts nobody can rerun.
public struct EvalComparison: Sendable {
    /// One scope: every shared item (`task == nil`) or one task's.
    public struct Row: Sendable {
        public var task: String?
        public var items: Int
        public var a: Proportion
        public var b: Proportion
        /// B − A, paired bootstrap over the items.
        public var delta: PairedDelta
        /// Items right only under B, and right only under A.
        public var rightOnlyB: Int
        public var rightOnlyA: Int
        /// Items whose response text differs.
        public var changedOutputs: Int
        public var parseFailuresA: Int
        public var parseFailuresB: Int
        /// Items a model call failed on (scored wrong): a crash on one side looks like a regression.
        public var failedA: Int
        public var failedB: Int
        /// Mean recorded compute per item, seconds.
        public var secondsA: Double
        public var secondsB: Double
    }

    /// What each side is: its file and the condition it holds.
    public let labelA: String
    public let labelB: String
    /// All shared items first, then one row per task in report order.
    public let rows: [Row]
    /// Items only one side holds, left out of every row.
    public let unpairedA: Int
    public let unpairedB: Int
    /// Held-out lines left out (both sides), as the report leaves them out without `--final-check`.
    public let heldoutLeftOut: Int

    /// - Parameters:
    ///   - a: the baseline's lines (the previous wording, the other condition).
    ///   - b: the lines compared with it; every delta is B − A.
    ///   - labelA: how to name A (its file); the condition it holds is added.
    ///   - tasks: compare only these tasks' items (nil: all).
    ///   - includeHeldout: keep held-out lines (`--final-check` only), as in the report.
    ///   - resamples: bootstrap resamples; the default and `seed` are the report's, so a comparison
    ///     of a condition with its best member gives the report's interval.
    public init(a: [EvalResultRecord], b: [EvalResultRecord], labelA: String, labelB: String, tasks: Set<String>? = nil,
                includeHeldout: Bool = false, resamples: Int = 2000,
                seed: UInt64 = EvalStatistics.defaultBootstrapSeed) throws(EvalReportError) {
        let sideA = try Self.side(a, label: labelA, tasks: tasks, includeHeldout: includeHeldout)
        let sideB = try Self.side(b, label: labelB, tasks: tasks, includeHeldout: includeHeldout)
        let shared = sideA.lines.keys.filter { sideB.lines[$0] != nil }
        guard !shared.isEmpty else {
            throw .notComparable("\(labelA) and \(labelB) share no item: nothing to compare")
        }
        self.labelA = labelA + " (" + sideA.condition + ")"
        self.labelB = labelB + " (" + sideB.condition + ")"
        unpairedA = sideA.lines.count - shared.count
        unpairedB = sideB.lines.count - shared.count
        heldoutLeftOut = sideA.heldoutLeftOut + sideB.heldoutLeftOut
        let ordered = EvalItemSet.reportOrder(Set(shared.map { sideA.lines[$0]!.task }))
        var rows: [Row] = []
        for task in [nil] + ordered.map(Optional.some) {
            // Sorted ids: the bootstrap then resamples exactly what the report's id-keyed one does.
            let ids = shared.filter { task == nil || sideA.lines[$0]!.task == task }.sorted()
            rows.append(Self.row(task: task, pairs: ids.map { (sideA.lines[$0]!, sideB.lines[$0]!) }, resamples: resamples, seed: seed))
        }
        self.rows = rows
    }

    /// One side's lines by item id (a later line for an id replaces an earlier one, as in the
    /// report), the one condition they hold, and how many held-out lines were left out.
    private static func side(_ records: [EvalResultRecord], label: String, tasks: Set<String>?, includeHeldout: Bool)
        throws(EvalReportError) -> (lines: [String: EvalResultRecord], condition: String, heldoutLeftOut: Int) {
        let ofTasks = records.filter { tasks?.contains($0.task) ?? true }
        let kept = ofTasks.filter { includeHeldout || $0.split == .dev }
        guard let first = kept.first else {
            if ofTasks.isEmpty {
                throw .empty("\(label) holds no result lines" + (tasks.map { " of " + $0.sorted().joined(separator: ", ") } ?? ""))
            }
            throw .empty("\(label) holds only held-out results; they are not compared without --final-check")
        }
        let conditions = Set(kept.map(\.condition))
        guard conditions.count == 1 else {
            throw .notComparable("\(label) holds \(conditions.count) conditions (\(conditions.sorted().joined(separator: ", "))); "
                                 + "compare one condition's file")
        }
        return (Dictionary(kept.map { ($0.id, $0) }, uniquingKeysWith: { _, last in last }), first.condition,
                ofTasks.count - kept.count)
    }

    /// The counts of one scope over its (A, B) pairs, in id order.
    private static func row(task: String?, pairs: [(EvalResultRecord, EvalResultRecord)], resamples: Int, seed: UInt64) -> Row {
        let rightA = pairs.map(\.0.correct), rightB = pairs.map(\.1.correct)
        let n = Double(max(1, pairs.count))
        return Row(task: task, items: pairs.count,
                   a: EvalStatistics.accuracy(rightA), b: EvalStatistics.accuracy(rightB),
                   delta: EvalStatistics.pairedBootstrap(condition: rightB, baseline: rightA, resamples: resamples, seed: seed),
                   rightOnlyB: pairs.filter { $0.1.correct && !$0.0.correct }.count,
                   rightOnlyA: pairs.filter { $0.0.correct && !$0.1.correct }.count,
                   changedOutputs: pairs.filter { $0.0.raw != $0.1.raw }.count,
                   parseFailuresA: pairs.filter(\.0.parseFailed).count,
                   parseFailuresB: pairs.filter(\.1.parseFailed).count,
                   failedA: pairs.filter { $0.0.error != nil }.count,
                   failedB: pairs.filter { $0.1.error != nil }.count,
                   secondsA: pairs.map(\.0.seconds).reduce(0, +) / n,
                   secondsB: pairs.map(\.1.seconds).reduce(0, +) / n)
    }

    /// The comparison as Markdown: which file is which, what was left out, then one table.
    public func markdown() -> String {
        var out = ["A: \(labelA)", "B: \(labelB)", ""]
        let left = [unpairedA > 0 ? "\(unpairedA) only in A" : nil, unpairedB > 0 ? "\(unpairedB) only in B" : nil,
                    heldoutLeftOut > 0 ? "\(heldoutLeftOut) held-out lines" : nil].compactMap { $0 }
        out.append("On the \(rows[0].items) items both hold" + (left.isEmpty ? "." : " (left out: " + left.joined(separator: ", ") + ")."))
        out.append("B − A is a paired bootstrap over items (\(rows[0].delta.resamples) resamples); bold when its interval excludes zero.")
        if rows[0].failedA + rows[0].failedB > 0 {
            out.append("A model call failed on \(rows[0].failedA) items of A and \(rows[0].failedB) of B (scored wrong; see their \"error\").")
        }
        out += ["", "| task | items | A | B | B − A, pts [95 % CI] | right only in B / only in A | outputs changed "
                + "| parse failures A / B | s/item A / B |",
                "|---|---:|---|---|---|---|---:|---|---|"]
        for row in rows {
            let seconds = String(format: "%.1f / %.1f", row.secondsA, row.secondsB)
            out.append("| \(row.task ?? "all") | \(row.items) | \(EvalReport.percent(row.a.value)) % | "
                       + "\(EvalReport.percent(row.b.value)) % | \(EvalReport.markedInterval(row.delta)) | "
                       + "\(row.rightOnlyB) / \(row.rightOnlyA) | \(row.changedOutputs) | "
                       + "\(row.parseFailuresA) / \(row.parseFailuresB) | \(seconds) |")
        }
        return out.joined(separator: "\n") + "\n"
    }
}
