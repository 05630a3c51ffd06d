// Hands events from a transfer thread to one async consumer, buffering in between.
import Synchronization

/// An unbounded single-consumer queue: the producer thread never blocks (a chat stream is small),
/// the consumer suspends until an element or the end arrives. The first terminal (finish or
/// error) wins; later yields are dropped. Used instead of `AsyncThrowingStream.makeStream`
/// because a consumer's cancellation must surface as `RemoteError.cancelled`, not as a silent end.
final class EventChannel<Element: Sendable>: Sendable {
    private struct State {
        var buffer: [Element] = []
        var terminal: (any Error)?? = nil       // .some(nil): finished cleanly
        var terminalDelivered = false
        var waiter: CheckedContinuation<Element?, any Error>?
    }

    private enum Step {
        case deliver(Element)
        case end((any Error)?)
        case wait
    }

    private let state = Mutex(State())

    /// Appends an element unless the channel already ended.
    func yield(_ element: Element) {
        let waiter: CheckedContinuation<Element?, any Error>? = state.withLock { state in
            guard state.terminal == nil else { return nil }
            if let waiter = state.waiter {
                state.waiter = nil
                return waiter
            }
            state.buffer.append(element)
            return nil
        }
        waiter?.resume(returning: element)
    }

    /// Ends the channel after the buffered elements, with an error or cleanly. Only the first
    /// call counts.
    func finish(throwing error: (any Error)? = nil) {
        let waiter: CheckedContinuation<Element?, any Error>? = state.withLock { state in
            guard state.terminal == nil else { return nil }
            state.terminal = .some(error)
            guard let waiter = state.waiter else { return nil }
            state.waiter = nil
            state.terminalDelivered = true
            return waiter
        }
        guard let waiter else { return }
        if let error { waiter.resume(throwing: error) } else { waiter.resume(returning: nil) }
    }

    /// The next element, nil at the end; throws the terminal error once.
    func next() async throws -> Element? {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Element?, any Error>) in
            let step: Step = state.withLock { state in
                if !state.buffer.isEmpty { return .deliver(state.buffer.removeFirst()) }
                if let terminal = state.terminal {
                    if state.terminalDelivered { return .end(nil) }
                    state.terminalDelivered = true
                    return .end(terminal)
                }
                precondition(state.waiter == nil, "EventChannel supports one consumer at a time")
                state.waiter = continuation
                return .wait
            }
            switch step {
            case .deliver(let element): continuation.resume(returning: element)
            case .end(let error?): continuation.resume(throwing: error)
            case .end(nil): continuation.resume(returning: nil)
            case .wait: break
            }
        }
    }
}
