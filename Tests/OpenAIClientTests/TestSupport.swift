// Shared fixtures: a scripted fake provider on HTTPServer, chat-completion JSON builders, a
// thread-safe recorder and small timing helpers.
import Foundation
import HTTPTestSupport
import HTTPServer
import OpenAIClient
import Synchronization
import Testing

/// Values appended from any thread, read by the test.
final class Recorder<Value: Sendable>: Sendable {
    private let storage = Mutex<[Value]>([])

    func append(_ value: Value) { storage.withLock { $0.append(value) } }
    var values: [Value] { storage.withLock { $0 } }
    var count: Int { storage.withLock { $0.count } }
}

/// A started HTTPServer whose handler is the test's script; records every request.
final class FakeProvider: Sendable {
    let server: HTTPServer
    private let requests: Recorder<HTTPRequest>

    init(_ script: @escaping @Sendable (_ request: HTTPRequest, _ attempt: Int, _ writer: ResponseWriter) async -> Void) throws {
        let requests = Recorder<HTTPRequest>()
        let counter = Mutex(0)
        server = HTTPServer(configuration: HTTPServerConfiguration(host: "127.0.0.1", port: 0)) { request, writer in
            requests.append(request)
            let attempt = counter.withLock { value -> Int in
                value += 1
                return value
            }
            await script(request, attempt, writer)
        }
        self.requests = requests
        try server.start()
    }

    /// Every request the provider received, in order.
    var received: [HTTPRequest] { requests.values }

    func endpoint(apiKey: String? = nil, readTimeout: Double = 10, maxRetries: Int = 2,
                  retryBaseDelay: Double = 0.05) -> RemoteEndpoint {
        RemoteEndpoint(baseURL: "http://127.0.0.1:\(server.port)/v1", apiKey: apiKey, connectTimeout: 2,
                       readTimeout: readTimeout, maxRetries: maxRetries, retryBaseDelay: retryBaseDelay)
    }

    func stop() async { await server.stop(gracePeriod: .milliseconds(100)) }
}

/// Runs `body` with a fake provider and always stops it.
func withFakeProvider(_ script: @escaping @Sendable (HTTPRequest, Int, ResponseWriter) async -> Void,
                      _ body: (FakeProvider) async throws -> Void) async throws {
    let provider = try FakeProvider(script)
    do {
        try await body(provider)
    } catch {
        await provider.stop()
        throw error
    }
    await provider.stop()
}

/// JSON text for an object built from plain values.
func json(_ object: [String: Any]) -> String {
    let data = try! JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
    return String(decoding: data, as: UTF8.self)
}

/// A non-streamed `chat.completion` body.
func completionBody(_ text: String, finish: String = "stop", prompt: Int = 7, completion: Int = 3) -> [UInt8] {
    Array(json([
        "id": "chatcmpl-1", "object": "chat.completion", "model": "fake-model",
        "choices": [["index": 0, "message": ["role": "assistant", "content": text], "finish_reason": finish]],
        "usage": ["prompt_tokens": prompt, "completion_tokens": completion, "total_tokens": prompt + completion],
    ]).utf8)
}

/// One `chat.completion.chunk` with a content delta (and optionally a finish reason).
func chunk(_ text: String?, finish: String? = nil) -> String {
    var delta: [String: Any] = [:]
    if let text { delta["content"] = text }
    return json(["object": "chat.completion.chunk", "model": "fake-model",
                 "choices": [["index": 0, "delta": delta, "finish_reason": finish.map { $0 as Any } ?? NSNull()]]])
}

/// The final usage chunk (`choices: []`).
func usageChunk(prompt: Int, completion: Int) -> String {
    json(["object": "chat.completion.chunk", "model": "fake-model", "choices": [] as [Any],
          "usage": ["prompt_tokens": prompt, "completion_tokens": completion, "total_tokens": prompt + completion]])
}

/// A small request.
func sampleRequest(maxTokens: Int? = 16) -> RemoteChatRequest {
    RemoteChatRequest(model: "fake-model", messages: [.system("Be brief."), .user("Say hi.")], maxTokens: maxTokens,
                      temperature: 0, seed: 42)
}

/// Seconds taken by `body`.
func timed<T>(_ body: () async throws -> T) async rethrows -> (T, Double) {
    let start = ContinuousClock.now
    let value = try await body()
    let elapsed = ContinuousClock.now - start
    return (value, Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18)
}

/// Waits until `condition` holds or the timeout passes; returns whether it held.
func eventually(timeout: Double, _ condition: () -> Bool) async -> Bool {
    let end = ContinuousClock.now + .milliseconds(Int(timeout * 1000))
    while ContinuousClock.now < end {
        if condition() { return true }
        try? await Task.sleep(for: .milliseconds(10))
    }
    return condition()
}

/// The error `body` throws as a RemoteError (a test failure if it throws something else or nothing).
func remoteError(_ body: () async throws -> Void) async -> RemoteError? {
    do {
        try await body()
        Issue.record("expected a RemoteError, got success")
        return nil
    } catch let error as RemoteError {
        return error
    } catch {
        Issue.record("expected a RemoteError, got \(error)")
        return nil
    }
}

/// Collects a whole stream: the deltas and the finished reply.
func collect(_ stream: AsyncThrowingStream<RemoteStreamEvent, any Error>) async throws -> (deltas: [String], reply: RemoteChatReply?) {
    var deltas: [String] = []
    var reply: RemoteChatReply?
    for try await event in stream {
        switch event {
        case .delta(let text): deltas.append(text)
        case .finished(let finished): reply = finished
        }
    }
    return (deltas, reply)
}
