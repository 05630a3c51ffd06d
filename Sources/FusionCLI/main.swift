import CommandLineKit
import Foundation
import Llama

/// The `fusion` command: subcommands, exit codes 0 ok / 1 failure / 64 usage error.
let rootSpec = CommandSpec(
    "fusion",
    abstract: "Run a panel of local models, have a judge compare them, and fuse one answer — offline.",
    discussion: """
        Models come from the catalog in models/catalog.json and live in $FUSION_MODELS \
        (default ~/.cache/localfusion/models). Results go to stdout, progress to stderr.
        """,
    subcommands: [AskCommand.spec, PlanCommand.spec, GenerateCommand.spec, ServeCommand.spec, ModelsCommand.spec, EvalCommand.spec],
    examples: [
        "fusion ask \"Why is the sky blue?\"",
        "fusion models pull smollm2-135m",
        "fusion generate -m smollm2-135m \"Name three primary colors.\"",
        "fusion serve --port 8080",
    ],
    version: "fusion 0.1.0")

let parsed = CommandLineParser.parseOrExit(spec: rootSpec)
do {
    switch parsed.path.first {
    case "ask": try await AskCommand.run(parsed)
    case "plan": try await PlanCommand.run(parsed)
    case "generate": try await GenerateCommand.run(parsed)
    case "serve": try await ServeCommand.run(parsed)
    case "models": try await ModelsCommand.run(parsed)
    case "eval": try await EvalCommand.run(parsed)
    default:
        FileHandle.standardError.write(Data(parsed.helpText.utf8))
        exit(ExitCode.usage.rawValue)   // no subcommand: show what exists, as a usage error
    }
    exit(ExitCode.success.rawValue)
} catch let error as UsageFailure {
    Terminal.err("error: \(error)")
    Terminal.err("See '\(( ["fusion"] + parsed.path).joined(separator: " ")) --help' for more information.")
    exit(ExitCode.usage.rawValue)
} catch let error as CommandLineError {
    FileHandle.standardError.write(Data(CommandLineParser.errorReport(for: error, spec: rootSpec).utf8))
    exit(ExitCode.usage.rawValue)
} catch {
    Terminal.err("error: \(error)")
    exit(ExitCode.failure.rawValue)
}
