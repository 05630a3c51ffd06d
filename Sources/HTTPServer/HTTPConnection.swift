// One client connection, served by its own thread with blocking-style logic over poll(2): read and
// parse requests, run the handler for each one as a detached task, and pump that task's output to
// the socket while watching for the client going away. Requests on one connection are served
// strictly in order (that is what HTTP/1.1 pipelining requires); bytes of the next request that
// arrive early wait in the parser.
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// A connection and the thread loop that serves it.
final class HTTPConnection: @unchecked Sendable {
    private struct Shared {
        var forceClosed = false
        var current: ResponseChannel?
    }

    /// Bytes of following requests we are willing to read ahead while a handler runs; reading them
    /// is how an EOF (client gone) gets noticed, but it must not grow without bound.
    private static let maxReadAhead = 64 * 1024
    /// The most a lingering close reads and discards, and for how long, before giving up.
    private static let lingerBytes = 64 * 1024 * 1024
    private static let lingerTime = Duration.seconds(2)
    private static let continueBytes = Array("HTTP/1.1 100 Continue\r\n\r\n".utf8)

    private let socket: Socket
    private let wake: WakePipe
    private let core: ServerCore
    private let shared = Locked(Shared())
    // Touched only by the connection's own thread.
    private var parser: HTTPRequestParser
    private var readBuffer = [UInt8](repeating: 0, count: 64 * 1024)

    init(socket: Socket, core: ServerCore) throws(HTTPServerError) {
        self.socket = socket
        self.core = core
        self.wake = try WakePipe()
        self.parser = HTTPRequestParser(limits: core.configuration.parserLimits)
    }

    private var configuration: HTTPServerConfiguration { core.configuration }

    /// The thread body: serve until the connection ends, then release everything.
    func run() {
        serve()
        socket.close()
        core.remove(self)
    }

    /// Wakes the thread so it re-checks the server's draining flag (an idle connection then closes).
    func nudge() {
        wake.signal()
    }

    /// Ends the connection now, abandoning any response in progress (cancels its handler).
    func forceClose() {
        let channel = shared.withLock { shared -> ResponseChannel? in
            shared.forceClosed = true
            return shared.current
        }
        channel?.markClientGone()
        socket.shutdown()
        wake.signal()
    }

    private var isForceClosed: Bool { shared.withLock { $0.forceClosed } }

    // MARK: - Request loop

    private func serve() {
        var idleSince = ContinuousClock.now
        var requestStartedAt: ContinuousClock.Instant?
        while true {
            while let event = parser.next() {
                switch event {
                case .continueExpected:
                    guard socket.sendAll(Self.continueBytes, deadline: .now + configuration.writeTimeout) else { return }
                case .failure(let error):
                    reject(error)
                    return
                case .request(let request):
                    guard serve(request) else { return }
                    idleSince = .now
                    requestStartedAt = parser.isMidRequest ? .now : nil
                }
            }
            if !parser.isMidRequest { requestStartedAt = nil }
            if isForceClosed || (core.isDraining && !parser.isMidRequest) { return }

            let deadline = requestStartedAt.map { $0 + configuration.readTimeout } ?? idleSince + configuration.idleTimeout
            let result = Socket.poll(fd: socket.fd, events: Int16(POLLIN), wake: wake,
                                     timeout: Socket.milliseconds(until: deadline))
            if result.woken { wake.drain() }
            if result.timedOut {
                if parser.isMidRequest {
                    reject(HTTPParseError(.requestTimeout, "The request was not received within the read timeout."))
                }
                return  // an idle keep-alive connection just closes
            }
            guard result.readable || result.hangUp else { continue }
            switch readIntoParser() {
            case .bytes:
                if requestStartedAt == nil && parser.isMidRequest { requestStartedAt = .now }
            case .wouldBlock:
                continue
            case .endOfStream, .failed:
                return  // includes a truncated request: nobody is left to answer
            }
        }
    }

    private func readIntoParser() -> Socket.ReadResult {
        let result = readBuffer.withUnsafeMutableBytes { socket.receive(into: $0) }
        if case .bytes(let count) = result {
            readBuffer.withUnsafeBytes { parser.append(UnsafeRawBufferPointer(rebasing: $0[..<count])) }
        }
        return result
    }

    /// Runs the handler for `request` and delivers its response. Returns whether the connection
    /// can carry another request.
    private func serve(_ request: HTTPRequest) -> Bool {
        let channel = ResponseChannel(wake: wake, highWatermark: configuration.writeBufferHighWatermark)
        let core = self.core
        let writer = ResponseWriter(channel: channel, request: request,
                                    serverIsDraining: { core.isDraining }, metrics: core.metrics)
        let forceClosed = shared.withLock { shared -> Bool in
            shared.current = channel
            return shared.forceClosed
        }
        if forceClosed { channel.markClientGone() }
        core.metrics.requestStarted()
        let handler = core.handler
        // Detached: the handler must not inherit anything from this thread's (non-)context, and a
        // disconnect cancels exactly this task.
        let task = Task.detached {
            await handler(request, writer)
            writer.completeAfterHandler()
            channel.markHandlerDone()
        }
        channel.attach(task)

        let delivered = pump(channel)
        shared.withLock { $0.current = nil }
        core.metrics.requestFinished(clientGone: !delivered)
        return delivered && !channel.closeAfterResponse && !isForceClosed
    }

    /// Moves the handler's output to the socket until the response is complete, reading ahead to
    /// notice a disconnect (EOF or reset) while the handler is still working. Returns true when the
    /// whole response was delivered.
    private func pump(_ channel: ResponseChannel) -> Bool {
        var lastProgress = ContinuousClock.now
        var hadPending = false
        while true {
            let status = channel.status
            if status.clientGone {
                waitForHandler(channel)
                return false
            }
            if status.handlerDone && !status.hasPending { return true }
            if status.hasPending && !hadPending { lastProgress = .now }  // the write clock starts now
            hadPending = status.hasPending

            var events: Int16 = 0
            if status.hasPending { events |= Int16(POLLOUT) }
            if parser.bufferedByteCount < Self.maxReadAhead { events |= Int16(POLLIN) }
            let timeout = status.hasPending
                ? Socket.milliseconds(until: lastProgress + configuration.writeTimeout)
                : -1
            let result = Socket.poll(fd: socket.fd, events: events, wake: wake, timeout: timeout)
            if result.woken { wake.drain() }
            if result.readable {
                switch readIntoParser() {
                case .bytes, .wouldBlock: break
                case .endOfStream, .failed: channel.markClientGone(); continue
                }
            } else if result.hangUp {
                channel.markClientGone()
                continue
            }
            if result.writable {
                switch channel.flush(to: socket) {
                case .progressed: lastProgress = .now
                case .failed: channel.markClientGone(); continue
                case .blocked, .idle: break
                }
            }
            if status.hasPending && ContinuousClock.now - lastProgress >= configuration.writeTimeout {
                channel.markClientGone()  // the client stopped reading
            }
        }
    }

    /// After a disconnect: release the socket at once, then wait for the (cancelled) handler to
    /// return so that in-flight counts and graceful shutdown stay truthful.
    private func waitForHandler(_ channel: ResponseChannel) {
        socket.close()
        while !channel.status.handlerDone {
            _ = Socket.poll(fd: wake.readEnd, events: Int16(POLLIN), wake: nil, timeout: -1)
            wake.drain()
        }
    }

    // MARK: - Errors

    /// Answers a request the parser refused, then closes the connection.
    private func reject(_ error: HTTPParseError) {
        core.metrics.requestRejected()
        core.metrics.recordResponse(error.status)
        let response = error.response
        let bytes = ResponseHead.bytes(status: response.status, headers: response.headers,
                                       framing: .contentLength(response.body.count), connection: .close)
            + response.body
        let deadline = ContinuousClock.now + min(configuration.writeTimeout, .seconds(5))
        guard socket.sendAll(bytes, deadline: deadline) else { return }
        lingeringClose()
    }

    /// Closing right after an error while the client is still sending (say, a 10 MB body we refused)
    /// makes the kernel send RST, which can destroy our error response before the client reads it.
    /// So: send FIN, then read and discard for a bounded time until the client closes too.
    private func lingeringClose() {
        socket.shutdownWrite()
        let deadline = ContinuousClock.now + Self.lingerTime
        var discarded = 0
        while discarded < Self.lingerBytes {
            let result = Socket.poll(fd: socket.fd, events: Int16(POLLIN), wake: nil,
                                     timeout: Socket.milliseconds(until: deadline))
            if result.timedOut || !(result.readable || result.hangUp) { return }
            switch readBuffer.withUnsafeMutableBytes({ socket.receive(into: $0) }) {
            case .bytes(let count): discarded += count
            case .wouldBlock: continue
            case .endOfStream, .failed: return
            }
        }
    }
}
