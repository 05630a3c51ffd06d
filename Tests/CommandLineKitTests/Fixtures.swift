import CommandLineKit
import Testing

/// A spec shaped like the `fusion` CLI, used by every test.
let fusionSpec = CommandSpec(
    "fusion",
    abstract: "Run a panel of local models and fuse their answers.",
    discussion: "Everything runs offline on this machine. Models are read from FUSION_MODELS.",
    options: [.flag("verbose", short: "v", global: true, help: "Print progress details on stderr.")],
    subcommands: [
        CommandSpec(
            "models", abstract: "Manage the local model catalog.",
            subcommands: [
                CommandSpec("list", abstract: "List catalog models and whether they are present.", aliases: ["ls"],
                            options: [.flag("json", help: "Print JSON instead of a table.")]),
                CommandSpec("pull", abstract: "Download models into the models directory.",
                            options: [.flag("force", help: "Download again even if present.")],
                            positionals: [.variadic("ids", minimum: 1, help: "Catalog model ids.")]),
                CommandSpec("info", abstract: "Show one model's metadata.",
                            options: [.flag("json", help: "Print JSON.")],
                            positionals: [.required("id", help: "A catalog model id.")]),
            ]),
        CommandSpec(
            "generate", abstract: "Generate text with one local model.",
            discussion: "The prompt is wrapped in the model's chat template unless --raw is given.",
            options: [
                .option("model", short: "m", value: "id", required: true,
                        help: "Catalog id or path to a .gguf file."),
                .flag("json", help: "Print one JSON object with text, usage and timings."),
                .option("temperature", value: "t", type: .number, default: "0.8", help: "Sampling temperature."),
                .option("max-tokens", value: "n", type: .integer, default: "512", help: "Most tokens to generate."),
                .option("threads", short: "t", value: "n", type: .integer, help: "CPU threads."),
                .option("seed", value: "s", type: .integer, default: "-1", help: "Sampling seed; -1 picks one."),
                .repeated("stop", value: "text", help: "Stop when this text is generated."),
                .flag("ignore-eos", help: "Keep generating after end-of-sequence."),
                .option("ctx-size", short: "c", value: "n", type: .integer, help: "Context size in tokens."),
                .option("memory", value: "size", type: .byteSize, default: "8GiB", help: "Memory budget."),
                .option("format", value: "name", type: .choice(["text", "json"]), default: "text", help: "Output format."),
                .option("color", value: "when", type: .boolean, help: "Color the output."),
                .flag("raw", help: "Feed the prompt as-is, without a chat template."),
            ],
            positionals: [.required("prompt", help: "The prompt text.")],
            examples: ["fusion generate -m smollm2-135m \"Name three colors.\""]),
        CommandSpec(
            "bench", abstract: "Measure throughput.",
            options: [.option("runs", short: "r", value: "n", type: .integer, default: "3", help: "Runs per model.")],
            positionals: [.optional("model", default: "smollm2-135m", help: "Model id."),
                          .variadic("extra", help: "More model ids.")]),
    ],
    version: "fusion 0.1.0")

enum ParseFailure: Error { case notACommand(ParseOutcome) }

/// Parses and expects a command to run.
func command(_ arguments: [String], spec: CommandSpec = fusionSpec) throws -> ParsedCommand {
    let outcome = try CommandLineParser.parse(arguments, spec: spec)
    guard case .command(let parsed) = outcome else { throw ParseFailure.notACommand(outcome) }
    return parsed
}

/// Parses and returns the usage error, or nil if parsing succeeded.
func usageError(_ arguments: [String], spec: CommandSpec = fusionSpec) -> CommandLineError? {
    do {
        _ = try CommandLineParser.parse(arguments, spec: spec)
        return nil
    } catch {
        return error
    }
}

/// Parses and returns the help request, or nil if the outcome was something else.
func helpRequest(_ arguments: [String], spec: CommandSpec = fusionSpec) throws -> HelpRequest? {
    if case .help(let request) = try CommandLineParser.parse(arguments, spec: spec) { return request }
    return nil
}
