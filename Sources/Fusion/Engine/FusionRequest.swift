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
    /// Base seed; nil draws one at random (recorded in the trace for replay).
    public var seed: UInt32?
    public var panelMaxTokens: Int = 256
    public var judgeMaxTokens: Int = 384
    public var synthesisMaxTokens: Int = 384
    /// Tokens each model's context holds.
    public var contextSize: Int = 4096
    /// CPU threads available to the engine (default: all cores).
    public var threads: Int?
    /// Memory budget in bytes for resident models; nil uses the engine's default.
    public var memoryBudget: Int64?
    /// Seconds one seat may take before it is cancelled and recorded as failed.
    public var seatTimeout: Double?
    /// Seconds the whole fusion may take.
    public var timeout: Double?
    /// Continue once this many seats have answered (cancel the rest); nil waits for all.
    public var quorum: Int?
    /// Keep generating past end-of-text (benchmarks only).
    public var ignoreEOS: Bool = false

    public init(question: String, panel: [SeatSpec], judge: String, synthesizer: String? = nil) {
        self.messages = [.user(question)]
        self.panel = panel
        self.judge = judge
        self.synthesizer = synthesizer
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
    }
}
