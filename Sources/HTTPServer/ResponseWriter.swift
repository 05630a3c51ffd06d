// What a handler uses to answer: either one complete response, or a streamed one (chunked transfer
// encoding) written piece by piece, with Server-Sent Events helpers on top. Writing never blocks a
// thread and never fails loudly: after the client has gone, writes return false and are dropped, so a
// handler can finish its bookkeeping without special cases. Handlers learn about a disconnect three
// ways: their task is cancelled, `isClientGone` turns true, and `onDisconnect` actions run.

/// Writes the response to one request. Safe to use from any task; each call is atomic.
public final class ResponseWriter: Sendable {
    private enum Phase {
        case idle
        case streaming(chunked: Bool, suppressBody: Bool)
        case finished
    }

    private let phase = Locked(Phase.idle)
    private let channel: ResponseChannel
    private let isHeadRequest: Bool
    private let version: HTTPVersion
    private let clientWantsKeepAlive: Bool
    private let serverIsDraining: @Sendable () -> Bool
    private let metrics: MetricsRecorder

    init(channel: ResponseChannel, request: HTTPRequest, serverIsDraining: @escaping @Sendable () -> Bool,
         metrics: MetricsRecorder) {
        self.channel = channel
        self.isHeadRequest = request.method == "HEAD"
        self.version = request.version
        self.clientWantsKeepAlive = request.wantsKeepAlive
        self.serverIsDraining = serverIsDraining
        self.metrics = metrics
    }

    // MARK: - State

    /// True once the client has disconnected (or the server force-closed the connection); further
    /// writes are dropped. Long-running handlers should check this or rely on task cancellation.
    public var isClientGone: Bool { channel.isClientGone }

    /// Whether a response head has been queued (by `send`, `startStream` or a first `write`).
    public var hasStartedResponse: Bool {
        phase.withLock { if case .idle = $0 { return false } else { return true } }
    }

    /// Runs `action` once when the client disconnects before the response is complete, or right
    /// away if it already has. It runs on a server thread: keep it short and non-blocking (cancel a
    /// task, set a flag). The handler's own task is cancelled as well.
    public func onDisconnect(_ action: @escaping @Sendable () -> Void) {
        channel.onDisconnect(action)
    }

    // MARK: - Complete responses

    /// Sends a complete response with `Content-Length`. Returns false if a response was already
    /// started or the client is gone.
    @discardableResult
    public func send(_ response: HTTPResponse) -> Bool {
        emit { phase in
            guard case .idle = phase else { return nil }
            phase = .finished
            let omitBody = isHeadRequest || response.status.forbidsBody
            var bytes = head(status: response.status, headers: response.headers,
                             framing: response.status.forbidsBody ? .none : .contentLength(response.body.count))
            if !omitBody { bytes += response.body }
            return bytes
        }
    }

    /// Sends a complete response built from its parts.
    @discardableResult
    public func send(status: HTTPStatus = .ok, headers: HTTPHeaders = [:], body: [UInt8] = []) -> Bool {
        send(HTTPResponse(status: status, headers: headers, body: body))
    }

    /// Sends an error in OpenAI's JSON shape (see ``OpenAIErrorBody``).
    @discardableResult
    public func sendError(_ status: HTTPStatus, message: String, type: String? = nil,
                          param: String? = nil, code: String? = nil) -> Bool {
        send(.openAIError(status, message: message, type: type, param: param, code: code))
    }

    // MARK: - Streamed responses

    /// Sends the head of a streamed response (chunked for HTTP/1.1; for HTTP/1.0 clients the body
    /// ends when the connection closes). Returns false if a response was already started.
    @discardableResult
    public func startStream(status: HTTPStatus = .ok, headers: HTTPHeaders = [:]) -> Bool {
        emit { phase in
            guard case .idle = phase else { return nil }
            return startStreamLocked(&phase, status: status, headers: headers)
        }
    }

    /// Starts a Server-Sent Events stream: `text/event-stream`, no caching, no proxy buffering.
    @discardableResult
    public func startEventStream(status: HTTPStatus = .ok, headers: HTTPHeaders = [:]) -> Bool {
        startStream(status: status, headers: Self.eventStreamHeaders(merging: headers))
    }

    /// Writes one piece of a streamed body, starting a default stream (200) first if needed.
    /// Suspends while the client is reading slower than the handler writes (backpressure).
    /// Returns false once the client is gone or the response was finished.
    @discardableResult
    public func write(_ bytes: [UInt8]) async -> Bool {
        let accepted = emit { phase in
            var out: [UInt8] = []
            if case .idle = phase { out = startStreamLocked(&phase, status: .ok, headers: [:]) }
            guard case .streaming(let chunked, let suppressBody) = phase else { return nil }
            if suppressBody || bytes.isEmpty { return out }
            if chunked {
                out += Array(String(bytes.count, radix: 16).utf8) + [0x0D, 0x0A] + bytes + [0x0D, 0x0A]
            } else {
                out += bytes
            }
            return out
        }
        guard accepted else { return false }
        await channel.waitForDrain()
        return !channel.isClientGone
    }

    /// Writes UTF-8 text as one piece of a streamed body.
    @discardableResult
    public func write(_ text: String) async -> Bool {
        await write(Array(text.utf8))
    }

    /// Writes one Server-Sent Event: `data: …` for each line of `data` (a multi-line payload becomes
    /// several `data:` lines, as the SSE format requires), optionally preceded by `event:`, then a
    /// blank line. Starts an event stream first if nothing was sent yet.
    @discardableResult
    public func sendEvent(data: String, event: String? = nil) async -> Bool {
        startEventStreamIfIdle()
        var text = ""
        if let event { text += "event: \(Self.singleLine(event))\n" }
        for line in Self.lines(of: data) { text += "data: \(line)\n" }
        text += "\n"
        return await write(text)
    }

    /// Writes an SSE comment (`: …` lines, then a blank line). Clients ignore comments, which makes
    /// them safe for keep-alive pings and progress notes.
    @discardableResult
    public func sendComment(_ comment: String) async -> Bool {
        startEventStreamIfIdle()
        let text = Self.lines(of: comment).map { ": \($0)\n" }.joined() + "\n"
        return await write(text)
    }

    /// Ends a streamed response (the terminating zero-length chunk). Does nothing for a complete
    /// response; the server calls it anyway when the handler returns.
    public func finish() {
        emit { phase in
            guard case .streaming(let chunked, let suppressBody) = phase else { return nil }
            phase = .finished
            return chunked && !suppressBody ? Array("0\r\n\r\n".utf8) : []
        }
    }

    // MARK: - Server side

    /// Called after the handler returns: a handler that sent nothing gets a 500 (a bug, but the
    /// client still deserves an answer); an unfinished stream is finished.
    func completeAfterHandler() {
        let sentNothing = phase.withLock { if case .idle = $0 { return true } else { return false } }
        if sentNothing {
            sendError(.internalServerError, message: "The server produced no response for this request.")
        }
        finish()
    }

    /// Runs `transition` under the phase lock and queues the bytes it returns, so that concurrent
    /// writes, `finish` and completion can never interleave framing.
    @discardableResult
    private func emit(_ transition: (inout Phase) -> [UInt8]?) -> Bool {
        phase.withLock { phase in
            guard let bytes = transition(&phase) else { return false }
            return channel.enqueue(bytes)
        }
    }

    private func startStreamLocked(_ phase: inout Phase, status: HTTPStatus, headers: HTTPHeaders) -> [UInt8] {
        // HTTP/1.0 has no chunked coding: delimit the body by closing the connection instead.
        let chunked = version != .http1_0
        phase = .streaming(chunked: chunked, suppressBody: isHeadRequest || status.forbidsBody)
        if !chunked { channel.requestCloseAfterResponse() }
        return head(status: status, headers: headers, framing: chunked ? .chunked : .untilClose)
    }

    private func startEventStreamIfIdle() {
        emit { phase in
            guard case .idle = phase else { return nil }
            return startStreamLocked(&phase, status: .ok, headers: Self.eventStreamHeaders(merging: [:]))
        }
    }

    /// The head for this response, deciding whether the connection stays open after it.
    private func head(status: HTTPStatus, headers: HTTPHeaders, framing: BodyFraming) -> [UInt8] {
        metrics.recordResponse(status)
        let close = !clientWantsKeepAlive || serverIsDraining() || framing == .untilClose
            || headers.tokens(for: "Connection").contains("close")
        if close { channel.requestCloseAfterResponse() }
        let directive: ConnectionDirective = close ? .close : (version == .http1_0 ? .keepAlive : .implicit)
        return ResponseHead.bytes(status: status, headers: headers, framing: framing, connection: directive)
    }

    private static func eventStreamHeaders(merging headers: HTTPHeaders) -> HTTPHeaders {
        var merged = headers
        if !merged.contains("Content-Type") { merged.add(name: "Content-Type", value: "text/event-stream; charset=utf-8") }
        if !merged.contains("Cache-Control") { merged.add(name: "Cache-Control", value: "no-cache") }
        // Tells nginx-style reverse proxies not to buffer the stream.
        if !merged.contains("X-Accel-Buffering") { merged.add(name: "X-Accel-Buffering", value: "no") }
        return merged
    }

    /// Splits on CRLF, LF or CR: the three line ends SSE recognises.
    private static func lines(of text: String) -> [Substring] {
        text.split(omittingEmptySubsequences: false, whereSeparator: { $0 == "\n" || $0 == "\r" || $0 == "\r\n" })
    }

    private static func singleLine(_ text: String) -> String {
        String(text.map { $0 == "\n" || $0 == "\r" || $0 == "\r\n" ? " " : $0 })
    }
}
