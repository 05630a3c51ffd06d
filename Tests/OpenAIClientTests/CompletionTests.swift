// Non-streamed completions against scripted fake providers: parsing, retries, errors, timeouts,
// headers and cancellation.
import Foundation
import HTTPTestSupport
import HTTPServer
import OpenAIClient
import Testing

extension OpenAIClientTests {
    @Suite("Non-streamed completions", .serialized)
    struct CompletionTests {
        @Test func replyIsParsedWithUsageAndRequestIsOpenAIShaped() async throws {
            try await withFakeProvider({ _, _, writer in
                writer.send(.json(completionBody("Hello there.", finish: "length", prompt: 12, completion: 4)))
            }) { provider in
                let reply = try await RemoteChatClient(endpoint: provider.endpoint()).complete(sampleRequest())
                #expect(reply.text == "Hello there.")
                #expect(reply.finishReason == "length")
                #expect(reply.usage == RemoteUsage(promptTokens: 12, completionTokens: 4))
                #expect(reply.model == "fake-model")
                #expect(reply.attempts == 1)
                #expect(reply.seconds > 0 && reply.seconds < 5)

                let request = try #require(provider.received.first)
                #expect(request.method == "POST")
                #expect(request.path == "/v1/chat/completions")
                #expect(request.headers["Content-Type"] == "application/json")
                #expect(request.headers["X-LocalFusion-Depth"] == "1")
                #expect(request.headers["Authorization"] == nil)
                let body = try #require(try JSONSerialization.jsonObject(with: Data(request.body)) as? [String: Any])
                #expect(body["stream"] as? Bool == false)
                #expect(body["max_tokens"] as? Int == 16)
                #expect(body["stream_options"] == nil)
            }
        }

        @Test func serverErrorThenSuccessIsRetried() async throws {
            try await withFakeProvider({ _, attempt, writer in
                if attempt == 1 {
                    writer.send(.openAIError(.internalServerError, message: "warming up"))
                } else {
                    writer.send(.json(completionBody("ok")))
                }
            }) { provider in
                let reply = try await RemoteChatClient(endpoint: provider.endpoint()).complete(sampleRequest())
                #expect(reply.text == "ok")
                #expect(reply.attempts == 2)
                #expect(provider.received.count == 2)
            }
        }

        @Test func rateLimitWaitsForRetryAfter() async throws {
            try await withFakeProvider({ _, attempt, writer in
                if attempt == 1 {
                    writer.send(HTTPResponse(status: 429, headers: ["Retry-After": "1", "Content-Type": "application/json"],
                                             body: Array(#"{"error":{"message":"slow down"}}"#.utf8)))
                } else {
                    writer.send(.json(completionBody("after the wait")))
                }
            }) { provider in
                let (reply, seconds) = try await timed {
                    try await RemoteChatClient(endpoint: provider.endpoint(retryBaseDelay: 0.01)).complete(sampleRequest())
                }
                #expect(reply.text == "after the wait")
                #expect(reply.attempts == 2)
                #expect(seconds >= 0.95 && seconds < 3, "waited \(seconds) s for Retry-After: 1")
            }
        }

        @Test func badRequestIsNotRetriedAndCarriesTheServerMessage() async throws {
            try await withFakeProvider({ _, _, writer in
                writer.send(.openAIError(.badRequest, message: "model 'nope' not found"))
            }) { provider in
                let error = await remoteError {
                    _ = try await RemoteChatClient(endpoint: provider.endpoint()).complete(sampleRequest())
                }
                #expect(error == .http(status: 400, message: "model 'nope' not found"))
                #expect(provider.received.count == 1)
            }
        }

        @Test func retriesRunOutOnPersistentServerErrors() async throws {
            try await withFakeProvider({ _, _, writer in
                writer.send(HTTPResponse(status: 503, body: Array("overloaded".utf8)))
            }) { provider in
                let error = await remoteError {
                    _ = try await RemoteChatClient(endpoint: provider.endpoint(maxRetries: 2)).complete(sampleRequest())
                }
                #expect(error == .http(status: 503, message: "overloaded"))
                #expect(provider.received.count == 3)
            }
        }

        @Test func closedPortFailsQuicklyAsConnectionFailed() async throws {
            let endpoint = RemoteEndpoint(baseURL: "http://127.0.0.1:\(closedPort())/v1", apiKey: "sk-closed-port-key",
                                          maxRetries: 2, retryBaseDelay: 0.05)
            let (error, seconds) = await timed {
                await remoteError { _ = try await RemoteChatClient(endpoint: endpoint).complete(sampleRequest()) }
            }
            guard case .connectionFailed(let detail)? = error else {
                Issue.record("expected connectionFailed, got \(String(describing: error))")
                return
            }
            #expect(detail.contains("127.0.0.1"))
            #expect(!(error?.description.contains("sk-closed-port-key") ?? true))
            #expect(seconds < 2, "took \(seconds) s")
        }

        @Test func silentServerTimesOutAfterReadTimeout() async throws {
            let server = try RawSocketServer { _ in }   // accepts, reads the request, never answers
            defer { server.stop() }
            let endpoint = RemoteEndpoint(baseURL: "http://127.0.0.1:\(server.port)/v1", readTimeout: 1, maxRetries: 2)
            let (error, seconds) = await timed {
                await remoteError { _ = try await RemoteChatClient(endpoint: endpoint).complete(sampleRequest()) }
            }
            guard case .timeout(let detail)? = error else {
                Issue.record("expected timeout, got \(String(describing: error))")
                return
            }
            #expect(detail.contains("127.0.0.1:\(server.port)"))
            #expect(seconds >= 0.9 && seconds < 2.5, "took \(seconds) s")
        }

        @Test func overallTimeoutBoundsTheWholeCall() async throws {
            let server = try RawSocketServer { _ in }
            defer { server.stop() }
            let endpoint = RemoteEndpoint(baseURL: "http://127.0.0.1:\(server.port)/v1", readTimeout: 30,
                                          overallTimeout: 0.5)
            let (error, seconds) = await timed {
                await remoteError { _ = try await RemoteChatClient(endpoint: endpoint).complete(sampleRequest()) }
            }
            guard case .timeout? = error else {
                Issue.record("expected timeout, got \(String(describing: error))")
                return
            }
            #expect(seconds < 1.5, "took \(seconds) s")
        }

        @Test func apiKeyIsSentAsBearerAndNeverAppearsInErrors() async throws {
            let key = "sk-test-4f1c2d9e"
            try await withFakeProvider({ request, _, writer in
                let auth = request.headers["Authorization"] ?? "none"
                writer.send(.openAIError(.unauthorized, message: "Incorrect API key provided: \(auth.dropFirst(7))"))
            }) { provider in
                var endpoint = provider.endpoint(apiKey: key)
                endpoint.extraHeaders = ["X-Org": "lab", "X-LocalFusion-Depth": "0", "Bad\nName": "x"]
                let error = await remoteError {
                    _ = try await RemoteChatClient(endpoint: endpoint).complete(sampleRequest())
                }
                let request = try #require(provider.received.first)
                #expect(request.headers["Authorization"] == "Bearer \(key)")
                #expect(request.headers["X-LocalFusion-Depth"] == "1")
                #expect(request.headers.values(for: "X-LocalFusion-Depth") == ["1"])
                #expect(request.headers["X-Org"] == "lab")
                #expect(error == .http(status: 401, message: "Incorrect API key provided: [redacted]"))
                #expect(!(error?.description.contains(key) ?? true))
                #expect(!String(describing: endpoint).contains(key))
            }
        }

        @Test func cancellingTheTaskAbortsAWaitingCompletion() async throws {
            let server = try RawSocketServer { connection in
                _ = connection.waitForPeerClose(timeout: 10)
            }
            defer { server.stop() }
            let endpoint = RemoteEndpoint(baseURL: "http://127.0.0.1:\(server.port)/v1", readTimeout: 30)
            let task = Task { await remoteError { _ = try await RemoteChatClient(endpoint: endpoint).complete(sampleRequest()) } }
            try await Task.sleep(for: .milliseconds(300))
            let (error, seconds) = await timed { () async -> RemoteError? in
                task.cancel()
                return await task.value
            }
            #expect(error == .cancelled)
            #expect(seconds < 0.5, "cancel took \(seconds) s")
        }
    }
}
