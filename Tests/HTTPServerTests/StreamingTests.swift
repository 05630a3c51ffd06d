import Foundation
import Testing
@testable import HTTPServer

@Suite("Streamed responses and disconnects")
struct StreamingTests {
    @Test func serverSentEventsArriveBeforeTheHandlerFinishes() async throws {
        let gate = AsyncGate()
        let handler: HTTPServer.Handler = { _, writer in
            writer.startEventStream()
            await writer.sendComment("fusion: panel started")
            await writer.sendEvent(data: #"{"n":1}"#)
            // The test opens the gate only after it has read the first event: proof of streaming.
            await gate.wait()
            await writer.sendEvent(data: "line one\nline two", event: "multi")
            await writer.sendEvent(data: "[DONE]")
            writer.finish()
        }
        try await withServer(handler: handler) { server in
            let port = server.port
            let (head, pieces) = try await blocking {
                let client = try TestClient(port: port)
                client.send(get("/v1/chat/completions"))
                let head = try client.readHead()
                var pieces: [String] = []
                pieces.append(String(decoding: try client.readChunk() ?? [], as: UTF8.self))
                pieces.append(String(decoding: try client.readChunk() ?? [], as: UTF8.self))
                gate.open()
                while let chunk = try client.readChunk() { pieces.append(String(decoding: chunk, as: UTF8.self)) }
                // Keep-alive after a finished stream.
                client.send(get("/next"))
                _ = try client.readHead()
                return (head, pieces)
            }
            #expect(head.status == 200)
            #expect(head.headers["Content-Type"] == "text/event-stream; charset=utf-8")
            #expect(head.headers["Transfer-Encoding"] == "chunked")
            #expect(head.headers["Cache-Control"] == "no-cache")
            #expect(pieces == [": fusion: panel started\n\n", "data: {\"n\":1}\n\n",
                               "event: multi\ndata: line one\ndata: line two\n\n", "data: [DONE]\n\n"])
        }
    }

    @Test func clientDisconnectMidStreamIsNoticedQuickly() async throws {
        let noticed = Recorder<String>()
        let closedAt = Recorder<ContinuousClock.Instant>()
        let handler: HTTPServer.Handler = { _, writer in
            writer.onDisconnect { noticed.append("callback") }
            writer.startEventStream()
            await writer.sendEvent(data: "first")
            // Produce slowly, like a model generating tokens, until the client goes away.
            while !Task.isCancelled {
                try? await Task.sleep(for: .milliseconds(50))
            }
            noticed.append(writer.isClientGone ? "cancelled+gone" : "cancelled")
            let accepted = await writer.sendEvent(data: "too late")
            noticed.append(accepted ? "write accepted" : "write refused")
        }
        try await withServer(handler: handler) { server in
            let port = server.port
            try await blocking {
                let client = try TestClient(port: port)
                client.send(get("/stream"))
                _ = try client.readHead()
                _ = try client.readChunk()
                client.close()
                closedAt.append(.now)
            }
            #expect(await noticed.wait(timeout: .seconds(1)) { $0.count == 3 })
            // The callback (connection thread) and the handler (its task) race; both must happen.
            #expect(Set(noticed.values) == ["callback", "cancelled+gone", "write refused"])
            #expect(await eventually(timeout: .seconds(1)) { server.metrics.inFlightRequests == 0 })
            #expect(server.metrics.clientDisconnects == 1)
        }
    }

    @Test func clientDisconnectWhileHandlerIsComputingCancelsIt() async throws {
        // No bytes are written before the disconnect: it must be noticed by reading, not by a failed write.
        let cancelledAfter = Recorder<Duration>()
        let started = AsyncGate()
        let handler: HTTPServer.Handler = { _, writer in
            let start = ContinuousClock.now
            started.open()
            try? await Task.sleep(for: .seconds(30))
            cancelledAfter.append(ContinuousClock.now - start)
            writer.send(.text("never read"))
        }
        try await withServer(handler: handler) { server in
            let port = server.port
            try await blocking {
                let client = try TestClient(port: port)
                client.send(post("/v1/chat/completions", body: "{}"))
                Thread.sleep(forTimeInterval: 0.2)
                client.close()
            }
            await started.wait()
            #expect(await cancelledAfter.wait(timeout: .seconds(2)) { !$0.isEmpty })
            #expect((cancelledAfter.values.first ?? .seconds(99)) < .seconds(2))
        }
    }

    @Test func slowReaderGetsEverythingThroughBackpressure() async throws {
        var configuration = HTTPServerConfiguration.test
        configuration.writeBufferHighWatermark = 64 * 1024
        let chunk = [UInt8](repeating: UInt8(ascii: "x"), count: 16 * 1024)
        let handler: HTTPServer.Handler = { _, writer in
            for _ in 0..<256 { await writer.write(chunk) }  // 4 MiB
        }
        try await withServer(configuration, handler: handler) { server in
            let port = server.port
            let count = try await blocking {
                let client = try TestClient(port: port)
                client.send(get("/slow"))
                _ = try client.readHead()
                Thread.sleep(forTimeInterval: 0.3)  // let the socket buffers fill up first
                var total = 0
                while let piece = try client.readChunk(timeout: .seconds(10)) { total += piece.count }
                return total
            }
            #expect(count == 4 * 1024 * 1024)
        }
    }

    @Test func streamingToAnHTTP10ClientEndsByClosing() async throws {
        let handler: HTTPServer.Handler = { _, writer in
            await writer.sendEvent(data: "a")
            await writer.sendEvent(data: "b")
        }
        try await withServer(handler: handler) { server in
            let response = try await roundTrip(server.port, "GET /s HTTP/1.0\r\n\r\n")
            #expect(response.headers["Transfer-Encoding"] == nil)
            #expect(response.headers["Connection"] == "close")
            #expect(response.text == "data: a\n\ndata: b\n\n")
        }
    }
}
