// The public server object: a listening socket served by one accept thread, one thread per
// connection, and an async handler per request. Threads do all blocking socket work so that Swift's
// cooperative pool (two threads on a two-core machine) is never parked in a system call.
import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// An HTTP/1.1 server. Create it with a handler, ``start()`` it, and ``stop(gracePeriod:)`` it.
///
/// ```swift
/// let server = HTTPServer(configuration: .init(port: 8080)) { request, writer in
///     writer.send(.text("hello"))
/// }
/// try server.start()
/// ```
public final class HTTPServer: Sendable {
    /// Answers one request through its ``ResponseWriter``. Runs as its own task, which is cancelled
    /// if the client disconnects before the response is complete. Returning without responding
    /// yields a 500; returning with a stream open finishes the stream.
    public typealias Handler = @Sendable (HTTPRequest, ResponseWriter) async -> Void

    private enum Phase {
        case created
        case running(listener: ListeningSocket, wake: WakePipe)
        case stopping
        case stopped
    }

    private struct State {
        var phase = Phase.created
        var acceptLoopDone = false
        var stopWaiters: [CheckedContinuation<Void, Never>] = []
    }

    private let core: ServerCore
    private let state = Locked(State())
    private let boundPort = Locked(0)

    /// Creates a server; nothing is bound until ``start()``.
    public init(configuration: HTTPServerConfiguration = HTTPServerConfiguration(), handler: @escaping Handler) {
        core = ServerCore(configuration: configuration, handler: handler)
    }

    /// The configuration the server was created with.
    public var configuration: HTTPServerConfiguration { core.configuration }

    /// The port actually bound (differs from the configured one when that was 0); 0 before start.
    public var port: Int { boundPort.value }

    /// A snapshot of the connection and request counters.
    public var metrics: HTTPServerMetrics { core.metrics.snapshot }

    /// Whether the server is accepting connections.
    public var isRunning: Bool {
        state.withLock { if case .running = $0.phase { return true } else { return false } }
    }

    /// Binds the socket and starts accepting connections on a dedicated thread. Also sets SIGPIPE
    /// to ignored for the process: a write to a socket the peer closed must be an error, not death.
    public func start() throws(HTTPServerError) {
        let canStart = state.withLock { state -> Bool in
            if case .created = state.phase { return true } else { return false }
        }
        guard canStart else { throw .alreadyStarted }
        signal(SIGPIPE, SIG_IGN)
        let listener = try ListeningSocket.open(host: configuration.host, port: configuration.port,
                                                backlog: configuration.backlog)
        let wake = try WakePipe()
        let started = state.withLock { state -> Bool in
            guard case .created = state.phase else { return false }
            state.phase = .running(listener: listener, wake: wake)
            return true
        }
        guard started else { throw .alreadyStarted }
        boundPort.withLock { $0 = listener.port }
        let thread = Thread { [self] in
            acceptLoop(listener: listener, wake: wake)
        }
        thread.name = "http-accept"
        thread.start()
    }

    /// Stops the server gracefully: stops accepting at once, closes idle keep-alive connections,
    /// lets requests in flight finish (their responses say `Connection: close`) for up to
    /// `gracePeriod`, then force-closes what remains, which cancels those handlers' tasks.
    /// Returns when every connection is closed (or one second after forcing, for a handler that
    /// ignores cancellation). Calling it again, or before start, just waits for the stop.
    public func stop(gracePeriod: Duration = .seconds(10)) async {
        let running = state.withLock { state -> WakePipe? in
            switch state.phase {
            case .running(_, let wake):
                state.phase = .stopping
                return wake
            case .created:
                state.phase = .stopped
                return nil
            case .stopping, .stopped:
                return nil
            }
        }
        guard let acceptWake = running else {
            await waitUntilStopped()
            return
        }
        acceptWake.signal()
        for connection in core.beginDraining() { connection.nudge() }

        let deadline = ContinuousClock.now + gracePeriod
        await Self.wait(until: deadline) { [self] in
            core.openConnections.isEmpty && state.withLock { $0.acceptLoopDone }
        }
        let remaining = core.openConnections
        if !remaining.isEmpty {
            for connection in remaining { connection.forceClose() }
            await Self.wait(until: .now + .seconds(1)) { [self] in core.openConnections.isEmpty }
        }
        await Self.wait(until: .now + .seconds(1)) { [self] in state.withLock { $0.acceptLoopDone } }

        let waiters = state.withLock { state -> [CheckedContinuation<Void, Never>] in
            state.phase = .stopped
            defer { state.stopWaiters = [] }
            return state.stopWaiters
        }
        for waiter in waiters { waiter.resume() }
    }

    /// Suspends until ``stop(gracePeriod:)`` has completed, e.g. in `main` after a ``SignalTrap``
    /// was set up to call `stop`.
    public func waitUntilStopped() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let stopped = state.withLock { state -> Bool in
                if case .stopped = state.phase { return true }
                state.stopWaiters.append(continuation)
                return false
            }
            if stopped { continuation.resume() }
        }
    }

    // MARK: - Accepting

    private func acceptLoop(listener: ListeningSocket, wake: WakePipe) {
        defer {
            listener.socket.close()
            state.withLock { $0.acceptLoopDone = true }
        }
        while true {
            let result = Socket.poll(fd: listener.socket.fd, events: Int16(POLLIN), wake: wake, timeout: -1)
            if result.woken || !isAccepting() { return }
            guard result.readable else { continue }
            acceptPending(listener)
        }
    }

    /// True until stop begins.
    private func isAccepting() -> Bool {
        state.withLock { if case .running = $0.phase { return true } else { return false } }
    }

    private func acceptPending(_ listener: ListeningSocket) {
        while true {
            switch listener.accept() {
            case .wouldBlock:
                return
            case .failed(let code):
                // Out of descriptors (EMFILE/ENFILE) or memory: the pending connection stays queued and
                // poll would report it again at once, so back off briefly instead of spinning.
                if code == EMFILE || code == ENFILE || code == ENOBUFS || code == ENOMEM { usleep(50_000) }
                return
            case .connection(let socket):
                socket.configureForStreaming()
                guard let connection = try? HTTPConnection(socket: socket, core: core) else {
                    socket.close()
                    continue
                }
                guard core.admit(connection) else {
                    refuse(socket)
                    continue
                }
                let thread = Thread { connection.run() }
                thread.name = "http-connection"
                thread.start()
            }
        }
    }

    /// Answers a connection over the limit (or arriving during shutdown) with 503 and closes it.
    private func refuse(_ socket: Socket) {
        let response = HTTPResponse.openAIError(.serviceUnavailable, message: "The server is at its connection limit or shutting down.")
        let bytes = ResponseHead.bytes(status: response.status, headers: response.headers,
                                       framing: .contentLength(response.body.count), connection: .close) + response.body
        // Short deadline: this runs on the accept thread, which must not stall on one client.
        _ = socket.sendAll(bytes, deadline: .now + .milliseconds(100))
        core.metrics.recordResponse(response.status)
        socket.close()
    }

    /// Polls `condition` every 10 ms until it holds or `deadline` passes.
    private static func wait(until deadline: ContinuousClock.Instant, _ condition: @Sendable () -> Bool) async {
        while !condition() && ContinuousClock.now < deadline {
            try? await Task.sleep(for: .milliseconds(10))
        }
    }
}
