import Synchronization

/// A one-way "stop now" signal shared between a consumer and a decode loop on another thread.
final class CancellationFlag: Sendable {
    private let state = Atomic<Bool>(false)
    func cancel() { state.store(true, ordering: .relaxed) }
    var isCancelled: Bool { state.load(ordering: .relaxed) }
}

/// A running generation: its event stream and a way to stop it.
///
/// ```swift
/// let generation = session.generate(.chat([.user("Tell me a story")]))
/// for try await event in generation.events {
///     if case .text(let t) = event { print(t, terminator: "") }
/// }
/// ```
/// `cancel()` stops decoding within one token; the stream then ends with a `.finished` event whose
/// stop reason is `.cancelled`. Abandoning the stream (breaking out of the loop) cancels too.
public struct Generation<Event: Sendable>: Sendable {
    /// Events in order; the stream finishes after the last `.finished` event, or throws.
    public let events: AsyncThrowingStream<Event, Error>
    let flag: CancellationFlag

    /// Stops the generation as soon as the current token is done.
    public func cancel() { flag.cancel() }
}
