// Streamed completions: deltas and usage, malformed and cut streams, and cancellation.
import Foundation
import HTTPTestSupport
import HTTPServer
import OpenAIClient
import Testing

extension OpenAIClientTests {
    @Suite("Streamed completions", .serialized)
    struct StreamingTests {
        @Test func deltasConcatenateAndUsageArrives() async throws {
            try await withFakeProvider({ _, _, writer in
                writer.startEventStream()
                await writer.sendComment("keep-alive")
                await writer.sendEvent(data: chunk(nil))                     // role-only chunk
                for piece in ["Hel", "lo", ", wor", "ld"] { await writer.sendEvent(data: chunk(piece)) }
                await writer.sendEvent(data: chunk(nil, finish: "stop"))
                await writer.sendEvent(data: usageChunk(prompt: 9, completion: 4))
                await writer.sendEvent(data: "[DONE]")
                writer.finish()
            }) { provider in
                let (deltas, reply) = try await collect(RemoteChatClient(endpoint: provider.endpoint()).stream(sampleRequest()))
                #expect(deltas == ["Hel", "lo", ", wor", "ld"])
                let finished = try #require(reply)
                #expect(finished.text == "Hello, world")
                #expect(finished.finishReason == "stop")
                #expect(finished.usage == RemoteUsage(promptTokens: 9, completionTokens: 4))
                #expect(finished.attempts == 1)

                let request = try #require(provider.received.first)
                let body = try #require(try JSONSerialization.jsonObject(with: Data(request.body)) as? [String: Any])
                #expect(body["stream"] as? Bool == true)
                #expect((body["stream_options"] as? [String: Bool]) == ["include_usage": true])
                #expect(request.headers["Accept"] == "text/event-stream")
                #expect(request.headers["X-LocalFusion-Depth"] == "1")
            }
        }

        @Test func deltasArriveWhileTheServerIsStillGenerating() async throws {
            let gate = Recorder<Bool>()
            try await withFakeProvider({ _, _, writer in
                await writer.sendEvent(data: chunk("first"))
                // Hold the rest back until the client has seen the first delta.
                _ = await eventually(timeout: 5) { gate.count > 0 }
                await writer.sendEvent(data: chunk(" second", finish: "stop"))
                await writer.sendEvent(data: "[DONE]")
            }) { provider in
                var deltas: [String] = []
                for try await event in RemoteChatClient(endpoint: provider.endpoint()).stream(sampleRequest()) {
                    if case .delta(let text) = event {
                        deltas.append(text)
                        gate.append(true)
                    }
                }
                #expect(deltas == ["first", " second"])
            }
        }

        @Test func serverErrorBeforeTheStreamIsRetried() async throws {
            try await withFakeProvider({ _, attempt, writer in
                if attempt == 1 {
                    writer.send(.openAIError(.serviceUnavailable, message: "loading model"))
                    return
                }
                await writer.sendEvent(data: chunk("ok", finish: "stop"))
                await writer.sendEvent(data: "[DONE]")
            }) { provider in
                let (deltas, reply) = try await collect(RemoteChatClient(endpoint: provider.endpoint()).stream(sampleRequest()))
                #expect(deltas == ["ok"])
                #expect(reply?.attempts == 2)
            }
        }

        @Test func garbageEventIsAnInvalidResponse() async throws {
            try await withFakeProvider({ _, _, writer in
                await writer.sendEvent(data: chunk("fine so far"))
                await writer.sendEvent(data: "this is not json")
                await writer.sendEvent(data: "[DONE]")
            }) { provider in
                let error = await remoteError {
                    _ = try await collect(RemoteChatClient(endpoint: provider.endpoint()).stream(sampleRequest()))
                }
                guard case .invalidResponse(let detail)? = error else {
                    Issue.record("expected invalidResponse, got \(String(describing: error))")
                    return
                }
                #expect(detail.contains("this is not json"))
                #expect(provider.received.count == 1)
            }
        }

        @Test func streamCutMidwayIsAnErrorNotAHang() async throws {
            let server = try RawSocketServer { connection in
                connection.write("HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nTransfer-Encoding: chunked\r\n\r\n")
                let event = "data: \(chunk("partial"))\n\n"
                connection.write(String(event.utf8.count, radix: 16) + "\r\n" + event + "\r\n")
                Thread.sleep(forTimeInterval: 0.1)
                connection.hangUp()
            }
            defer { server.stop() }
            let endpoint = RemoteEndpoint(baseURL: "http://127.0.0.1:\(server.port)/v1", readTimeout: 5, maxRetries: 2)
            let deltas = Recorder<String>()
            let (error, seconds) = await timed {
                await remoteError {
                    for try await event in RemoteChatClient(endpoint: endpoint).stream(sampleRequest()) {
                        if case .delta(let text) = event { deltas.append(text) }
                    }
                }
            }
            #expect(deltas.values == ["partial"])
            switch error {
            case .connectionFailed?, .invalidResponse?: break
            default: Issue.record("expected connectionFailed or invalidResponse, got \(String(describing: error))")
            }
            #expect(seconds < 2, "took \(seconds) s")
        }

        @Test func streamClosedCleanlyWithoutDoneEndsEarly() async throws {
            // HTTP/1.0-style body delimited by the close: curl sees a complete response.
            let server = try RawSocketServer { connection in
                connection.write("HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nConnection: close\r\n\r\n")
                connection.write("data: \(chunk("half an answer"))\n\n")
                connection.hangUp()
            }
            defer { server.stop() }
            let endpoint = RemoteEndpoint(baseURL: "http://127.0.0.1:\(server.port)/v1", readTimeout: 5)
            let error = await remoteError {
                _ = try await collect(RemoteChatClient(endpoint: endpoint).stream(sampleRequest()))
            }
            guard case .invalidResponse(let detail)? = error else {
                Issue.record("expected invalidResponse, got \(String(describing: error))")
                return
            }
            #expect(detail.contains("ended early"))
        }

        @Test func cancellingTheConsumerAbortsTheTransfer() async throws {
            let disconnected = Recorder<ContinuousClock.Instant>()
            try await withFakeProvider({ _, _, writer in
                writer.onDisconnect { disconnected.append(.now) }
                writer.startEventStream()
                while !Task.isCancelled, !writer.isClientGone {
                    await writer.sendEvent(data: chunk("tick "))
                    try? await Task.sleep(for: .milliseconds(50))
                }
            }) { provider in
                let deltas = Recorder<String>()
                let client = RemoteChatClient(endpoint: provider.endpoint())
                let task = Task {
                    await remoteError {
                        for try await event in client.stream(sampleRequest()) {
                            if case .delta(let text) = event { deltas.append(text) }
                        }
                    }
                }
                #expect(await eventually(timeout: 5) { deltas.count >= 2 })
                let cancelledAt = ContinuousClock.now
                task.cancel()
                let error = await task.value
                let latency = ContinuousClock.now - cancelledAt
                #expect(error == .cancelled)
                #expect(latency < .seconds(1), "cancel took \(latency)")
                #expect(await eventually(timeout: 1) { !disconnected.values.isEmpty }, "the server never saw the close")
                if let closedAt = disconnected.values.first { #expect(closedAt - cancelledAt < .seconds(1)) }
            }
        }

        @Test func droppingTheStreamAbortsTheTransfer() async throws {
            let disconnected = Recorder<Bool>()
            try await withFakeProvider({ _, _, writer in
                writer.onDisconnect { disconnected.append(true) }
                writer.startEventStream()
                while !Task.isCancelled, !writer.isClientGone {
                    await writer.sendEvent(data: chunk("tick "))
                    try? await Task.sleep(for: .milliseconds(50))
                }
            }) { provider in
                let client = RemoteChatClient(endpoint: provider.endpoint())
                do {
                    var iterator = client.stream(sampleRequest()).makeAsyncIterator()
                    _ = try await iterator.next()
                    _ = try await iterator.next()
                }   // stream and iterator released here
                #expect(await eventually(timeout: 1) { !disconnected.values.isEmpty }, "the server never saw the close")
            }
        }
    }
}
