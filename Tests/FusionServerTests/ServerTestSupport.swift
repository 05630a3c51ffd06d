// A real `FusionAPIServer` on an ephemeral loopback port, backed by the real engine, the real
// catalog and real models; plus small helpers to talk to it with the raw test client.
import Foundation
import Testing
import Fusion
import HTTPServer
import HTTPTestSupport
@testable import FusionServer

enum ServerTests {
    /// Every model these tests use; a missing one fails the test with the command that fixes it.
    static func requireModels(_ ids: [String]) throws -> ModelStore {
        let store = ModelStore(catalog: try ModelCatalog.loadDefault())
        for id in ids {
            let entry = try store.catalog.entry(id: id)
            guard store.status(for: entry) != .missing else {
                Issue.record("model \(id) is missing from \(store.directory); run 'fusion models pull \(id)' (scripts/test.sh does)")
                throw TestClientError("missing model \(id)")
            }
        }
        return store
    }

    /// Runs `body` against a started server, then stops it (also when `body` throws).
    static func withServer(models: [String] = ["smollm2-135m"],
                           budget: UInt64 = 8 << 30,
                           configure: (inout FusionServerConfiguration) -> Void = { _ in },
                           _ body: (FusionAPIServer) async throws -> Void) async throws {
        let store = try requireModels(models)
        let engine = try FusionEngine(store: store, budget: MemoryBudget(bytes: budget),
                                      keepAlive: .seconds(60))
        var configuration = FusionServerConfiguration()
        configuration.http = HTTPServerConfiguration(host: "127.0.0.1", port: 0)
        configuration.contextSize = 2048
        configure(&configuration)
        let server = FusionAPIServer(engine: engine, presets: try FusionPresets.loadDefault(), configuration: configuration)
        try server.start()
        do {
            try await body(server)
        } catch {
            await server.stop(gracePeriod: .zero)
            await engine.evictIdle()
            throw error
        }
        await server.stop(gracePeriod: .seconds(2))
        // Later suites in this process plan against its resident memory: leave no model loaded.
        await engine.evictIdle()
    }
}

/// A chat request body as JSON text.
func chatBody(model: String, _ content: String, extra: [String: Any] = [:]) -> String {
    var object: [String: Any] = ["model": model, "messages": [["role": "user", "content": content]]]
    for (key, value) in extra { object[key] = value }
    let data = try! JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
    return String(decoding: data, as: UTF8.self)
}

/// POST /v1/chat/completions on a new connection.
func postChat(_ port: Int, _ body: String, headers: String = "", timeout: Duration = .seconds(300)) async throws -> RawResponse {
    try await roundTrip(port, post("/v1/chat/completions", body: body, headers: headers), timeout: timeout)
}

extension RawResponse {
    /// The body as a JSON object (empty when it is not one).
    var json: [String: Any] {
        (try? JSONSerialization.jsonObject(with: Data(body))) as? [String: Any] ?? [:]
    }
    /// `choices[0].message.content`.
    var content: String? {
        ((json["choices"] as? [[String: Any]])?.first?["message"] as? [String: Any])?["content"] as? String
    }
    var usage: [String: Int] { json["usage"] as? [String: Int] ?? [:] }
}

/// A parsed SSE stream: the `data:` payloads in order and the comments.
struct EventStream {
    var data: [String] = []
    var comments: [String] = []

    init(_ text: String) {
        for block in text.components(separatedBy: "\n\n") {
            for line in block.split(separator: "\n") {
                if line.hasPrefix("data: ") { data.append(String(line.dropFirst(6))) }
                else if line.hasPrefix(":") { comments.append(String(line.dropFirst(1)).trimmingCharacters(in: .whitespaces)) }
            }
        }
    }

    /// Every JSON chunk (everything but `[DONE]`).
    var chunks: [[String: Any]] {
        data.filter { $0 != "[DONE]" }.compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
    }
    /// The streamed answer: every `delta.content` joined.
    var text: String {
        chunks.compactMap { (($0["choices"] as? [[String: Any]])?.first?["delta"] as? [String: Any])?["content"] as? String }.joined()
    }
    var finishReasons: [String] {
        chunks.compactMap { ($0["choices"] as? [[String: Any]])?.first?["finish_reason"] as? String }
    }
}

/// Polls `condition` until it holds or `timeout` passes.
func eventually(timeout: Duration = .seconds(5), _ condition: () async -> Bool) async -> Bool {
    let deadline = ContinuousClock.now + timeout
    while ContinuousClock.now < deadline {
        if await condition() { return true }
        try? await Task.sleep(for: .milliseconds(50))
    }
    return await condition()
}
