import Fusion
import Llama
import Foundation

/// Live status on stderr: one line per seat (loading / prefill / tokens so far / done / failed),
/// then the judge and synthesizer stages. Redrawn in place on a terminal; on a pipe only state
/// changes are printed, so logs stay readable.
final class PanelStatusView {
    private let enabled: Bool
    private var lines: [Int: String] = [:]
    private var order: [Int] = []
    private var stageLine: String?
    private var drawnLines = 0

    init(enabled: Bool) { self.enabled = enabled }

    func handle(_ event: FusionEvent) {
        guard enabled else { return }
        switch event {
        case .planned(let plan):
            say("plan: \(plan.schedule.kind), \(plan.concurrency.seatsAtOnce) seat(s) decoding at once × \(plan.concurrency.threadsPerSeat) threads, budget \(ByteFormat.string(plan.budget.bytes))")
        case .seat(let index, let model, let state):
            update(index, "\(model): \(describe(state))", important: state.isMilestone)
        case .seatFailed(let failure):
            update(failure.seat, "\(failure.model): failed (\(failure.reason.rawValue)) \(failure.message)", important: true)
        case .stage(let stage, let model):
            stageLine = "\(stage.rawValue): \(model)…"
            redraw(important: true, line: stageLine!)
        default:
            break
        }
    }

    /// Erases the live lines before the answer is printed on stdout.
    func clear() {
        guard enabled, Terminal.stderrIsTTY, drawnLines > 0 else { return }
        FileHandle.standardError.write(Data(String(repeating: "\u{1B}[1A\u{1B}[2K", count: drawnLines).utf8))
        drawnLines = 0
        lines.removeAll()
        order.removeAll()
        stageLine = nil
    }

    func summary(_ result: FusionResult) {
        guard enabled else { return }
        let s = result.trace.stages
        Terminal.err(String(format: "[%d answers, %d failed · panel %.1fs · judge %.1fs · synthesis %.1fs · total %.1fs · %d tokens]",
                            result.responses.count, result.failedModels.count, s.panel, s.judge, s.synthesis, s.total,
                            result.usage.totalTokens))
        if result.finishReason == .length {
            Terminal.err("[the final answer was cut at \(result.trace.request.synthesisMaxTokens) tokens: raise --synthesis-max-tokens for more]")
        }
    }

    private func describe(_ state: SeatState) -> String {
        switch state {
        case .waiting: return "waiting"
        case .loading: return "loading"
        case .prefill(let tokens): return "prefill \(tokens) tokens"
        case .generating(let tokens): return "\(tokens) tokens"
        case .done(let tokens, let seconds): return String(format: "done, %d tokens in %.1fs", tokens, seconds)
        case .failed(let why): return "failed: \(why)"
        }
    }

    private func say(_ line: String) {
        clear()
        Terminal.err(line)
    }

    private func update(_ index: Int, _ line: String, important: Bool) {
        if lines[index] == nil { order.append(index) }
        lines[index] = line
        redraw(important: important, line: line)
    }

    private func redraw(important: Bool, line: String) {
        guard Terminal.stderrIsTTY else {
            if important { Terminal.err(line) }
            return
        }
        var text = String(repeating: "\u{1B}[1A\u{1B}[2K", count: drawnLines)
        let all = order.compactMap { lines[$0] } + (stageLine.map { [$0] } ?? [])
        text += all.map { $0 + "\n" }.joined()
        drawnLines = all.count
        FileHandle.standardError.write(Data(text.utf8))
    }
}

extension SeatState {
    /// States worth a line in a log (not every token count).
    var isMilestone: Bool {
        switch self {
        case .generating, .prefill: return false
        default: return true
        }
    }
}
