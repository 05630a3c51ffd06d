// Bad input gets OpenAI's error JSON with the right status, and the server keeps serving.
import Foundation
import Testing
import HTTPServer
import HTTPTestSupport
@testable import FusionServer

@Suite("Error responses", .serialized)
struct ErrorResponseTests {
    /// Expects an OpenAI error with `status` (and `code`, `param` when given).
    func expectError(_ response: RawResponse, _ status: Int, code: String? = nil, param: String? = nil,
                     sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(response.status == status, "body: \(response.text)", sourceLocation: sourceLocation)
        let error = response.error
        #expect(error != nil, "not an OpenAI error body: \(response.text)", sourceLocation: sourceLocation)
        #expect(error.map { !$0.message.isEmpty } == true, sourceLocation: sourceLocation)
        if let code { #expect(error?.code == code, "\(response.text)", sourceLocation: sourceLocation) }
        if let param { #expect(error?.param == param, "\(response.text)", sourceLocation: sourceLocation) }
    }

    @Test("Schema errors are 400 naming the field; unknown models 404; unknown routes 404; wrong methods 405")
    func requestErrors() async throws {
        try await ServerTests.withServer { server in
            let port = server.port
            let cases: [(String, Int, String?, String?)] = [
                ("{not json", 400, "invalid_json", nil),
                ("[1,2]", 400, "invalid_json", nil),
                (#"{"messages":[{"role":"user","content":"hi"}]}"#, 400, "missing_field", "model"),
                (#"{"model":"smollm2-135m"}"#, 400, "missing_field", "messages"),
                (#"{"model":"smollm2-135m","messages":[]}"#, 400, "invalid_value", "messages"),
                (#"{"model":"smollm2-135m","messages":"hi"}"#, 400, "invalid_type", "messages"),
                (#"{"model":"smollm2-135m","messages":[{"role":"wizard","content":"hi"}]}"#, 400, "invalid_value", "messages[0].role"),
                (#"{"model":"smollm2-135m","messages":[{"role":"user","content":"hi"}],"temperature":"hot"}"#, 400, "invalid_type", "temperature"),
                (#"{"model":"smollm2-135m","messages":[{"role":"user","content":"hi"}],"temperature":7}"#, 400, "invalid_value", "temperature"),
                (#"{"model":"smollm2-135m","messages":[{"role":"user","content":"hi"}],"max_tokens":0}"#, 400, "invalid_value", "max_tokens"),
                (#"{"model":"smollm2-135m","messages":[{"role":"user","content":"hi"}],"max_tokens":2.5}"#, 400, "invalid_type", "max_tokens"),
                (#"{"model":"smollm2-135m","messages":[{"role":"user","content":"hi"}],"stream":"yes"}"#, 400, "invalid_type", "stream"),
                (#"{"model":"smollm2-135m","messages":[{"role":"user","content":"hi"}],"n":2}"#, 400, "unsupported_value", "n"),
                (#"{"model":"smollm2-135m","messages":[{"role":"user","content":"hi"}],"tools":[{"type":"function"}]}"#, 400, "unsupported_value", "tools[0].type"),
                (#"{"model":"smollm2-135m","messages":[{"role":"user","content":"hi"}],"plugins":[{"id":"web"}]}"#, 400, "unsupported_value", "plugins[0].id"),
                (#"{"model":"no-such-model","messages":[{"role":"user","content":"hi"}]}"#, 404, "model_not_found", "model"),
                (#"{"model":"fusion/no-such-preset","messages":[{"role":"user","content":"hi"}]}"#, 404, "model_not_found", "model"),
                (#"{"model":"/etc/passwd","messages":[{"role":"user","content":"hi"}]}"#, 404, "model_not_found", "model"),
                (#"{"model":"smollm2-135m","messages":[{"role":"user","content":"hi"}],"plugins":[{"id":"fusion","analysis_models":["fusion"]}]}"#, 400, "fusion_recursion", nil),
                (#"{"model":"fusion","messages":[{"role":"user","content":"hi"}],"tools":[{"type":"fusion"}]}"#, 400, "fusion_recursion", nil),
            ]
            for (body, status, code, param) in cases {
                expectError(try await postChat(port, body), status, code: code, param: param)
            }
            // Invalid UTF-8 inside a JSON string.
            let invalidUTF8: [UInt8] = Array(#"{"model":"smollm2-135m","messages":[{"role":"user","content":""#.utf8) + [0xC3, 0x28] + Array(#""}]}"#.utf8)
            let raw = try await blocking { () -> RawResponse in
                let client = try TestClient(port: port)
                client.send(Array("POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Length: \(invalidUTF8.count)\r\n\r\n".utf8) + invalidUTF8)
                return try client.readResponse()
            }
            expectError(raw, 400, code: "invalid_json")
            expectError(try await roundTrip(port, get("/v1/nothing")), 404, code: "not_found")
            expectError(try await roundTrip(port, get("/v1/chat/completions")), 405)
            expectError(try await roundTrip(port, get("/v1/models/no-such")), 404, code: "model_not_found")
            #expect(try await roundTrip(port, get("/v1/models/fusion")).status == 200)
            #expect(try await roundTrip(port, get("/health")).status == 200, "still serving after every error")
        }
    }

    @Test("A request from another fusion (X-LocalFusion-Depth) may use a single model but not fuse again")
    func recursionGuard() async throws {
        try await ServerTests.withServer { server in
            let fused = try await postChat(server.port, chatBody(model: "fusion", "hi"), headers: "X-LocalFusion-Depth: 1\r\n")
            expectError(fused, 400, code: "fusion_recursion")
            let single = try await postChat(server.port, chatBody(model: "smollm2-135m", "hi", extra: ["max_tokens": 4]),
                                            headers: "X-LocalFusion-Depth: 1\r\n")
            #expect(single.status == 200)
        }
    }

    @Test("With an API key: 401 without or with a wrong bearer token, /health stays open")
    func apiKey() async throws {
        try await ServerTests.withServer(configure: { $0.apiKey = "s3cret" }) { server in
            let port = server.port
            expectError(try await roundTrip(port, get("/v1/models")), 401, code: "invalid_api_key")
            expectError(try await roundTrip(port, get("/v1/models", headers: "Authorization: Bearer nope\r\n")), 401)
            expectError(try await postChat(port, chatBody(model: "smollm2-135m", "hi")), 401)
            #expect(try await roundTrip(port, get("/v1/models", headers: "Authorization: Bearer s3cret\r\n")).status == 200)
            #expect(try await roundTrip(port, get("/health")).status == 200)
        }
    }

    @Test("A prompt longer than the context is a 400 context_length_exceeded, and the model still answers after it")
    func oversizePrompt() async throws {
        try await ServerTests.withServer(configure: { $0.contextSize = 256 }) { server in
            let long = String(repeating: "The quick brown fox jumps over the lazy dog. ", count: 120)
            expectError(try await postChat(server.port, chatBody(model: "smollm2-135m", long)), 400,
                        code: "context_length_exceeded", param: "messages")
            // Streamed too: the error comes as a status, before any event.
            expectError(try await postChat(server.port, chatBody(model: "smollm2-135m", long, extra: ["stream": true])), 400,
                        code: "context_length_exceeded", param: "messages")
            let ok = try await postChat(server.port, chatBody(model: "smollm2-135m", "hi", extra: ["max_tokens": 4]))
            #expect(ok.status == 200)
        }
    }

    @Test("A full queue answers 429 with Retry-After at once")
    func queueFull() async throws {
        try await ServerTests.withServer(configure: { $0.maxActive = 1; $0.maxWaiting = 0 }) { server in
            let port = server.port
            // Occupy the only slot with a long streamed generation, read its first chunk, then try again.
            let body = chatBody(model: "smollm2-135m", "Tell a very long story.", extra: ["max_tokens": 400, "stream": true])
            let client = try TestClient(port: port)
            client.send(post("/v1/chat/completions", body: body))
            let head = try await blocking { try client.readHead(timeout: .seconds(30)) }
            #expect(head.status == 200)
            let started = ContinuousClock.now
            let refused = try await postChat(port, chatBody(model: "smollm2-135m", "hi"))
            expectError(refused, 429, code: "server_busy")
            #expect(refused.error?.type == "rate_limit_error", "a retryable type, not the request's fault")
            #expect(Int(refused.headers["Retry-After"] ?? "") ?? 0 >= 1)
            #expect(ContinuousClock.now - started < .seconds(2), "refused at once, not after waiting")
            client.close()
        }
    }

    @Test("While preloading, /health and chat answer 503 with Retry-After; then both work")
    func loading() async throws {
        try await ServerTests.withServer(models: ["qwen2.5-coder-1.5b"], configure: { $0.preload = ["qwen2.5-coder-1.5b"] }) { server in
            let health = try await roundTrip(server.port, get("/health"))
            #expect(health.status == 503)
            #expect(health.headers["Retry-After"] != nil)
            expectError(try await postChat(server.port, chatBody(model: "qwen2.5-coder-1.5b", "hi")), 503, code: "model_loading")
            #expect(await eventually(timeout: .seconds(60)) { server.isReady })
            #expect(try await roundTrip(server.port, get("/health")).status == 200)
            let snapshot = await server.engine.schedulerSnapshot()
            #expect(snapshot.loaded.contains { $0.pinned }, "a preloaded model stays pinned")
        }
    }
}
