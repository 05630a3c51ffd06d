import Foundation
import Fusion
import HTTPServer

/// Settings of `fusion serve`.
public struct FusionServerConfiguration: Sendable {
    /// Socket, limits and timeouts (binds 127.0.0.1:8080 unless told otherwise).
    public var http = HTTPServerConfiguration(host: "127.0.0.1", port: 8080)
    /// When set, every route but `/health` needs `Authorization: Bearer <key>`.
    public var apiKey: String?
    /// Context size of every model the server loads.
    public var contextSize = 4096
    /// CPU threads per model (default: all cores).
    public var threads: Int?
    /// Requests that run at once (one generation already fills 2 cores).
    public var maxActive = 1
    /// Requests that may wait for a slot before new ones get 429.
    public var maxWaiting = 32
    /// Models loaded (and pinned) at start; `/health` answers 503 until they are resident.
    public var preload: [String] = []

    public init() {}
}

/// The OpenAI-compatible API over a `FusionEngine`: `/v1/chat/completions` (single model, fusion,
/// fusion plugin, fusion tool; JSON or SSE), `/v1/models`, `/health`, `/metrics`.
///
/// ```swift
/// let server = FusionAPIServer(engine: engine, presets: try FusionPresets.loadDefault(), configuration: config)
/// try server.start()
/// await server.waitUntilStopped()
/// ```
public final class FusionAPIServer: Sendable {
    public let engine: FusionEngine
    public let configuration: FusionServerConfiguration
    let router: ModelRouter
    let admission: AdmissionQueue
    let metrics = ServerMetrics()
    private let readiness = LockedState(Readiness.ready)
    private let http = LockedState<HTTPServer?>(nil)

    enum Readiness: Equatable, Sendable { case loading(String), ready, failed(String) }

    public init(engine: FusionEngine, presets: FusionPresets, configuration: FusionServerConfiguration) {
        self.engine = engine
        self.configuration = configuration
        router = ModelRouter(store: engine.store, presets: presets, remote: engine.remote, contextSize: configuration.contextSize,
                             threads: configuration.threads)
        admission = AdmissionQueue(maxActive: configuration.maxActive, maxWaiting: configuration.maxWaiting)
    }

    /// Binds and starts serving; preloads models in the background (503 until they are resident).
    public func start() throws {
        // Weak: the server holds the HTTP server, so a strong capture would keep both (and every
        // loaded model of the engine) alive after stop().
        let server = HTTPServer(configuration: configuration.http) { [weak self] request, writer in
            guard let self else {
                writer.sendError(.serviceUnavailable, message: "the server is shutting down")
                return
            }
            await self.handle(request, writer)
        }
        try server.start()
        http.withLock { $0 = server }
        guard !configuration.preload.isEmpty else { return }
        readiness.withLock { $0 = .loading(configuration.preload.joined(separator: ", ")) }
        Task { [self] in
            do {
                for model in configuration.preload { try await engine.preload(model, contextSize: configuration.contextSize) }
                readiness.withLock { $0 = .ready }
            } catch {
                readiness.withLock { $0 = .failed("preloading failed: \(error)") }
            }
        }
    }

    /// The port bound (useful with port 0).
    public var port: Int { http.withLock { $0?.port ?? 0 } }

    /// True once preloaded models are resident (always true without `preload`).
    public var isReady: Bool { readiness.withLock { $0 == .ready } }

    /// Stops accepting, lets running requests finish for `gracePeriod`, then cancels them.
    public func stop(gracePeriod: Duration = .seconds(10)) async {
        guard let server = http.withLock({ $0 }) else { return }
        await server.stop(gracePeriod: gracePeriod)
    }

    public func waitUntilStopped() async {
        guard let server = http.withLock({ $0 }) else { return }
        await server.waitUntilStopped()
    }

    // MARK: - Routing

    func handle(_ request: HTTPRequest, _ writer: ResponseWriter) async {
        let start = ContinuousClock.now
        let route: String
        let status: Int
        switch (request.method, request.path) {
        case ("GET", "/health"), ("GET", "/v1/health"), ("HEAD", "/health"):
            (route, status) = ("health", health(writer))
        case (_, _) where !authorized(request):
            (route, status) = ("auth", send(APIError(status: .unauthorized,
                message: "missing or wrong API key: send 'Authorization: Bearer <key>'", code: "invalid_api_key"), to: writer))
        case ("GET", "/v1/models"), ("GET", "/models"):
            (route, status) = ("models", send(json: ModelList(ids: router.advertisedModels), to: writer))
        case ("GET", let path) where path.hasPrefix("/v1/models/"):
            let id = String(path.dropFirst("/v1/models/".count)).removingPercentEncoding ?? ""
            route = "models"
            status = router.advertisedModels.contains(id)
                ? send(json: ModelList.Model(id: id), to: writer)
                : send(.modelNotFound(id, known: router.advertisedModels), to: writer)
        case ("POST", "/v1/chat/completions"), ("POST", "/chat/completions"):
            (route, status) = await chatCompletions(request, writer)
        case ("GET", "/metrics"):
            route = "metrics"
            status = await sendMetrics(writer)
        case (_, "/health"), (_, "/v1/models"), (_, "/v1/chat/completions"), (_, "/metrics"):
            (route, status) = ("other", send(APIError(status: .methodNotAllowed, message: "\(request.method) is not allowed on \(request.path)",
                                                       code: "method_not_allowed"), to: writer))
        default:
            (route, status) = ("other", send(APIError(status: .notFound, message: "no route \(request.method) \(request.path)",
                                                       code: "not_found"), to: writer))
        }
        metrics.request(route: route, status: status, seconds: (ContinuousClock.now - start).secondsValue)
    }

    private func health(_ writer: ResponseWriter) -> Int {
        switch readiness.withLock({ $0 }) {
        case .ready:
            writer.send(.json(Array(#"{"status":"ok"}"#.utf8)))
            return 200
        case .loading(let models):
            writer.send(HTTPResponse(status: .serviceUnavailable, headers: ["Content-Type": "application/json", "Retry-After": "2"],
                                     body: WireJSON.encode(["status": "loading", "models": models])))
            return 503
        case .failed(let why):
            writer.send(HTTPResponse(status: .serviceUnavailable, headers: ["Content-Type": "application/json"],
                                     body: WireJSON.encode(["status": "error", "error": why])))
            return 503
        }
    }

    /// 503 while preloading, so clients retry instead of timing out behind a load.
    func readinessError() -> APIError? {
        switch readiness.withLock({ $0 }) {
        case .ready: return nil
        case .loading(let models):
            return APIError(status: .serviceUnavailable, message: "loading \(models); try again shortly", code: "model_loading", retryAfter: 2)
        case .failed(let why):
            return APIError(status: .serviceUnavailable, message: why, code: "model_unavailable")
        }
    }

    private func authorized(_ request: HTTPRequest) -> Bool {
        guard let key = configuration.apiKey, !key.isEmpty else { return true }
        guard let header = request.headers["Authorization"], header.lowercased().hasPrefix("bearer ") else { return false }
        return Self.constantTimeEqual(Array(header.dropFirst(7).utf8), Array(key.utf8))
    }

    /// Compares without an early exit, so response timing does not reveal how much of a key matched.
    static func constantTimeEqual(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        var difference = UInt8(a.count == b.count ? 0 : 1)
        for index in 0..<max(a.count, b.count) {
            difference |= (index < a.count ? a[index] : 0) ^ (index < b.count ? b[index] : 0)
        }
        return difference == 0
    }

    private func sendMetrics(_ writer: ResponseWriter) async -> Int {
        let snapshot = await engine.schedulerSnapshot()
        let text = metrics.render(scheduler: snapshot, http: http.withLock { $0?.metrics } ?? HTTPServerMetrics(),
                                  waiting: await admission.waiting, running: await admission.running,
                                  budgetBytes: engine.requestedBudget.bytes, residentBytes: ProcessMemoryProbe().residentBytes())
        writer.send(HTTPResponse(status: .ok, headers: ["Content-Type": "text/plain; version=0.0.4; charset=utf-8"],
                                 body: Array(text.utf8)))
        return 200
    }

    // MARK: - Sending

    @discardableResult
    func send(_ error: APIError, to writer: ResponseWriter) -> Int {
        var headers = error.headers
        headers.add(name: "Content-Type", value: "application/json")
        writer.send(HTTPResponse(status: error.status, headers: headers, body: error.body.jsonBytes))
        return error.status.code
    }

    @discardableResult
    func send<T: Encodable>(json value: T, to writer: ResponseWriter) -> Int {
        writer.send(.json(WireJSON.encode(value)))
        return 200
    }
}

/// `GET /v1/models`.
struct ModelList: Encodable {
    struct Model: Encodable {
        var id: String
        var object = "model"
        var created = 0
        var ownedBy = "localfusion"
    }
    var object = "list"
    var data: [Model]
    init(ids: [String]) { data = ids.map { Model(id: $0) } }
}

extension Duration {
    var secondsValue: Double {
        let (s, atto) = components
        return Double(s) + Double(atto) / 1e18
    }
}
