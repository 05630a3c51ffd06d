// Every limit and timeout of the HTTP layer in one value, with defaults that are safe for a local
// API server: loopback only, bounded memory per connection, bounded threads, and timeouts that
// reclaim connections from idle or stalled clients.

/// Where the server listens and the limits it enforces on every connection.
public struct HTTPServerConfiguration: Sendable, Equatable {
    /// Address to bind. `127.0.0.1` keeps the API private to this machine; use `0.0.0.0` (or `::`)
    /// only when asked to, since the server has no TLS.
    public var host: String
    /// Port to bind; `0` lets the kernel choose one (read it back from ``HTTPServer/port``).
    public var port: Int
    /// `listen(2)` backlog.
    public var backlog: Int32
    /// Longest accepted request line (method, target, version); longer gets 414.
    public var maxRequestLineBytes: Int
    /// Largest header block (all field lines, and chunked trailers); larger gets 431.
    public var maxHeaderBytes: Int
    /// Most header fields in one request; more gets 431.
    public var maxHeaderCount: Int
    /// Largest request body after de-chunking; larger gets 413 and the connection is closed.
    public var maxBodyBytes: Int
    /// How long a keep-alive connection may sit between requests before it is closed silently.
    public var idleTimeout: Duration
    /// How long a client may take to send one complete request, from its first byte; exceeded gets 408.
    /// A total (not per-read) deadline, so a client dribbling bytes cannot hold a thread forever.
    public var readTimeout: Duration
    /// How long queued response bytes may make no progress before the client is treated as gone.
    public var writeTimeout: Duration
    /// Most simultaneous connections (each has a thread); more are answered 503 and closed.
    public var maxConnections: Int
    /// Buffered response bytes above which ``ResponseWriter`` writes wait for the socket to drain,
    /// so a slow reader pushes back on the producer instead of growing memory without bound.
    public var writeBufferHighWatermark: Int

    /// Creates a configuration; every parameter has the documented default.
    public init(host: String = "127.0.0.1",
                port: Int = 8080,
                backlog: Int32 = 128,
                maxRequestLineBytes: Int = 8 * 1024,
                maxHeaderBytes: Int = 16 * 1024,
                maxHeaderCount: Int = 100,
                maxBodyBytes: Int = 8 * 1024 * 1024,
                idleTimeout: Duration = .seconds(30),
                readTimeout: Duration = .seconds(30),
                writeTimeout: Duration = .seconds(30),
                maxConnections: Int = 256,
                writeBufferHighWatermark: Int = 1024 * 1024) {
        self.host = host
        self.port = port
        self.backlog = backlog
        self.maxRequestLineBytes = maxRequestLineBytes
        self.maxHeaderBytes = maxHeaderBytes
        self.maxHeaderCount = maxHeaderCount
        self.maxBodyBytes = maxBodyBytes
        self.idleTimeout = idleTimeout
        self.readTimeout = readTimeout
        self.writeTimeout = writeTimeout
        self.maxConnections = maxConnections
        self.writeBufferHighWatermark = writeBufferHighWatermark
    }

    /// The parser's share of the limits.
    var parserLimits: HTTPRequestParser.Limits {
        HTTPRequestParser.Limits(maxRequestLineBytes: maxRequestLineBytes, maxHeaderBytes: maxHeaderBytes,
                                 maxHeaderCount: maxHeaderCount, maxBodyBytes: maxBodyBytes)
    }
}
