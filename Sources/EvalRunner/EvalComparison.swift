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
        /// Items right only under B, and only under A.
        public var onlyB: Int
        public var onlyA: Int
        /// Items whose response text differs.
        public var changedOutputs: Int
        public var parseFailuresA: Int
        public var parseFailuresB: Int
        /// Mean recorded compute per item, seconds.
        public var secondsA: Double
        public var secondsB: Double
    }

    /// What each side is: its file and the condition it holds.
    public let labelA: String
    public let labelB: String
    /// All shared items first, then one row per task in report order.
    public let rows: [Row]
    /// Items only one side holds (left out of every row).
    public let onlyInA: Int
    public let onlyInB: Int

    /// - Parameters:
    ///   - tasks: compare only these tasks' items (nil: all).
    ///   - includeHeldout: keep held-out lines (`--final-check` only), as in the report.
    public init(a: [EvalResultRecord], b: [EvalResultRecord], labelA: String, labelB: String, tasks: Set<String>? = nil,
                includeHeldout: Bool = false, resamples: Int = 2000,
                seed: UInt64 = EvalStatistics.defaultBootstrapSeed) throws(EvalReportError) {
        let sideA = try Self.side(a, label: labelA, tasks: tasks, includeHeldout: includeHeldout)
        let sideB = try Self.side(b, label: labelB, tasks: tasks, includeHeldout: includeHeldout)
        let shared = sideA.keys.filter { sideB[$0] != nil }
        guard !shared.isEmpty else {
            throw .empty("\(labelA) and \(labelB) share no item: nothing to compare")
        }
        self.labelA = labelA + " (" + sideA.values.first!.condition + ")"
        self.labelB = labelB + " (" + sideB.values.first!.condition + ")"
        onlyInA = sideA.count - shared.count
        onlyInB = sideB.count - shared.count
        // Tasks in the report's order, unknown ones after it.
        let present = Set(shared.map { sideA[$0]!.task })
        let ordered = EvalItemSet.taskNames.filter(present.contains) + present.subtracting(EvalItemSet.taskNames).sorted()
        var rows: [Row] = []
        for task in [nil] + ordered.map(Optional.some) {
            let ids = shared.filter { task == nil || sideA[$0]!.task == task }.sorted()
            rows.append(Self.row(task: task, pairs: ids.map { (sideA[$0]!, sideB[$0]!) }, resamples: resamples, seed: seed))
        }
        self.rows = rows
    }

    /// One side's lines by item id; a later line for an id replaces an earlier one, as in the report.
    private static func side(_ records: [EvalResultRecord], label: String, tasks: Set<String>?,
                             includeHeldout: Bool) throws(EvalReportError) -> [String: EvalResultRecord] {
        let ofTasks = records.filter { tasks?.contains($0.task) ?? true }
        let kept = ofTasks.filter { includeHeldout || $0.split == .dev }
        guard !kept.isEmpty else {
            if ofTasks.isEmpty {
                throw .empty("\(label) holds no result lines" + (tasks.map { " of " + $0.sorted().joined(separator: ", ") } ?? ""))
            }
            throw .empty("\(label) holds only held-out results; they are not compared without --final-check")
        }
        let conditions = Set(kept.map(\.condition))
        guard conditions.count == 1 else {
            throw .empty("\(label) holds \(conditions.count) conditions (\(conditions.sorted().joined(separator: ", "))); "
                         + "compare one condition's file")
        }
        return Dictionary(kept.map { ($0.id, $0) }, uniquingKeysWith: { _, last in last })
    }

    private static func row(task: String?, pairs: [(EvalResultRecord, EvalResultRecord)], resamples: Int, seed: UInt64) -> Row {
        let rightA = pairs.map(\.0.correct), rightB = pairs.map(\.1.correct)
        let n = Double(max(1, pairs.count))
        return Row(task: task, items: pairs.count,
                   a: EvalStatistics.accuracy(rightA), b: EvalStatistics.accuracy(rightB),
                   delta: EvalStatistics.pairedBootstrap(condition: rightB, baseline: rightA, resamples: resamples, seed: seed),
                   onlyB: pairs.filter { $0.1.correct && !$0.0.correct }.count,
                   onlyA: pairs.filter { $0.0.correct && !$0.1.correct }.count,
                   changedOutputs: pairs.filter { $0.0.raw != $0.1.raw }.count,
                   parseFailuresA: pairs.filter(\.0.parseFailed).count,
                   parseFailuresB: pairs.filter(\.1.parseFailed).count,
                   secondsA: pairs.map(\.0.seconds).reduce(0, +) / n,
                   secondsB: pairs.map(\.1.seconds).reduce(0, +) / n)
    }

    /// The comparison as Markdown: which file is which, then one table.
    public func markdown() -> String {
        var out = ["A: \(labelA)", "B: \(labelB)", ""]
        let left = [onlyInA > 0 ? "\(onlyInA) only in A" : nil, onlyInB > 0 ? "\(onlyInB) only in B" : nil].compactMap { $0 }
        out.append("On the \(rows[0].items) items both hold" + (left.isEmpty ? "." : " (left out: " + left.joined(separator: ", ") + ")."))
        out.append("B − A is a paired bootstrap over items (\(rows[0].delta.resamples) resamples); bold when its interval excludes zero.")
        out += ["", "| task | items | A | B | B − A, pts [95 % CI] | right only in B / only in A | outputs changed | parse failures A / B | s/item A / B |",
                "|---|---:|---|---|---|---|---:|---|---|"]
        for row in rows {
            let seconds = String(format: "%.1f / %.1f", row.secondsA, row.secondsB)
            out.append("| \(row.task ?? "all") | \(row.items) | \(EvalReport.percent(row.a.value)) % | \(EvalReport.percent(row.b.value)) % | "
                       + "\(EvalReport.markedInterval(row.delta)) | \(row.onlyB) / \(row.onlyA) | \(row.changedOutputs) | "
                       + "\(row.parseFailuresA) / \(row.parseFailuresB) | \(seconds) |")
        }
        return out.joined(separator: "\n") + "\n"
    }
}
