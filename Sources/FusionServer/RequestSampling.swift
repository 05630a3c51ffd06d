import Fusion
import Llama

/// The sampling knobs a chat request can set, shared by one model's parameters and a fusion's
/// panel so both routes read the request the same way.
protocol SamplingKnobs {
    var topK: Int { get set }
    var topP: Double { get set }
    var minP: Double { get set }
    var repeatPenalty: Double { get set }
    var frequencyPenalty: Double { get set }
    var presencePenalty: Double { get set }
}

extension GenerationParameters: SamplingKnobs {}
extension FusionRequest: SamplingKnobs {}

extension ChatCompletionRequest {
    /// Copies every sampling field the client sent onto `target`; fields it left out keep
    /// `target`'s defaults. Temperature, seed and length differ per route and are set there.
    func applySampling<Target: SamplingKnobs>(to target: inout Target) {
        if let topK { target.topK = topK }
        if let topP { target.topP = topP }
        if let minP { target.minP = minP }
        if let repeatPenalty { target.repeatPenalty = repeatPenalty }
        if let frequencyPenalty { target.frequencyPenalty = frequencyPenalty }
        if let presencePenalty { target.presencePenalty = presencePenalty }
    }
}
