import Foundation
import Llama

/// A seat resolved to a file, with its sampling settings fixed (seeds included).
struct ResolvedSeat: Sendable {
    var index: Int
    var spec: SeatSpec
    var path: String
    var parameters: [GenerationParameters]   // one per sample
    var estimateBytes: Int64
    var contextSize: Int
    var estimate: MemoryEstimate
    /// The chain link this seat came from.
    var link: SeatLink
    /// Links to try, in order, if this one fails.
    var fallbacks: [SeatLink] = []
    /// Links passed over before this one, with the reason.
    var skipped: [String] = []
}

/// Runs one seat on a leased session: one prompt, `samples` answers (batched when more than one).
struct SeatRunner: Sendable {
    let scheduler: ModelScheduler<LlamaSession>
    /// The request's own memory budget, when it set one (see `FusionEngine.Prepared.leaseLimitBytes`).
    let limitBytes: Int64?
    let emit: @Sendable (FusionEvent) -> Void

    struct Outcome: Sendable {
        var responses: [SeatResponse] = []
        var failure: FailedModel?
        var busySeconds: Double = 0
        var loadSeconds: Double = 0
    }

    /// Never throws: every problem becomes a `FailedModel` with a typed reason.
    func run(_ seat: ResolvedSeat, messages: [ChatMessage], threads: Int, timeout: Double?) async -> Outcome {
        var outcome = Outcome()
        let model = seat.spec.model
        func fail(_ reason: FailedModel.Reason, _ message: String) -> Outcome {
            emit(.seat(index: seat.index, model: model, .failed(message)))
            let failure = FailedModel(seat: seat.index, model: model, reason: reason, message: message)
            emit(.seatFailed(failure))
            outcome.failure = failure
            return outcome
        }

        emit(.seat(index: seat.index, model: model, .loading))
        let key = ModelKey(path: seat.path, contextSize: seat.contextSize, sequences: seat.parameters.count)
        let loadStart = ContinuousClock.now
        let lease: ModelLease<LlamaSession>
        do {
            lease = try await scheduler.lease(key, estimateBytes: seat.estimateBytes, limitBytes: limitBytes)
        } catch is CancellationError {
            return fail(.cancelled, "cancelled before the model was loaded")
        } catch let error as SchedulerError {
            if case .queueFull = error { return fail(.busy, error.description) }
            return fail(.memory, error.description)
        } catch {
            return fail(.loadError, String(describing: error))
        }
        outcome.loadSeconds = (ContinuousClock.now - loadStart).seconds
        let session = lease.resource
        session.setThreads(threads)

        let start = ContinuousClock.now
        let generation = session.generateBatch(.chat(messages), parameters: seat.parameters, reusePrefix: false)
        let watchdog = timeout.map { seconds in
            Task {
                try? await Task.sleep(for: .seconds(seconds))
                if !Task.isCancelled { generation.cancel() }
            }
        }
        var summaries = [GenerationSummary?](repeating: nil, count: seat.parameters.count)
        var generated = 0
        var failure: (FailedModel.Reason, String)?
        await withTaskCancellationHandler {
            do {
                for try await event in generation.events {
                    switch event {
                    case .promptProcessed(let tokens, _):
                        emit(.seat(index: seat.index, model: model, .prefill(tokens: tokens)))
                    case .text(let sample, let text):
                        generated += 1   // text pieces, close to tokens; for the live status only
                        emit(.seatDelta(seat: seat.index, sample: sample, text: text))
                        if generated % 8 == 0 { emit(.seat(index: seat.index, model: model, .generating(tokens: generated))) }
                    case .finished(let sample, let summary):
                        summaries[sample] = summary
                    }
                }
            } catch let error as LlamaError {
                failure = (.decodeError, error.description)
            } catch {
                failure = (.decodeError, String(describing: error))
            }
        } onCancel: {
            generation.cancel()
        }
        watchdog?.cancel()
        await scheduler.release(lease)
        let seconds = (ContinuousClock.now - start).seconds
        outcome.busySeconds = seconds

        if let failure { return fail(failure.0, failure.1) }
        let timedOut = timeout.map { seconds >= $0 } ?? false
        for (sample, summary) in summaries.enumerated() {
            guard let summary else { continue }
            if summary.stopReason == .cancelled {
                if timedOut { return fail(.timeout, "no answer within \(timeout!) s") }
                return fail(.cancelled, "cancelled")
            }
            let r = SeatResponse(
                seat: seat.index, sample: sample, model: model, label: nil, text: summary.text,
                finishReason: summary.stopReason, usage: summary.usage, seed: summary.seed,
                prefillTokensPerSecond: summary.timings.prefillTokensPerSecond,
                decodeTokensPerSecond: summary.timings.decodeTokensPerSecond,
                seconds: summary.timings.prefillSeconds + summary.timings.decodeSeconds, source: seat.link.description)
            outcome.responses.append(r)
            emit(.seatFinished(r))
        }
        if outcome.responses.isEmpty {
            return fail(Task.isCancelled ? .cancelled : .decodeError, "the model produced no answer")
        }
        let tokens = outcome.responses.reduce(0) { $0 + $1.usage.completionTokens }
        emit(.seat(index: seat.index, model: model, .done(tokens: tokens, seconds: seconds)))
        return outcome
    }
}

extension Duration {
    var seconds: Double {
        let (s, atto) = components
        return Double(s) + Double(atto) / 1e18
    }
}
