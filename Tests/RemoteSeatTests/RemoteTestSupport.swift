// Providers for the remote-seat tests: a scripted OpenAI-compatible fake on our HTTPServer (exact
// control over statuses and streams), raw sockets for what HTTP cannot express (silence, a cut
// stream), and an engine wired to them.
import Foundation
import Testing
import Fusion
import HTTPServer
import HTTPTestSupport
import Llama

/// What the fake provider does with the n-th request (0-based); the last entry repeats.
enum FakeReply: Sendable {
    /// A streamed answer made of these pieces.
    case stream([String])
    /// An error status with an OpenAI error body.
    case status(Int)
    /// A `data:` line that is not JSON.
    case garbage
}

/// An OpenAI-compatible fake provider that records every request.
final class FakeProvider: Sendable {
    let server: HTTPServer
    private let recorded = LockedList<HTTPRequest>()

    init(_ script: [FakeReply]) throws {
        let recorded = recorded
        server = HTTPServer(configuration: HTTPServerConfiguration(host: "127.0.0.1", port: 0)) { request, writer in
            let index = recorded.append(request)
            switch script[min(index, script.count - 1)] {
            case .status(let code):
                writer.send(.openAIError(HTTPStatus(code: code), message: "scripted failure \(code)"))
            case .garbage:
                writer.startEventStream()
                await writer.sendEvent(data: "this is not json")
            case .stream(let pieces):
                writer.startEventStream()
                for piece in pieces {
                    await writer.sendEvent(data: #"{"choices":[{"index":0,"delta":{"content":"\#(piece)"},"finish_reason":null}]}"#)
                }
                await writer.sendEvent(data: #"{"choices":[{"index":0,"delta":{},"finish_reason":"stop"}]}"#)
                await writer.sendEvent(data: #"{"choices":[],"usage":{"prompt_tokens":12,"completion_tokens":\#(pieces.count),"total_tokens":\#(12 + pieces.count)}}"#)
                await writer.sendEvent(data: "[DONE]")
            }
        }
        try server.start()
    }

    var baseURL: String { "http://127.0.0.1:\(server.port)/v1" }
    var requests: [HTTPRequest] { recorded.items }
    func stop() async { await server.stop(gracePeriod: .zero) }
}

final class LockedList<Element: Sendable>: @unchecked Sendable {
    private let lock = NSLock()
    private var storage: [Element] = []
    /// Appends and returns the element's index.
    func append(_ element: Element) -> Int { lock.withLock { storage.append(element); return storage.count - 1 } }
    var items: [Element] { lock.withLock { storage } }
}

enum RemoteTests {
    /// A providers file as the user writes it.
    static func providers(_ entries: [String: String], seats: [String: [String]] = [:], timeout: Double = 20,
                          extra: [String: Any] = [:]) throws -> ProvidersConfig {
        var providers: [String: Any] = [:]
        for (name, url) in entries {
            providers[name] = ["base_url": url, "api_key_env": "TEST_REMOTE_KEY", "timeout_s": timeout, "max_retries": 2,
                               "price_per_mtok": ["input": 1.0, "output": 2.0]]
        }
        var root: [String: Any] = ["providers": providers, "seats": seats]
        for (key, value) in extra { root[key] = value }
        return try ProvidersConfig.parse(JSONSerialization.data(withJSONObject: root))
    }

    static let secret = "sk-test-5f3a9c1e"

    static func engine(_ providers: ProvidersConfig, offline: Bool = false, budget: UInt64 = 8 << 30) throws -> FusionEngine {
        let store = ModelStore(catalog: try ModelCatalog.loadDefault())
        for id in ["smollm2-135m"] where store.status(for: try store.catalog.entry(id: id)) == .missing {
            Issue.record("model \(id) is missing; run 'fusion models pull \(id)' (scripts/test.sh does)")
        }
        return try FusionEngine(store: store, budget: MemoryBudget(bytes: budget), keepAlive: .seconds(60),
                                remote: RemoteSettings(providers: providers, offline: offline,
                                                       environment: ["TEST_REMOTE_KEY": secret]))
    }

    /// A short aggregate-mode fusion judged by smollm2 (the cheapest real writer).
    static func request(panel: [String], question: String = "Name a color.") -> FusionRequest {
        var request = FusionRequest(question: question, panel: panel.map { SeatSpec(model: $0) }, judge: "smollm2-135m")
        request.mode = .aggregate
        request.panelMaxTokens = 16
        request.synthesisMaxTokens = 16
        request.seed = 1
        request.contextSize = 1024
        return request
    }

    /// The result as `--json` prints it, for "the key never appears" checks.
    static func json(_ result: FusionResult) throws -> String {
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        return String(decoding: try encoder.encode(result), as: UTF8.self)
    }
}
