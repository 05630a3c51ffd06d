import CommandLineKit
import Foundation
import Llama

/// The sampling and context flags shared by `generate` and (later) `ask`.
struct SamplingOptions {
    var parameters: GenerationParameters
    var contextOptions: ContextOptions

    static let specs: [OptionSpec] = [
        .option("max-tokens", short: "n", value: "n", type: .integer, default: "256", help: "Most tokens to generate."),
        .option("temperature", value: "t", type: .number, default: "0.8", help: "Sampling temperature; 0 is greedy (deterministic)."),
        .option("top-k", value: "k", type: .integer, default: "40", help: "Keep the k most likely tokens; 0 disables."),
        .option("top-p", value: "p", type: .number, default: "0.95", help: "Nucleus sampling threshold; 1 disables."),
        .option("min-p", value: "p", type: .number, default: "0.05", help: "Drop tokens below p × the top probability; 0 disables."),
        .option("repeat-penalty", value: "x", type: .number, default: "1.0", help: "Penalty for repeated tokens; 1 disables."),
        .option("seed", value: "n", type: .integer, help: "Sampling seed (random when omitted)."),
        .repeated("stop", value: "text", help: "Stop when this text appears (not printed)."),
        .flag("ignore-eos", help: "Keep generating past the end-of-text token (benchmarks)."),
        .option("ctx-size", short: "c", value: "n", type: .integer, default: "4096", help: "Context size in tokens; 0 uses the model's trained length."),
        .option("threads", short: "t", value: "n", type: .integer, help: "CPU threads (default: all cores)."),
    ]

    init(_ args: ParsedCommand) throws {
        var p = GenerationParameters()
        p.maxTokens = try args.int("max-tokens") ?? 256
        p.temperature = try args.double("temperature") ?? 0.8
        p.topK = try args.int("top-k") ?? 40
        p.topP = try args.double("top-p") ?? 0.95
        p.minP = try args.double("min-p") ?? 0.05
        p.repeatPenalty = try args.double("repeat-penalty") ?? 1.0
        if let seed = try args.int("seed") {
            guard seed >= 0, seed < Int(UInt32.max) else { throw args.invalidValue("seed", "an integer from 0 to 4294967294") }
            p.seed = UInt32(seed)
        }
        p.stop = args.strings("stop")
        p.ignoreEOS = args.flag("ignore-eos")
        do { try p.validate() } catch { throw UsageFailure(error.description) }
        parameters = p

        var c = ContextOptions()
        c.contextSize = try args.int("ctx-size") ?? 4096
        if let threads = try args.int("threads") {
            guard threads >= 1 else { throw args.invalidValue("threads", "a positive integer") }
            c.threads = threads
        }
        guard c.contextSize >= 0 else { throw args.invalidValue("ctx-size", "0 or a positive integer") }
        contextOptions = c
    }
}
