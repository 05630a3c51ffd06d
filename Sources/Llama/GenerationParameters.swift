/// Sampling and stopping settings for one generation. Defaults follow llama-server's.
///
/// ```swift
/// var p = GenerationParameters(maxTokens: 128)
/// p.temperature = 0          // greedy
/// p.stop = ["\n\n"]
/// ```
public struct GenerationParameters: Sendable, Equatable, Codable {
    /// Upper bound on generated tokens.
    public var maxTokens: Int = 256
    /// 0 (or below) means greedy decoding.
    public var temperature: Double = 0.8
    /// 0 disables top-k.
    public var topK: Int = 40
    /// 1 disables top-p.
    public var topP: Double = 0.95
    /// 0 disables min-p.
    public var minP: Double = 0.05
    /// 1 disables locally typical sampling.
    public var typicalP: Double = 1.0
    /// 1 disables the repetition penalty.
    public var repeatPenalty: Double = 1.0
    /// How many recent tokens the penalties look at.
    public var repeatLastN: Int = 64
    public var frequencyPenalty: Double = 0
    public var presencePenalty: Double = 0
    /// Random seed for sampling; fixed seeds make sampled runs reproducible.
    public var seed: UInt32 = 0xFFFF_FFFF
    /// Text that ends generation (not included in the output). Matched across token boundaries.
    public var stop: [String] = []
    /// Keep generating past end-of-generation tokens (benchmarks).
    public var ignoreEOS: Bool = false
    /// A GBNF grammar that constrains the output, with `root` as the start rule.
    public var grammar: String?

    public init(maxTokens: Int = 256, temperature: Double = 0.8, seed: UInt32 = 0xFFFF_FFFF, stop: [String] = []) {
        self.maxTokens = maxTokens
        self.temperature = temperature
        self.seed = seed
        self.stop = stop
    }

    /// Deterministic decoding: temperature 0.
    public static func greedy(maxTokens: Int = 256) -> GenerationParameters {
        GenerationParameters(maxTokens: maxTokens, temperature: 0)
    }

    /// Checks ranges before anything touches llama.cpp.
    public func validate() throws(LlamaError) {
        if maxTokens < 1 { throw .invalidParameter(name: "max tokens", reason: "must be at least 1 (got \(maxTokens))") }
        if !temperature.isFinite { throw .invalidParameter(name: "temperature", reason: "must be a number") }
        if topK < 0 { throw .invalidParameter(name: "top-k", reason: "must be 0 or more") }
        if !(0...1).contains(topP) { throw .invalidParameter(name: "top-p", reason: "must be between 0 and 1") }
        if !(0...1).contains(minP) { throw .invalidParameter(name: "min-p", reason: "must be between 0 and 1") }
        if !(repeatPenalty > 0) { throw .invalidParameter(name: "repeat penalty", reason: "must be above 0") }
    }
}

/// Why a generation ended.
public enum StopReason: String, Sendable, Codable {
    /// End-of-generation token or a stop string.
    case stop
    /// `maxTokens` reached, or the context filled up.
    case length
    /// Cancelled by the caller.
    case cancelled
}

/// Token counts, in OpenAI's terms.
public struct TokenUsage: Sendable, Equatable, Codable {
    public var promptTokens: Int
    public var completionTokens: Int
    public var totalTokens: Int { promptTokens + completionTokens }

    public init(promptTokens: Int = 0, completionTokens: Int = 0) {
        self.promptTokens = promptTokens
        self.completionTokens = completionTokens
    }
    public static func + (a: TokenUsage, b: TokenUsage) -> TokenUsage {
        TokenUsage(promptTokens: a.promptTokens + b.promptTokens, completionTokens: a.completionTokens + b.completionTokens)
    }
}

/// Where the time went.
public struct GenerationTimings: Sendable, Equatable, Codable {
    /// Prompt tokens actually evaluated (cached prefix tokens are not).
    public var prefillTokens: Int = 0
    /// Prompt tokens reused from the KV cache of the previous generation.
    public var cachedTokens: Int = 0
    public var prefillSeconds: Double = 0
    /// Single-token decode steps after the prefill.
    public var decodeSteps: Int = 0
    public var decodeSeconds: Double = 0

    public init() {}
    /// Prompt evaluation rate; 0 when nothing was evaluated.
    public var prefillTokensPerSecond: Double { prefillSeconds > 0 ? Double(prefillTokens) / prefillSeconds : 0 }
    /// Generation rate (decode steps per second, like llama-bench's tg).
    public var decodeTokensPerSecond: Double { decodeSeconds > 0 ? Double(decodeSteps) / decodeSeconds : 0 }
}

/// The outcome of one generation.
public struct GenerationSummary: Sendable, Equatable, Codable {
    public var text: String
    public var stopReason: StopReason
    public var usage: TokenUsage
    public var timings: GenerationTimings
    /// The seed the sampler used (for replays).
    public var seed: UInt32
}

/// Events of a streamed generation. The last event is always `.finished`.
public enum GenerationEvent: Sendable, Equatable {
    /// The prompt has been evaluated; `cached` tokens were reused from the previous generation.
    case promptProcessed(tokens: Int, cached: Int)
    /// Newly generated text (never a partial UTF-8 character, never part of a stop string).
    case text(String)
    case finished(GenerationSummary)
}

/// Events when several sequences are sampled from one prompt in one batch.
public enum BatchGenerationEvent: Sendable, Equatable {
    case promptProcessed(tokens: Int, cached: Int)
    case text(sequence: Int, String)
    /// One sequence is done; the others may continue.
    case finished(sequence: Int, GenerationSummary)
}
