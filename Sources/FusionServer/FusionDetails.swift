import Fusion
import Llama

/// The extra top-level `fusion` object of a response: what the panel said, what the judge found,
/// which seats failed, the memory plan and the replayable trace. Clients that do not know it
/// ignore it; the `content` of the message is the final answer.
struct FusionDetails: Encodable, Sendable {
    /// How fusion was asked for: `model` (`fusion`, `fusion/<preset>`), `plugin` or `tool`.
    var route: String
    var preset: String?
    var status: FusionResult.Status
    var failureReason: String?
    var error: String?
    var analysis: FusionAnalysis?
    var responses: [SeatResponse]
    var failedModels: [FailedModel]
    /// Tokens of the fusion alone (the response's `usage` also counts the outer model for the tool).
    var usage: WireUsage
    var trace: FusionTrace
    /// For the tool route: the fused answer the outer model received as the tool result.
    var toolResult: String?

    init(route: String, preset: String?, result: FusionResult, toolResult: String? = nil) {
        self.route = route
        self.preset = preset
        status = result.status
        failureReason = result.failureReason
        error = result.error
        analysis = result.analysis
        responses = result.responses
        failedModels = result.failedModels
        usage = WireUsage(result.usage)
        trace = result.trace
        self.toolResult = toolResult
    }
}
