// State shared by the listener, every connection and the public HTTPServer object: configuration,
// handler, counters, the set of open connections and whether the server is draining for shutdown.
// Kept apart from HTTPServer so connections can reach it without retaining the public object.

/// The server's shared state; every member is thread-safe.
final class ServerCore: Sendable {
    private struct Registry {
        var draining = false
        var connections: [ObjectIdentifier: HTTPConnection] = [:]
    }

    let configuration: HTTPServerConfiguration
    let handler: HTTPServer.Handler
    let metrics = MetricsRecorder()
    private let registry = Locked(Registry())

    init(configuration: HTTPServerConfiguration, handler: @escaping HTTPServer.Handler) {
        self.configuration = configuration
        self.handler = handler
    }

    /// Whether shutdown has begun: no new requests on kept-alive connections, responses say close.
    var isDraining: Bool { registry.withLock { $0.draining } }

    /// Registers a new connection unless the server is draining or at its connection limit.
    func admit(_ connection: HTTPConnection) -> Bool {
        let admitted = registry.withLock { registry -> Bool in
            guard !registry.draining, registry.connections.count < configuration.maxConnections else { return false }
            registry.connections[ObjectIdentifier(connection)] = connection
            return true
        }
        if admitted { metrics.connectionOpened() } else { metrics.connectionRefused() }
        return admitted
    }

    /// Called by a connection's thread as its last act.
    func remove(_ connection: HTTPConnection) {
        let removed = registry.withLock { $0.connections.removeValue(forKey: ObjectIdentifier(connection)) != nil }
        if removed { metrics.connectionClosed() }
    }

    /// Starts draining and returns the open connections so the caller can wake them.
    func beginDraining() -> [HTTPConnection] {
        registry.withLock { registry in
            registry.draining = true
            return Array(registry.connections.values)
        }
    }

    /// The connections still open.
    var openConnections: [HTTPConnection] {
        registry.withLock { Array($0.connections.values) }
    }
}
