import Foundation
import Llama
import OpenAIClient

/// Runs a seat on a remote provider: one streamed call per sample, reported with the same events
/// as a local seat. Holds no memory budget and no cores, so it runs beside the local panel.
struct RemoteSeatRunner: Sendable {
    let emit: @Sendable (FusionEvent) -> Void

    /// Never throws: problems become a `FailedModel` (`remote_error`, `timeout`, `cancelled`).
    func run(_ seat: RemoteSeat, messages: [ChatMessage], timeout: Double?) async -> SeatRunner.Outcome {
        var outcome = SeatRunner.Outcome()
        let label = seat.spec.model
        emit(.seat(index: seat.index, model: label, .loading))
        var overall = seat.provider.timeout
        if let timeout { overall = min(overall, timeout) }
        let endpoint = RemoteEndpoint(baseURL: seat.provider.baseURL, apiKey: seat.apiKey,
                                      connectTimeout: seat.provider.connectTimeout, readTimeout: min(overall, 60),
                                      overallTimeout: overall, maxRetries: seat.provider.maxRetries)
        let client = RemoteChatClient(endpoint: endpoint)
        let remoteMessages = messages.map { RemoteMessage(role: $0.role == .tool ? "tool" : $0.role.rawValue, content: $0.content) }
        let start = ContinuousClock.now
        for (sample, parameters) in seat.parameters.enumerated() {
            var request = RemoteChatRequest(model: seat.model, messages: remoteMessages, maxTokens: parameters.maxTokens,
                                            temperature: parameters.temperature, topP: parameters.topP,
                                            seed: Int(parameters.seed), stop: parameters.stop.isEmpty ? nil : parameters.stop)
            // Sent only when set, so providers that reject the fields still work by default.
            if parameters.frequencyPenalty != 0 { request.frequencyPenalty = parameters.frequencyPenalty }
            if parameters.presencePenalty != 0 { request.presencePenalty = parameters.presencePenalty }
            let sampleStart = ContinuousClock.now
            var pieces = 0
            var reply: RemoteChatReply?
            do {
                for try await event in client.stream(request) {
                    switch event {
                    case .delta(let text):
                        pieces += 1
                        emit(.seatDelta(seat: seat.index, sample: sample, text: text))
                        if pieces % 8 == 0 { emit(.seat(index: seat.index, model: label, .generating(tokens: pieces))) }
                    case .finished(let finished):
                        reply = finished
                    }
                }
            } catch let error as RemoteError {
                outcome.busySeconds = (ContinuousClock.now - start).seconds
                return fail(seat, error.failureReason, "\(seat.link): \(error.description)", &outcome)
            } catch {
                return fail(seat, .remoteError, "\(seat.link): \(error)", &outcome)
            }
            // A stream that ended without its last event was cancelled by our side.
            guard let reply else { return fail(seat, .cancelled, "\(seat.link): cancelled", &outcome) }
            let seconds = (ContinuousClock.now - sampleStart).seconds
            let usage = TokenUsage(promptTokens: reply.usage?.promptTokens ?? 0, completionTokens: reply.usage?.completionTokens ?? pieces)
            let response = SeatResponse(
                seat: seat.index, sample: sample, model: label, label: nil, text: reply.text,
                finishReason: reply.finishReason == "length" ? .length : .stop, usage: usage, seed: parameters.seed,
                prefillTokensPerSecond: 0, decodeTokensPerSecond: seconds > 0 ? Double(usage.completionTokens) / seconds : 0,
                seconds: seconds, source: seat.link.description,
                cost: (Double(usage.promptTokens) * seat.provider.inputPrice + Double(usage.completionTokens) * seat.provider.outputPrice) / 1e6)
            outcome.responses.append(response)
            emit(.seatFinished(response))
        }
        outcome.busySeconds = (ContinuousClock.now - start).seconds
        let tokens = outcome.responses.reduce(0) { $0 + $1.usage.completionTokens }
        emit(.seat(index: seat.index, model: label, .done(tokens: tokens, seconds: outcome.busySeconds)))
        return outcome
    }

    private func fail(_ seat: RemoteSeat, _ reason: FailedModel.Reason, _ message: String,
                      _ outcome: inout SeatRunner.Outcome) -> SeatRunner.Outcome {
        emit(.seat(index: seat.index, model: seat.spec.model, .failed(message)))
        let failure = FailedModel(seat: seat.index, model: seat.spec.model, reason: reason, message: message)
        emit(.seatFailed(failure))
        outcome.failure = failure
        outcome.responses = []
        return outcome
    }
}

extension RemoteError {
    var failureReason: FailedModel.Reason {
        switch self {
        case .timeout: return .timeout
        case .cancelled: return .cancelled
        default: return .remoteError
        }
    }
}
