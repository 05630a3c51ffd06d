// Fixtures shared by the server tests: a server on an ephemeral port, a way to run the blocking
// test client on its own thread (never on Swift's cooperative pool, which the server's handlers
// need: on a two-core machine a few blocked pool threads would starve them), and small
// synchronisation helpers.
import Foundation
import Testing
@testable import HTTPServer
@_exported import HTTPTestSupport

extension HTTPServerConfiguration {
    /// Loopback, ephemeral port, default limits.
    static var test: HTTPServerConfiguration { HTTPServerConfiguration(host: "127.0.0.1", port: 0) }
}

/// Runs `body` with a started server, then stops it.
func withServer(_ configuration: HTTPServerConfiguration = .test,
                handler: @escaping HTTPServer.Handler,
                _ body: (HTTPServer) async throws -> Void) async throws {
    let server = HTTPServer(configuration: configuration, handler: handler)
    try server.start()
    #expect(server.port > 0)
    do {
        try await body(server)
    } catch {
        await server.stop(gracePeriod: .zero)
        throw error
    }
    await server.stop(gracePeriod: .milliseconds(200))
}

/// A handler that echoes the request: method, path, query and body as text.
let echoHandler: HTTPServer.Handler = { request, writer in
    let text = "\(request.method) \(request.path) \(request.query ?? "-") \(request.bodyText ?? "<binary>")"
    writer.send(.text(text))
}

/// A flag a handler can wait on until the test opens it.
final class AsyncGate: @unchecked Sendable {
    private let lock = NSLock()
    private var isOpen = false
    private var waiters: [CheckedContinuation<Void, Never>] = []

    func open() {
        lock.lock()
        isOpen = true
        let pending = waiters
        waiters = []
        lock.unlock()
        for waiter in pending { waiter.resume() }
    }

    func wait() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            lock.lock()
            if isOpen {
                lock.unlock()
                continuation.resume()
            } else {
                waiters.append(continuation)
                lock.unlock()
            }
        }
    }
}

/// A thread-safe record of events for assertions.
final class Recorder<Value: Sendable>: @unchecked Sendable {
    private let lock = NSLock()
    private var items: [Value] = []

    func append(_ value: Value) {
        lock.lock()
        items.append(value)
        lock.unlock()
    }

    var values: [Value] {
        lock.lock()
        defer { lock.unlock() }
        return items
    }

    /// Polls until `condition` holds for the recorded values or `timeout` passes.
    func wait(timeout: Duration = .seconds(3), until condition: ([Value]) -> Bool) async -> Bool {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if condition(values) { return true }
            try? await Task.sleep(for: .milliseconds(10))
        }
        return condition(values)
    }
}

/// Polls `condition` until it holds or `timeout` passes (server counters are updated by connection
/// threads just after the client has its bytes, so tests must allow a moment).
func eventually(timeout: Duration = .seconds(3), _ condition: () -> Bool) async -> Bool {
    let deadline = ContinuousClock.now + timeout
    while ContinuousClock.now < deadline {
        if condition() { return true }
        try? await Task.sleep(for: .milliseconds(10))
    }
    return condition()
}
