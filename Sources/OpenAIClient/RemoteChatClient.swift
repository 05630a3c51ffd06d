// The public entry point: chat completions against one OpenAI-compatible endpoint.
import Foundation

/// Sends chat completions to one ``RemoteEndpoint`` over libcurl. Each call runs its transfer
/// (and its retries) on a dedicated thread, because curl blocks and Swift's cooperative pool must
/// not; the async methods only wait for it. Cancelling the calling task, or dropping the stream,
/// aborts the transfer within ~50 ms and surfaces as ``RemoteError/cancelled``.
public final class RemoteChatClient: Sendable {
    /// Where requests go.
    public let endpoint: RemoteEndpoint

    /// Creates a client; no connection is made until a request is sent.
    public init(endpoint: RemoteEndpoint) {
        self.endpoint = endpoint
    }

    /// A non-streamed completion. Throws ``RemoteError``.
    public func complete(_ request: RemoteChatRequest) async throws -> RemoteChatReply {
        var request = request
        request.stream = false
        let runner = CallRunner(endpoint: endpoint, request: request, cancellation: CancellationFlag(), emit: { _ in })
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<RemoteChatReply, any Error>) in
                Self.startThread(name: "remote-complete") {
                    continuation.resume(with: runner.run().mapError { $0 as any Error })
                }
            }
        } onCancel: {
            runner.cancellation.cancel()
        }
    }

    /// A streamed completion: `.delta` for each piece of text as the server's events arrive,
    /// then one `.finished` with the whole reply. Errors (``RemoteError``) end the stream.
    /// Nothing is retried once a delta has been yielded. A consumer cancelled while waiting for
    /// the next event gets ``RemoteError/cancelled``; one cancelled between events gets the plain
    /// end of the sequence (standard `AsyncThrowingStream` behaviour), so treat an end without
    /// `.finished` as cancelled.
    public func stream(_ request: RemoteChatRequest) -> AsyncThrowingStream<RemoteStreamEvent, any Error> {
        var request = request
        request.stream = true
        let channel = EventChannel<RemoteStreamEvent>()
        let cancellation = CancellationFlag()
        let runner = CallRunner(endpoint: endpoint, request: request, cancellation: cancellation,
                                emit: { channel.yield(.delta($0)) })
        Self.startThread(name: "remote-stream") {
            switch runner.run() {
            case .success(let reply):
                channel.yield(.finished(reply))
                channel.finish()
            case .failure(let error):
                channel.finish(throwing: error)
            }
        }
        let handle = StreamHandle(channel: channel, cancellation: cancellation)
        return AsyncThrowingStream(unfolding: { try await handle.next() })
    }

    private static func startThread(name: String, _ body: @escaping @Sendable () -> Void) {
        let thread = Thread(block: body)
        thread.name = name
        thread.start()
    }
}

/// The consumer's end of a stream. The unfolding closure owns it, so when the stream (or its
/// iterator) is dropped, `deinit` cancels the transfer.
private final class StreamHandle: Sendable {
    let channel: EventChannel<RemoteStreamEvent>
    let cancellation: CancellationFlag

    init(channel: EventChannel<RemoteStreamEvent>, cancellation: CancellationFlag) {
        self.channel = channel
        self.cancellation = cancellation
    }

    deinit { cancellation.cancel() }

    /// The next event; cancelling the waiting task ends the stream with `RemoteError.cancelled`
    /// at once and aborts the transfer.
    func next() async throws -> RemoteStreamEvent? {
        try await withTaskCancellationHandler {
            if Task.isCancelled { cancel() }
            return try await channel.next()
        } onCancel: {
            cancel()
        }
    }

    private func cancel() {
        cancellation.cancel()
        channel.finish(throwing: RemoteError.cancelled)
    }
}
