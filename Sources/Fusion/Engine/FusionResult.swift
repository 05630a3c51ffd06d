import Foundation
import Llama

/// A seat that produced no answer, and why (`failed_models` in results).
public struct FailedModel: Sendable, Equatable, Codable {
    /// Typed failure reasons, stable for machines.
    public enum Reason: String, Sendable, Codable {
        case notFound = "not_found"
        case loadError = "load_error"
        case memory = "memory"
        case timeout = "timeout"
        case decodeError = "decode_error"
        case cancelled = "cancelled"
        case quorumReached = "quorum_reached"
        /// The scheduler's wait queue was full.
        case busy = "busy"
        /// A remote provider failed (unreachable, HTTP error, broken stream).
        case remoteError = "remote_error"
        /// Offline mode forbids the remote link this seat needed.
        case offline = "offline"
        /// The provider's host is excluded by allow_domains / deny_domains.
        case policy = "policy"
    }
    public var seat: Int
    public var model: String
    public var reason: Reason
    public var message: String

    public init(seat: Int, model: String, reason: Reason, message: String) {
        self.seat = seat
        self.model = model
        self.reason = reason
        self.message = message
    }
}

/// One member answer (one sample of one seat).
public struct SeatResponse: Sendable, Equatable, Codable {
    public var seat: Int
    public var sample: Int
    public var model: String
    /// The anonymous label the judge saw ("A", "B", …).
    public var label: String?
    public var text: String
    public var finishReason: StopReason
    public var usage: TokenUsage
    public var seed: UInt32
    public var prefillTokensPerSecond: Double
    public var decodeTokensPerSecond: Double
    public var seconds: Double
    /// The chain link that answered: `local:<id>` or `remote:<provider>/<model>`.
    public var source: String = ""
    /// Links tried before this one and why each was passed over.
    public var skippedLinks: [String] = []
    /// Price of this answer from the provider's price table (local answers cost 0).
    public var cost: Double = 0
}

/// Wall time per stage, in seconds.
public struct StageTimes: Sendable, Equatable, Codable {
    public var plan: Double = 0
    public var panel: Double = 0
    public var judge: Double = 0
    public var synthesis: Double = 0
    public var total: Double = 0
    /// Time spent loading models (part of the stages above).
    public var loading: Double = 0
    /// Sum over models of the time they were decoding (for the orchestration-overhead benchmark).
    public var modelBusy: Double = 0
    public init() {}
}

/// The identity of a model used in a run, enough to check a replay uses the same weights.
public struct ModelFingerprint: Sendable, Equatable, Codable {
    public var reference: String
    public var path: String
    public var sha256: String?
}

/// Everything needed to understand, and replay, a fusion run.
public struct FusionTrace: Sendable, Codable {
    /// The request with every seed resolved: `fusion ask --replay` runs exactly this again.
    public var request: FusionRequest
    public var plan: MemoryPlan?
    public var stages: StageTimes
    /// Peak resident memory of the process (VmHWM), bytes.
    public var peakResidentBytes: Int64?
    /// Peak bytes reserved by the scheduler (what the budget governs).
    public var peakReservedBytes: Int64?
    /// The memory budget asked for (flag, environment, request or automatic): peak RSS stays under it.
    public var budgetBytes: Int64?
    /// The part of it models may reserve: the budget minus the process's own memory and headroom.
    public var modelBudgetBytes: Int64?
    public var models: [ModelFingerprint]
    /// Anonymous label → model shown to the judge.
    public var labels: [String: String]
    /// Why the analysis is missing or was repaired, when it is.
    public var judgeNote: String?
    /// True when the synthesizer reused the judge's KV cache (same model played both).
    public var reusedJudgeCache: Bool
    public var cachedSynthesisPromptTokens: Int
}

/// The outcome of a fusion (`--json` prints this; key names follow OpenRouter's where they exist).
public struct FusionResult: Sendable, Codable {
    public enum Status: String, Sendable, Codable { case ok, error }
    public var status: Status
    /// Stable reason when `status` is error (`all_panels_failed`, `synthesis_failed`, `timeout`, `cancelled`…).
    public var failureReason: String?
    public var error: String?
    public var final: String
    /// Why the final answer ended: `stop` (end of text or a stop string) or `length` (max tokens);
    /// nil when no final answer was written.
    public var finishReason: StopReason?
    public var analysis: FusionAnalysis?
    public var responses: [SeatResponse]
    public var failedModels: [FailedModel]
    public var usage: TokenUsage
    /// Sum of the answers' costs (remote price tables; local models cost 0).
    public var cost: Double = 0
    public var trace: FusionTrace
}

/// What the engine reports while it runs.
public enum FusionEvent: Sendable {
    /// The memory plan, before anything loads.
    case planned(MemoryPlan)
    /// A seat changed state (loading, prefill, generating, done, failed).
    case seat(index: Int, model: String, SeatState)
    /// Text from one sample of one seat.
    case seatDelta(seat: Int, sample: Int, text: String)
    case seatFinished(SeatResponse)
    case seatFailed(FailedModel)
    /// The judge or synthesizer started.
    case stage(FusionStage, model: String)
    /// The judge's analysis (model ids, not labels), or nil with a note when the judge failed.
    case analysis(FusionAnalysis?, note: String?)
    /// Text of the final answer.
    case finalDelta(String)
    /// The last event.
    case done(FusionResult)
}

/// A seat's progress, for live status lines.
public enum SeatState: Sendable, Equatable {
    case waiting
    case loading
    case prefill(tokens: Int)
    case generating(tokens: Int)
    case done(tokens: Int, seconds: Double)
    case failed(String)
}

/// Stages after the panel.
public enum FusionStage: String, Sendable {
    case judge, synthesis, aggregate
}
