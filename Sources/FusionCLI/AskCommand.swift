import CommandLineKit
import Fusion
import Foundation

/// `fusion ask`: a panel answers, a judge compares, a synthesizer writes the final answer.
enum AskCommand {
    static let spec = CommandSpec(
        "ask",
        abstract: "Fuse the answers of a panel of local models into one.",
        discussion: """
            The panel answers first (one seat at a time on small machines, so cores are never \
            oversubscribed), then the judge writes a grammar-constrained JSON analysis (consensus, \
            contradictions, partial coverage, unique insights, blind spots) and the synthesizer \
            streams the final answer. Progress goes to stderr, the answer to stdout. The JSON \
            result's trace can be replayed exactly with --replay.
            """,
        options: FusionRequestOptions.specs + [
            .flag("show-panel", help: "Print every member answer before the final answer."),
            .flag("show-analysis", help: "Print the judge's analysis before the final answer."),
            .flag("json", help: "Print the whole result as one JSON object (status, final, analysis, responses, failed_models, usage, trace)."),
            .option("replay", value: "file", help: "Run the request recorded in a previous --json result again."),
        ],
        positionals: [.optional("question", help: "The question, or - to read standard input.")],
        examples: [
            "fusion ask \"Compare carbon tax and cap-and-trade.\"",
            "fusion ask --panel smollm2-135m,gemma3-270m,qwen2.5-coder-0.5b --judge qwen2.5-coder-1.5b \"…\"",
            "fusion ask --self 4 -m qwen2.5-coder-0.5b \"…\"",
            "fusion ask --memory-budget 1.2GB --json \"…\" > run.json && fusion ask --replay run.json",
        ])

    static func run(_ args: ParsedCommand) async throws {
        let request: FusionRequest
        if let replay = args.string("replay") {
            request = try loadReplay(replay)
        } else {
            var question = args.string("question") ?? ""
            if question == "-" { question = String(decoding: FileHandle.standardInput.readDataToEndOfFile(), as: UTF8.self) }
            guard !question.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else {
                throw args.invalidValue("question", "a question (or - for standard input)")
            }
            request = try FusionRequestOptions.request(args, question: question)
        }
        let json = args.flag("json")
        let engine = try FusionRequestOptions.engine(args, request: request)
        let fusion = engine.run(request)
        let interrupt = InterruptHandler { fusion.cancel() }
        let status = PanelStatusView(enabled: !json)
        var result: FusionResult?
        var printedFinalHeader = false
        for try await event in fusion.events {
            status.handle(event)
            switch event {
            case .seatFinished(let response) where args.flag("show-panel") && !json:
                status.clear()
                Terminal.out("── \(response.model)\(response.sample > 0 ? " #\(response.sample + 1)" : "") (\(response.finishReason.rawValue)) ──\n\(response.text.trimmingCharacters(in: .whitespacesAndNewlines))\n\n")
            case .analysis(let analysis, let note) where args.flag("show-analysis") && !json:
                status.clear()
                if let analysis { Terminal.out("── analysis ──\n\(analysis.summaryText)\n\n") }
                if let note { Terminal.out("── analysis unavailable: \(note) ──\n\n") }
            case .finalDelta(let text) where !json:
                if !printedFinalHeader {
                    status.clear()
                    if args.flag("show-panel") || args.flag("show-analysis") { Terminal.out("── final answer ──\n") }
                    printedFinalHeader = true
                }
                Terminal.out(text)
            case .done(let r):
                result = r
            default:
                break
            }
        }
        withExtendedLifetime(interrupt) {}
        guard let result else { throw CommandFailure("the fusion ended without a result") }
        if json {
            try Terminal.printJSON(result)
        } else {
            if printedFinalHeader && !result.final.hasSuffix("\n") { Terminal.out("\n") }
            status.summary(result)
        }
        if result.status == .error {
            if !json { Terminal.err("error: \(result.error ?? result.failureReason ?? "fusion failed")") }
            exit(ExitCode.failure.rawValue)
        }
    }

    /// Reads the request from a `--json` result (or from a bare trace).
    static func loadReplay(_ path: String) throws -> FusionRequest {
        guard let data = FileManager.default.contents(atPath: path) else { throw CommandFailure("cannot read \(path)") }
        do { return try FusionRequest.replay(from: data) } catch { throw CommandFailure("\(path): \(error)") }
    }
}

/// `fusion plan`: the memory plan for a request, without loading anything.
enum PlanCommand {
    static let spec = CommandSpec(
        "plan",
        abstract: "Print the memory plan for a fusion without running it.",
        discussion: "Estimates every model from its GGUF header (weights + KV cache + buffers) and shows whether the panel runs all at once, in waves or one at a time within the budget.",
        options: FusionRequestOptions.specs + [.flag("json", help: "Print the plan as JSON.")],
        examples: ["fusion plan --panel smollm2-135m,gemma3-270m,qwen2.5-coder-0.5b --judge qwen2.5-coder-1.5b",
                   "fusion plan --preset quality --memory-budget 1.2GB"])

    static func run(_ args: ParsedCommand) async throws {
        let request = try FusionRequestOptions.request(args, question: "(plan only)")
        let engine = try FusionRequestOptions.engine(args, request: request)
        let plan: MemoryPlan
        do { plan = try engine.plan(request) } catch { throw CommandFailure(String(describing: error)) }
        if args.flag("json") { try Terminal.printJSON(plan) } else { Terminal.out(plan.text + "\n") }
    }
}
