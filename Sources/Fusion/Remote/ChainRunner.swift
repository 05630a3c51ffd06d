import Foundation
import Llama

/// Runs a seat and, when its link fails, the next links of its chain (local → smaller local →
/// remote, as the providers file orders them) until one answers. The answer records which link
/// answered and why the earlier ones were passed over.
struct ChainRunner: Sendable {
    let local: SeatRunner
    let remote: RemoteSeatRunner
    let resolver: SeatChainResolver

    func run(_ seat: ResolvedSeat, messages: [ChatMessage], threads: Int, timeout: Double?) async -> SeatRunner.Outcome {
        let first = await local.run(seat, messages: messages, threads: threads, timeout: timeout)
        return await continueChain(after: first, link: seat.link, index: seat.index, spec: seat.spec, parameters: seat.parameters,
                                   fallbacks: seat.fallbacks, skipped: seat.skipped, messages: messages, threads: threads, timeout: timeout)
    }

    func run(_ seat: RemoteSeat, messages: [ChatMessage], threads: Int, timeout: Double?) async -> SeatRunner.Outcome {
        let first = await remote.run(seat, messages: messages, timeout: timeout)
        return await continueChain(after: first, link: seat.link, index: seat.index, spec: seat.spec, parameters: seat.parameters,
                                   fallbacks: seat.fallbacks, skipped: seat.skipped, messages: messages, threads: threads, timeout: timeout)
    }

    /// Failures a user would want routed elsewhere; a cancelled run or a reached quorum is not one.
    private func shouldFallBack(_ failure: FailedModel) -> Bool {
        ![.cancelled, .quorumReached].contains(failure.reason) && !Task.isCancelled
    }

    private func continueChain(after first: SeatRunner.Outcome, link: SeatLink, index: Int, spec: SeatSpec,
                               parameters: [GenerationParameters], fallbacks: [SeatLink], skipped: [String],
                               messages: [ChatMessage], threads: Int, timeout: Double?) async -> SeatRunner.Outcome {
        var outcome = first
        var skipped = skipped
        var current = link
        var rest = fallbacks
        while let failure = outcome.failure, shouldFallBack(failure), !rest.isEmpty {
            let prefix = "\(current):"
            skipped.append(failure.message.hasPrefix(prefix) ? failure.message : "\(prefix) \(failure.message)")
            current = rest.removeFirst()
            let busy = outcome.busySeconds, loading = outcome.loadSeconds
            switch resolver.resolve(current, index: index, spec: spec, parameters: parameters, chainHasMore: !rest.isEmpty) {
            case .local(let seat):
                outcome = await local.run(seat, messages: messages, threads: threads, timeout: timeout)
            case .remote(let seat):
                outcome = await remote.run(seat, messages: messages, timeout: timeout)
            case let .skipped(why, reason):
                outcome = SeatRunner.Outcome()
                outcome.failure = FailedModel(seat: index, model: spec.model, reason: reason, message: why)
            }
            outcome.busySeconds += busy
            outcome.loadSeconds += loading
        }
        if outcome.failure == nil {
            for i in outcome.responses.indices { outcome.responses[i].skippedLinks = skipped }
        } else if !skipped.isEmpty, var failure = outcome.failure {
            failure.message = (skipped + [failure.message]).joined(separator: "; ")
            outcome.failure = failure
        }
        return outcome
    }
}
