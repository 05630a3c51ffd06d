import Foundation
import Llama

/// One seat of the panel: a model answering the question, possibly several times.
public struct SeatSpec: Sendable, Equatable, Codable {
    /// Catalog id or path to a `.gguf` file.
    public var model: String
    /// Samples of this model (self-fusion): one prefill, all samples decoded in one batch.
    public var samples: Int = 1
    /// Sampling temperature for this seat; nil uses the request's panel temperature.
    public var temperature: Double?
    /// Seed of the first sample (sample i uses seed + i); nil uses the request's seed.
    public var seed: UInt32?
    /// Marks the strongest member: its answer is presented to the judge as the reference answer.
    public var reference: Bool = false

    public init(model: String, samples: Int = 1, temperature: Double? = nil, seed: UInt32? = nil, reference: Bool = false) {
        self.model = model
        self.samples = samples
        self.temperature = temperature
        self.seed = seed
        self.reference = reference
    }

    enum CodingKeys: String, CodingKey { case model, samples, temperature, seed, reference }
    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        model = try c.decode(String.self, forKey: .model)
        samples = try c.decodeIfPresent(Int.self, forKey: .samples) ?? 1
        temperature = try c.decodeIfPresent(Double.self, forKey: .temperature)
        seed = try c.decodeIfPresent(UInt32.self, forKey: .seed)
        reference = try c.decodeIfPresent(Bool.self, forKey: .reference) ?? false
    }
}

/// How the panel's answers become one.
public enum FusionMode: String, Sendable, Codable, CaseIterable {
    /// The judge writes a structured analysis (grammar-constrained JSON), then the synthesizer answers from it.
    case fusion
    /// One aggregator reads the answers and writes the final one (Together-MoA style), no analysis.
    case aggregate
}

/// Everything a fusion needs. Value type: easy to store in a trace and replay.
///
/// ```swift
/// var request = FusionRequest(question: "Compare carbon tax and cap-and-trade.",
///                             panel: [SeatSpec(model: "qwen2.5-coder-0.5b", samples: 3)],
///                             judge: "qwen2.5-coder-1.5b")
/// request.panelMaxTokens = 200
/// ```
public struct FusionRequest: Sendable, Equatable, Codable {
    /// The conversation; the last user message is the question.
    public var messages: [ChatMessage]
    public var panel: [SeatSpec]
    /// Writes the analysis (and, by default, the final answer).
    public var judge: String
    /// Writes the final answer; nil means the judge does (its KV cache is then reused).
    public var synthesizer: String?
    public var mode: FusionMode = .fusion
    /// Mixture-of-agents rounds: 0 is plain fusion; k > 0 lets proposers revise after seeing the
    /// previous round's answers.
    public var rounds: Int = 0
    /// Panel sampling temperature (seats may override).
    public var temperature: Double = 0.7
    /// Panel sampling: top-k (0 disables), top-p, min-p, repetition penalty, OpenAI's frequency and
    /// presence penalties (0 disables), stop strings.
    public var topK: Int = 40
    public var topP: Double = 0.95
    public var minP: Double = 0.05
    public var repeatPenalty: Double = 1.0
    public var frequencyPenalty: Double = 0
    public var presencePenalty: Double = 0
    public var stop: [String] = []
    /// Stop strings of the final answer (the API's `stop`): they end what the user reads, not the
    /// panel's answers, which the judge needs whole.
    public var finalStop: [String] = []
    /// Base seed; nil draws one at random (recorded in the trace for replay).
    public var seed: UInt32?
    /// Most tokens per panel answer (a preset may set its own).
    public var panelMaxTokens: Int = FusionRequest.defaultPanelMaxTokens
    public static let defaultPanelMaxTokens = 256
    public var judgeMaxTokens: Int = 384
    public var synthesisMaxTokens: Int = 384
    /// Tokens each model's context holds.
    public var contextSize: Int = 4096
    /// CPU threads available to the engine (default: all cores).
    public var threads: Int?
    /// Memory budget in bytes, counted like the engine's (the process's own share comes off); nil
    /// uses the engine's. A smaller one shrinks the plan, and its leases evict idle models down to it.
    public var memoryBudget: Int64?
    /// Seconds one seat may take before it is cancelled and recorded as failed.
    public var seatTimeout: Double?
    /// Seconds the whole fusion may take.
    public var timeout: Double?
    /// Continue once this many seats have answered (cancel the rest); nil waits for all.
    public var quorum: Int?
    /// Keep generating past end-of-text (benchmarks only).
    public var ignoreEOS: Bool = false

    /// What one sample of a panel seat is generated with: the request's sampling, the seat's
    /// temperature when it has one.
    public func panelParameters(for seat: SeatSpec, seed: UInt32) -> GenerationParameters {
        // 0xFFFFFFFF means "random" to the sampler: never produce it, or replay breaks.
        var p = GenerationParameters(maxTokens: panelMaxTokens, temperature: seat.temperature ?? temperature,
                                     seed: seed == .max ? 0 : seed, stop: stop)
        p.topK = topK
        p.topP = topP
        p.minP = minP
        p.repeatPenalty = repeatPenalty
        p.frequencyPenalty = frequencyPenalty
        p.presencePenalty = presencePenalty
        p.ignoreEOS = ignoreEOS
        return p
    }

    public init(question: String, panel: [SeatSpec], judge: String, synthesizer: String? = nil) {
        self.messages = [.user(question)]
        self.panel = panel
        self.judge = judge
        self.synthesizer = synthesizer
    }

    /// JSON keys, snake_case as everywhere in results, so a `--json` result replays unchanged.
    enum CodingKeys: String, CodingKey {
        case messages, panel, judge, synthesizer, mode, rounds, temperature, seed, threads, timeout, quorum, stop
        case topK = "top_k", topP = "top_p", minP = "min_p", repeatPenalty = "repeat_penalty"
        case frequencyPenalty = "frequency_penalty", presencePenalty = "presence_penalty"
        case panelMaxTokens = "panel_max_tokens", judgeMaxTokens = "judge_max_tokens"
        case synthesisMaxTokens = "synthesis_max_tokens", contextSize = "context_size"
        case memoryBudget = "memory_budget", seatTimeout = "seat_timeout", ignoreEOS = "ignore_eos"
        case finalStop = "final_stop"
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let defaults = FusionRequest(question: "", panel: [], judge: "")
        messages = try c.decode([ChatMessage].self, forKey: .messages)
        panel = try c.decode([SeatSpec].self, forKey: .panel)
        judge = try c.decode(String.self, forKey: .judge)
        synthesizer = try c.decodeIfPresent(String.self, forKey: .synthesizer)
        mode = try c.decodeIfPresent(FusionMode.self, forKey: .mode) ?? defaults.mode
        rounds = try c.decodeIfPresent(Int.self, forKey: .rounds) ?? defaults.rounds
        temperature = try c.decodeIfPresent(Double.self, forKey: .temperature) ?? defaults.temperature
        topK = try c.decodeIfPresent(Int.self, forKey: .topK) ?? defaults.topK
        topP = try c.decodeIfPresent(Double.self, forKey: .topP) ?? defaults.topP
        minP = try c.decodeIfPresent(Double.self, forKey: .minP) ?? defaults.minP
        repeatPenalty = try c.decodeIfPresent(Double.self, forKey: .repeatPenalty) ?? defaults.repeatPenalty
        frequencyPenalty = try c.decodeIfPresent(Double.self, forKey: .frequencyPenalty) ?? defaults.frequencyPenalty
        presencePenalty = try c.decodeIfPresent(Double.self, forKey: .presencePenalty) ?? defaults.presencePenalty
        stop = try c.decodeIfPresent([String].self, forKey: .stop) ?? []
        finalStop = try c.decodeIfPresent([String].self, forKey: .finalStop) ?? []
        seed = try c.decodeIfPresent(UInt32.self, forKey: .seed)
        panelMaxTokens = try c.decodeIfPresent(Int.self, forKey: .panelMaxTokens) ?? defaults.panelMaxTokens
        judgeMaxTokens = try c.decodeIfPresent(Int.self, forKey: .judgeMaxTokens) ?? defaults.judgeMaxTokens
        synthesisMaxTokens = try c.decodeIfPresent(Int.self, forKey: .synthesisMaxTokens) ?? defaults.synthesisMaxTokens
        contextSize = try c.decodeIfPresent(Int.self, forKey: .contextSize) ?? defaults.contextSize
        threads = try c.decodeIfPresent(Int.self, forKey: .threads)
        memoryBudget = try c.decodeIfPresent(Int64.self, forKey: .memoryBudget)
        seatTimeout = try c.decodeIfPresent(Double.self, forKey: .seatTimeout)
        timeout = try c.decodeIfPresent(Double.self, forKey: .timeout)
        quorum = try c.decodeIfPresent(Int.self, forKey: .quorum)
        ignoreEOS = try c.decodeIfPresent(Bool.self, forKey: .ignoreEOS) ?? false
    }

    /// Reads the request recorded in a `fusion ask --json` result (or in a bare trace), for
    /// `--replay`. Throws a readable error naming what is wrong.
    public static func replay(from data: Data) throws -> FusionRequest {
        struct Trace: Decodable { var request: FusionRequest }
        struct Envelope: Decodable { var trace: Trace }
        let decoder = JSONDecoder()
        do { return try decoder.decode(Envelope.self, from: data).trace.request } catch let resultError {
            if let trace = try? decoder.decode(Trace.self, from: data) { return trace.request }
            throw FusionError.invalidRequest("not a fusion result with trace.request: \(resultError)")
        }
    }

    /// The last user message.
    public var question: String {
        messages.last(where: { $0.role == .user })?.content ?? ""
    }

    /// The model that writes the final answer.
    public var finalWriter: String { synthesizer ?? judge }

    /// Checks the request before anything loads.
    public func validate() throws(FusionError) {
        if panel.isEmpty { throw .invalidRequest("the panel is empty") }
        if question.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty { throw .invalidRequest("the question is empty") }
        for seat in panel where seat.samples < 1 || seat.samples > 16 {
            throw .invalidRequest("samples for \(seat.model) must be between 1 and 16 (got \(seat.samples))")
        }
        if rounds < 0 || rounds > 3 { throw .invalidRequest("rounds must be between 0 and 3") }
        if let quorum, quorum < 1 || quorum > panel.count {
            throw .invalidRequest("quorum must be between 1 and the panel size \(panel.count)")
        }
        for (name, value) in [("panel", panelMaxTokens), ("judge", judgeMaxTokens), ("synthesis", synthesisMaxTokens)]
            where value < 1 {
            throw .invalidRequest("\(name) max tokens must be at least 1")
        }
        if contextSize < 0 { throw .invalidRequest("the context size must be 0 (model default) or more") }
        if let threads, threads < 1 { throw .invalidRequest("threads must be at least 1") }
        if let memoryBudget, memoryBudget <= 0 { throw .invalidRequest("the memory budget must be positive") }
        for (name, value) in [("seat timeout", seatTimeout), ("timeout", timeout)] {
            if let value, !(value > 0) { throw .invalidRequest("the \(name) must be a positive number of seconds") }
        }
        if !(0...1).contains(topP) || !(0...1).contains(minP) { throw .invalidRequest("top-p and min-p must be between 0 and 1") }
        if topK < 0 { throw .invalidRequest("top-k must be 0 or more") }
        if !(repeatPenalty > 0) { throw .invalidRequest("the repeat penalty must be above 0") }
        if !(-2...2).contains(frequencyPenalty) || !(-2...2).contains(presencePenalty) {
            throw .invalidRequest("the frequency and presence penalties must be between -2 and 2")
        }
    }
}
