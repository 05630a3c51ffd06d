import CommandLineKit
import Fusion
import Foundation
import Llama

/// Flags shared by `ask` and `plan` that describe a fusion request.
enum FusionRequestOptions {
    static let specs: [OptionSpec] = [
        .option("preset", short: "p", value: "name", help: "A preset from models/presets.json (budget, quality, self, fast…)."),
        .option("panel", value: "ids", help: "Comma-separated panel models (catalog ids or .gguf paths); overrides the preset."),
        .option("judge", value: "id", help: "The judge model (also writes the final answer unless --synthesizer)."),
        .option("synthesizer", value: "id", help: "A separate model for the final answer."),
        .option("model", short: "m", value: "id", help: "With --self N: the model to sample N times."),
        .option("self", value: "n", type: .integer, help: "Self-fusion: N samples of -m decoded in one batch, judged by the same model unless --judge."),
        .option("mode", value: "mode", type: .choice(FusionMode.allCases.map(\.rawValue)), help: "fusion (analysis then synthesis) or aggregate (one aggregator, no analysis)."),
        .option("rounds", value: "k", type: .integer, help: "Mixture-of-agents rounds: proposers revise after seeing the previous answers."),
        .option("quorum", value: "k", type: .integer, help: "Continue once k seats have answered."),
        .option("seat-timeout", value: "s", type: .number, help: "Seconds one seat may take before it is recorded as failed."),
        .option("timeout", value: "s", type: .number, help: "Seconds the whole fusion may take."),
        .option("memory-budget", value: "size", type: .byteSize, help: "Memory models may use together, e.g. 1.2GB (default: $FUSION_MEMORY_BUDGET or 70% of RAM)."),
        .option("max-tokens", short: "n", value: "n", type: .integer, help: "Most tokens per panel answer (default: the preset's, else 256)."),
        .option("judge-max-tokens", value: "n", type: .integer, default: "384", help: "Most tokens of the judge's analysis."),
        .option("synthesis-max-tokens", value: "n", type: .integer, default: "384", help: "Most tokens of the final answer."),
        .option("temperature", value: "t", type: .number, help: "Panel sampling temperature (default 0.7; judge and synthesizer are greedy)."),
        .option("top-k", value: "k", type: .integer, help: "Panel sampling: keep the k most likely tokens (default 40; 0 disables)."),
        .option("top-p", value: "p", type: .number, help: "Panel sampling: nucleus threshold (default 0.95)."),
        .option("min-p", value: "p", type: .number, help: "Panel sampling: min-p (default 0.05)."),
        .option("repeat-penalty", value: "x", type: .number, help: "Panel sampling: repetition penalty (default 1.0)."),
        .repeated("stop", value: "text", help: "Panel answers stop at this text."),
        .repeated("final-stop", value: "text", help: "The final answer stops at this text (not printed)."),
        .option("seed", value: "n", type: .integer, help: "Base seed; fixed seeds make a run reproducible."),
        .option("ctx-size", short: "c", value: "n", type: .integer, default: "4096", help: "Context size of every model."),
        .option("threads", short: "t", value: "n", type: .integer, help: "CPU threads (default: all cores)."),
        .flag("ignore-eos", help: "Generate the full token budget everywhere (benchmarks)."),
        .option("models-dir", value: "dir", help: "Where models live (default: $FUSION_MODELS or ~/.cache/localfusion/models)."),
    ] + remoteSpecs

    /// Remote providers and the privacy switch (shared with `serve`).
    static let remoteSpecs: [OptionSpec] = [
        .option("providers", value: "file", help: "Remote providers and seat chains (JSON; default: $FUSION_PROVIDERS). Panel entries may then be remote:<provider>/<model> or a chain alias."),
        .flag("offline", help: "Forbid every remote call (also FUSION_OFFLINE=1): remote links are skipped."),
    ]

    /// The remote settings from --providers / --offline and the environment.
    static func remoteSettings(_ args: ParsedCommand) throws -> RemoteSettings {
        let environment = ProcessInfo.processInfo.environment
        do {
            let providers = try ProvidersConfig.resolve(explicit: args.string("providers"), environment: environment)
            return RemoteSettings(providers: providers, offline: args.flag("offline") || RemoteSettings.offlineFromEnvironment(environment),
                                  environment: environment)
        } catch {
            throw UsageFailure(error.description)
        }
    }

    static func splitList(_ text: String) -> [String] {
        text.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
    }

    /// Builds the request from a preset and the flags that override it.
    static func request(_ args: ParsedCommand, question: String) throws -> FusionRequest {
        var request: FusionRequest
        let selfSamples = try args.int("self")
        if let samples = selfSamples {
            guard let model = args.string("model") else { throw args.invalidValue("model", "a model id to go with --self") }
            request = FusionRequest(question: question, panel: [SeatSpec(model: model, samples: samples)],
                                    judge: args.string("judge") ?? model)
        } else if let panel = args.string("panel") {
            let ids = splitList(panel)
            guard !ids.isEmpty else { throw args.invalidValue("panel", "a comma-separated list of model ids") }
            guard let judge = args.string("judge") ?? ids.last else { throw args.invalidValue("judge", "a model id") }
            request = FusionRequest(question: question, panel: ids.map { SeatSpec(model: $0) }, judge: judge)
        } else {
            let presets = try FusionPresets.loadDefault()
            request = try presets.request(named: args.string("preset"), question: question)
            if let judge = args.string("judge") { request.judge = judge }
        }
        if args.string("model") != nil, selfSamples == nil {
            throw args.invalidValue("self", "a number of samples when -m is given (e.g. --self 4)")
        }
        if let synthesizer = args.string("synthesizer") { request.synthesizer = synthesizer }
        if let mode = args.string("mode") { request.mode = FusionMode(rawValue: mode) ?? .fusion }
        if let rounds = try args.int("rounds") { request.rounds = rounds }
        request.quorum = try args.int("quorum")
        request.seatTimeout = try args.double("seat-timeout")
        request.timeout = try args.double("timeout")
        request.memoryBudget = try args.byteSize("memory-budget")
        request.panelMaxTokens = try args.int("max-tokens") ?? request.panelMaxTokens
        request.judgeMaxTokens = try args.int("judge-max-tokens") ?? request.judgeMaxTokens
        request.synthesisMaxTokens = try args.int("synthesis-max-tokens") ?? request.synthesisMaxTokens
        if let t = try args.double("temperature") { request.temperature = t }
        if let seed = try args.int("seed") {
            guard seed >= 0, seed < Int(UInt32.max) else { throw args.invalidValue("seed", "an integer from 0 to 4294967294") }
            request.seed = UInt32(seed)
        }
        request.contextSize = try args.int("ctx-size") ?? request.contextSize
        request.threads = try args.int("threads")
        request.ignoreEOS = args.flag("ignore-eos")
        request.topK = try args.int("top-k") ?? request.topK
        request.topP = try args.double("top-p") ?? request.topP
        request.minP = try args.double("min-p") ?? request.minP
        request.repeatPenalty = try args.double("repeat-penalty") ?? request.repeatPenalty
        request.stop = args.strings("stop")
        request.finalStop = args.strings("final-stop")
        do { try request.validate() } catch { throw UsageFailure(error.description) }
        return request
    }

    /// The engine for a command: catalog store, budget from the flag/env, cores from --threads.
    static func engine(_ args: ParsedCommand, request: FusionRequest) throws -> FusionEngine {
        let store = try ModelLocator.store(modelsDirectory: args.string("models-dir"))
        let budget = try MemoryBudget.resolve(explicit: request.memoryBudget.map { UInt64(max(1, $0)) },
                                              environment: ProcessInfo.processInfo.environment)
        return try FusionEngine(store: store, budget: budget,
                                cores: request.threads ?? ProcessInfo.processInfo.activeProcessorCount,
                                remote: remoteSettings(args))
    }
}
