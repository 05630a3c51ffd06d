import CommandLineKit
import Fusion
import Foundation
import Llama

/// `fusion generate`: one model, streamed.
enum GenerateCommand {
    static let spec = CommandSpec(
        "generate",
        abstract: "Generate text with one local model, streaming tokens as they are produced.",
        discussion: """
            The prompt is wrapped in the model's chat template (ChatML, Gemma, Llama…); models without \
            one get a plain "User:/Assistant:" transcript. Use --raw to feed the prompt exactly as \
            written. Pass "-" as the prompt to read it from standard input. Ctrl-C stops generation \
            and still prints what was produced.
            """,
        options: [
            .option("model", short: "m", value: "id|path", required: true,
                    help: "A catalog id (see 'fusion models list') or a path to a .gguf file."),
        ] + SamplingOptions.specs + [
            .option("system", value: "text", help: "A system message placed before the prompt."),
            .flag("raw", help: "Do not apply a chat template; feed the prompt as-is."),
            .flag("json", help: "Print one JSON object (text, usage, timings, stop reason) instead of streaming."),
            .option("models-dir", value: "dir", help: "Where models live (default: $FUSION_MODELS or ~/.cache/localfusion/models)."),
        ],
        positionals: [.required("prompt", help: "The prompt, or - to read standard input.")],
        examples: [
            "fusion generate -m smollm2-135m \"Name three primary colors.\"",
            "fusion generate -m smollm2-135m --json --temperature 0 --max-tokens 64 \"Why is the sky blue?\"",
        ])

    /// What `--json` prints.
    struct Output: Encodable {
        var model: String
        var path: String
        var text: String
        var stopReason: String
        var usage: Usage
        var timings: Timings
        var seed: UInt32
        struct Usage: Encodable { var promptTokens, completionTokens, totalTokens: Int }
        struct Timings: Encodable {
            var prefillMs, decodeMs, prefillTokensPerSecond, decodeTokensPerSecond: Double
            var cachedPromptTokens: Int
        }
    }

    static func run(_ args: ParsedCommand) async throws {
        let json = args.flag("json")
        var prompt = args.string("prompt") ?? ""
        if prompt == "-" {
            prompt = String(decoding: FileHandle.standardInput.readDataToEndOfFile(), as: UTF8.self)
        }
        let reference = args.string("model")!
        let sampling = try SamplingOptions(args)
        let location = try ModelLocator.locate(reference, modelsDirectory: args.string("models-dir"))

        let model = try ModelLoading.load(location, quiet: json)
        let session = try LlamaSession(model: model, options: sampling.contextOptions)
        let input: Prompt
        if args.flag("raw") {
            input = .raw(prompt)
        } else {
            var messages: [ChatMessage] = []
            if let system = args.string("system") { messages.append(.system(system)) }
            messages.append(.user(prompt))
            input = .chat(messages)
        }

        let generation = session.generate(input, parameters: sampling.parameters)
        let interrupt = InterruptHandler { generation.cancel() }
        var summary: GenerationSummary?
        for try await event in generation.events {
            switch event {
            case .text(let text) where !json: Terminal.out(text)
            case .finished(let s): summary = s
            default: break
            }
        }
        withExtendedLifetime(interrupt) {}
        guard let summary else { throw CommandFailure("generation ended without a result") }
        if json {
            try Terminal.printJSON(Output(
                model: location.id ?? reference, path: location.path, text: summary.text,
                stopReason: summary.stopReason.rawValue,
                usage: .init(promptTokens: summary.usage.promptTokens, completionTokens: summary.usage.completionTokens,
                             totalTokens: summary.usage.totalTokens),
                timings: .init(prefillMs: summary.timings.prefillSeconds * 1000,
                               decodeMs: summary.timings.decodeSeconds * 1000,
                               prefillTokensPerSecond: summary.timings.prefillTokensPerSecond,
                               decodeTokensPerSecond: summary.timings.decodeTokensPerSecond,
                               cachedPromptTokens: summary.timings.cachedTokens),
                seed: summary.seed))
        } else {
            if !summary.text.hasSuffix("\n") { Terminal.out("\n") }
            let t = summary.timings
            Terminal.err(String(format: "[%d prompt + %d generated tokens · prefill %.0f tok/s · decode %.1f tok/s · %@]",
                                summary.usage.promptTokens, summary.usage.completionTokens,
                                t.prefillTokensPerSecond, t.decodeTokensPerSecond, summary.stopReason.rawValue))
        }
    }
}
