// Counters for the server's /metrics endpoint. They are updated by connection threads and handler
// tasks, so they live behind one lock and are read as a consistent snapshot.

/// A snapshot of the server's connection and request counters.
public struct HTTPServerMetrics: Sendable, Equatable {
    /// Connections currently open.
    public var activeConnections = 0
    /// Connections accepted since start (including refused ones).
    public var totalConnections = 0
    /// Connections refused with 503 because ``HTTPServerConfiguration/maxConnections`` was reached.
    public var refusedConnections = 0
    /// Requests handed to the handler since start.
    public var totalRequests = 0
    /// Requests whose handler has not returned yet.
    public var inFlightRequests = 0
    /// Requests rejected before reaching the handler (malformed, too large, timed out).
    public var rejectedRequests = 0
    /// Requests whose client went away before the response was completely sent.
    public var clientDisconnects = 0
    /// Responses sent, by status class (1 to 5; 100 Continue is not counted).
    public var responsesByStatusClass: [Int: Int] = [:]

    /// Creates an all-zero snapshot.
    public init() {}

    /// Responses sent with a status in class `statusClass` (2 for 2xx, …).
    public func responses(statusClass: Int) -> Int {
        responsesByStatusClass[statusClass] ?? 0
    }
}

/// The live counters behind ``HTTPServer/metrics``.
final class MetricsRecorder: Sendable {
    private let counters = Locked(HTTPServerMetrics())

    var snapshot: HTTPServerMetrics { counters.value }

    func connectionOpened() {
        counters.withLock {
            $0.activeConnections += 1
            $0.totalConnections += 1
        }
    }

    func connectionClosed() {
        counters.withLock { $0.activeConnections -= 1 }
    }

    func connectionRefused() {
        counters.withLock {
            $0.totalConnections += 1
            $0.refusedConnections += 1
        }
    }

    func requestStarted() {
        counters.withLock {
            $0.totalRequests += 1
            $0.inFlightRequests += 1
        }
    }

    func requestFinished(clientGone: Bool) {
        counters.withLock {
            $0.inFlightRequests -= 1
            if clientGone { $0.clientDisconnects += 1 }
        }
    }

    func requestRejected() {
        counters.withLock { $0.rejectedRequests += 1 }
    }

    func recordResponse(_ status: HTTPStatus) {
        counters.withLock { $0.responsesByStatusClass[status.statusClass, default: 0] += 1 }
    }
}
