import Foundation
import Testing
@testable import HTTPServer
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

@Suite("Timeouts, limits and shutdown")
struct LifecycleTests {
    @Test func idleKeepAliveConnectionIsClosedAfterTheIdleTimeout() async throws {
        var configuration = HTTPServerConfiguration.test
        configuration.idleTimeout = .milliseconds(300)
        try await withServer(configuration, handler: echoHandler) { server in
            let port = server.port
            let (status, quietFirst, closed, elapsed) = try await blocking {
                let client = try TestClient(port: port)
                client.send(get("/"))
                let status = try client.readResponse().status
                let start = ContinuousClock.now
                let quiet = client.staysQuiet(for: .milliseconds(150))
                return (status, quiet, client.waitForClose(timeout: .seconds(3)), ContinuousClock.now - start)
            }
            #expect(status == 200)
            #expect(quietFirst)  // not closed right after the response
            #expect(closed)
            #expect(elapsed >= .milliseconds(250) && elapsed < .seconds(2))
            #expect(await eventually { server.metrics.activeConnections == 0 })
        }
    }

    @Test func stalledRequestGets408() async throws {
        var configuration = HTTPServerConfiguration.test
        configuration.readTimeout = .milliseconds(300)
        try await withServer(configuration, handler: echoHandler) { server in
            let port = server.port
            let (response, closed) = try await blocking {
                let client = try TestClient(port: port)
                client.send("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\nabc")
                return (try client.readResponse(), client.waitForClose())
            }
            #expect(response.status == 408)
            #expect(response.error?.type == "invalid_request_error")
            #expect(closed)
            #expect(try await roundTrip(port, get("/ok")).status == 200)
        }
    }

    @Test func connectionsOverTheLimitGet503() async throws {
        var configuration = HTTPServerConfiguration.test
        configuration.maxConnections = 1
        try await withServer(configuration, handler: echoHandler) { server in
            let port = server.port
            let (refused, afterwards) = try await blocking {
                let holder = try TestClient(port: port)
                holder.send(get("/hold"))
                _ = try holder.readResponse()
                let refused = try TestClient(port: port).readResponse().status
                holder.close()
                Thread.sleep(forTimeInterval: 0.2)
                let client = try TestClient(port: port)
                client.send(get("/after"))
                return (refused, try client.readResponse().status)
            }
            #expect(refused == 503)
            #expect(afterwards == 200)
            #expect(server.metrics.refusedConnections == 1)
        }
    }

    @Test func gracefulStopWaitsForTheRequestInFlight() async throws {
        let started = AsyncGate()
        let handler: HTTPServer.Handler = { _, writer in
            started.open()
            try? await Task.sleep(for: .milliseconds(400))
            writer.send(.text("finished"))
        }
        let server = HTTPServer(configuration: .test, handler: handler)
        try server.start()
        let port = server.port
        async let response = blocking {
            let client = try TestClient(port: port)
            client.send(get("/slow"))
            return try client.readResponse()
        }
        // An idle keep-alive connection: closed as soon as the stop begins.
        async let idleClosed = blocking {
            let client = try TestClient(port: port)
            client.send(get("/quick"))
            _ = try client.readResponse()
            return client.waitForClose(timeout: .seconds(3))
        }
        await started.wait()
        try await Task.sleep(for: .milliseconds(50))
        let stopStart = ContinuousClock.now
        await server.stop(gracePeriod: .seconds(5))
        let stopTook = ContinuousClock.now - stopStart
        let finished = try await response
        #expect(finished.status == 200 && finished.text == "finished")
        #expect(finished.headers["Connection"] == "close")
        #expect(try await idleClosed)
        #expect(stopTook >= .milliseconds(250) && stopTook < .seconds(3))
        #expect(!server.isRunning)
        #expect(throws: (any Error).self) { try TestClient(port: port) }
        await server.waitUntilStopped()  // returns at once once stopped
    }

    @Test func stopAfterTheGracePeriodCancelsStragglers() async throws {
        let cancelled = Recorder<Bool>()
        let started = AsyncGate()
        let handler: HTTPServer.Handler = { _, writer in
            writer.startEventStream()
            started.open()
            while !Task.isCancelled { try? await Task.sleep(for: .milliseconds(20)) }
            cancelled.append(writer.isClientGone)
        }
        let server = HTTPServer(configuration: .test, handler: handler)
        try server.start()
        let port = server.port
        async let streamClosed = blocking {
            let client = try TestClient(port: port)
            client.send(get("/forever"))
            let status = try client.readHead().status
            return status == 200 && client.waitForClose(timeout: .seconds(5))
        }
        await started.wait()
        let stopStart = ContinuousClock.now
        await server.stop(gracePeriod: .milliseconds(200))
        #expect(ContinuousClock.now - stopStart < .seconds(2))
        #expect(cancelled.values == [true])
        #expect(server.metrics.activeConnections == 0)
        #expect(try await streamClosed)
    }

    @Test func metricsCountRequestsAndStatusClasses() async throws {
        let handler: HTTPServer.Handler = { request, writer in
            writer.send(status: request.path == "/missing" ? .notFound : .ok)
        }
        try await withServer(handler: handler) { server in
            let port = server.port
            try await blocking {
                let client = try TestClient(port: port)
                client.send(get("/a") + get("/missing") + get("/b"))
                for _ in 0..<3 { _ = try client.readResponse() }
                let bad = try TestClient(port: port)
                bad.send("NONSENSE\r\n\r\n")
                _ = try bad.readResponse()
            }
            #expect(await eventually { server.metrics.inFlightRequests == 0 })
            let metrics = server.metrics
            #expect(metrics.totalRequests == 3)
            #expect(metrics.rejectedRequests == 1)
            #expect(metrics.responses(statusClass: 2) == 2)
            #expect(metrics.responses(statusClass: 4) == 2)
            #expect(metrics.totalConnections == 2)
        }
    }

    @Test func signalTrapTurnsSignalsIntoCallbacks() async throws {
        let received = Recorder<Int32>()
        let trap = SignalTrap(signals: [SIGUSR2]) { received.append($0) }
        // Process-directed, like Ctrl-C or `kill`: raise() would target this pool thread, which
        // libdispatch has blocking signals. The source registers asynchronously and a signal
        // sent before that is ignored, so send until one arrives.
        let deadline = ContinuousClock.now + .seconds(3)
        while received.values.isEmpty && ContinuousClock.now < deadline {
            kill(getpid(), SIGUSR2)
            _ = await received.wait(timeout: .milliseconds(100)) { !$0.isEmpty }
        }
        #expect(received.values.first == SIGUSR2)
        try await Task.sleep(for: .milliseconds(100))  // nothing may be in flight when SIG_DFL returns
        trap.cancel()
    }
}
