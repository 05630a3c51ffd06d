/// The human rendering of a plan, for `fusion plan`.
extension MemoryPlan {
    /// A table of models (role, context, sequences, weights, KV, total) followed by the schedule,
    /// the judge's and synthesizer's residency, the decode concurrency, and the budget. Seats are
    /// numbered from 1 for people; JSON traces keep 0-based indices.
    ///
    /// ```
    /// model                      role      ctx  seqs   weights        KV     total
    /// qwen2.5-coder-0.5b         seat 1   4096     1   519 MiB    48 MiB   644 MiB
    /// ...
    /// schedule: 2 waves — wave 1: seats 1, 3 (1.3 GiB); wave 2: seat 2 (644 MiB)
    /// ```
    public var text: String {
        var rows: [[String]] = [["model", "role", "ctx", "seqs", "weights", "KV", "total"]]
        func row(_ seat: PlanningSeat, _ role: String) -> [String] {
            let e = seat.estimate
            return [seat.label, role, String(e.contextSize), String(e.sequences), ByteFormat.string(e.weightBytes),
                    ByteFormat.string(e.kvCacheBytes), ByteFormat.string(e.totalBytes)]
        }
        for (index, seat) in seats.enumerated() { rows.append(row(seat, "seat \(index + 1)")) }
        if let judge { rows.append(row(judge, "judge")) }
        if let synthesizer { rows.append(row(synthesizer, "synth")) }
        var lines = Self.table(rows, rightAligned: 2...6)
        lines.append("")
        lines.append("schedule: " + scheduleText)
        lines.append("judge: " + judgeText)
        if synthesizerResidency != .none { lines.append("synthesizer: " + synthesizerText) }
        lines.append("decode: " + concurrencyText)
        let detail = budget.detail.isEmpty ? budget.source.rawValue : budget.detail
        lines.append("memory: peak \(ByteFormat.string(peakBytes)) of budget \(ByteFormat.string(budget.bytes)) "
                     + "(\(detail)); all models at once would need \(ByteFormat.string(totalBytes))")
        return lines.joined(separator: "\n")
    }

    private var scheduleText: String {
        let waveList = waves.indices.map { index -> String in
            let members = waves[index].map { String($0 + 1) }.joined(separator: ", ")
            let noun = waves[index].count == 1 ? "seat" : "seats"
            return "wave \(index + 1): \(noun) \(members) (\(ByteFormat.string(bytes(ofWave: index))))"
        }.joined(separator: "; ")
        switch schedule {
        case .allAtOnce:
            return "all at once (\(ByteFormat.string(bytes(ofWave: 0))))"
        case .oneAtATime:
            return "one at a time — " + waveList
        case .waves:
            return "\(waves.count) waves — " + waveList
        }
    }

    private var judgeText: String {
        switch judgeResidency {
        case .none: return "none"
        case .resident: return "stays resident during the panel"
        case .afterPanel: return "loads after the panel's models are released (memory is tight)"
        }
    }

    private var synthesizerText: String {
        switch synthesizerResidency {
        case .none: return "none"
        case .sharesJudgeModel: return "shares the judge's model"
        case .alongsideJudge: return "loads next to the judge after the panel"
        case .afterJudge: return "loads after the judge is released"
        }
    }

    private var concurrencyText: String {
        let c = concurrency
        let threads = "\(c.threadsPerSeat) thread\(c.threadsPerSeat == 1 ? "" : "s")"
        switch c.mode {
        case .sequential: return "sequential, one seat at a time with \(threads) (\(c.cores) cores)"
        case .parallel: return "parallel, \(c.seatsAtOnce) seats at once with \(threads) each (\(c.cores) cores)"
        case .groups: return "groups of \(c.seatsAtOnce) seats with \(threads) each (\(c.cores) cores)"
        }
    }

    /// Pads columns to their widest cell; columns in `rightAligned` are right-aligned.
    static func table(_ rows: [[String]], rightAligned: ClosedRange<Int>) -> [String] {
        let widths = rows[0].indices.map { column in rows.map { $0[column].count }.max() ?? 0 }
        return rows.map { cells in
            cells.indices.map { column -> String in
                let padding = String(repeating: " ", count: widths[column] - cells[column].count)
                return rightAligned.contains(column) ? padding + cells[column] : cells[column] + padding
            }.joined(separator: "  ").trimmingTrailingSpaces()
        }
    }
}

private extension String {
    func trimmingTrailingSpaces() -> String {
        var text = self
        while text.last == " " { text.removeLast() }
        return text
    }
}
