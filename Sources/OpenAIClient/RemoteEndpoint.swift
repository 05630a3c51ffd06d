// Where a remote seat lives and how patient the client is with it.

/// An OpenAI-compatible server (llama-server, another LocalFusion, a hosted API) and the limits
/// used when talking to it. The API key is a secret: it is sent only in the `Authorization`
/// header and never appears in descriptions, mirrors or errors.
public struct RemoteEndpoint: Sendable {
    /// The API root including the version, e.g. `http://127.0.0.1:8081/v1`; the client appends
    /// `/chat/completions`.
    public var baseURL: String
    /// Sent as `Authorization: Bearer …` when set.
    public var apiKey: String?
    /// Seconds allowed for the TCP (and TLS) connection.
    public var connectTimeout: Double
    /// Most seconds the client waits without receiving a single byte before giving up. Bounds a
    /// stalled server without limiting a long, steady stream.
    public var readTimeout: Double
    /// Seconds for the whole call, retries and backoff included; nil means no overall limit.
    public var overallTimeout: Double?
    /// Attempts after the first one, made only for connection failures, 429 and 5xx.
    public var maxRetries: Int
    /// Backoff before retry n is `retryBaseDelay * 2^(n-1)` seconds unless the server says
    /// `Retry-After`.
    public var retryBaseDelay: Double
    /// Extra request headers (e.g. an organisation id). They cannot replace the client's own
    /// `Content-Type`, `Authorization` or `X-LocalFusion-Depth`.
    public var extraHeaders: [String: String]

    /// Creates an endpoint description.
    public init(baseURL: String, apiKey: String? = nil, connectTimeout: Double = 5, readTimeout: Double = 60,
                overallTimeout: Double? = nil, maxRetries: Int = 2, retryBaseDelay: Double = 0.5,
                extraHeaders: [String: String] = [:]) {
        self.baseURL = baseURL
        self.apiKey = apiKey
        self.connectTimeout = connectTimeout
        self.readTimeout = readTimeout
        self.overallTimeout = overallTimeout
        self.maxRetries = maxRetries
        self.retryBaseDelay = retryBaseDelay
        self.extraHeaders = extraHeaders
    }

    /// `{baseURL}/chat/completions`, tolerating a trailing slash on the base.
    var chatCompletionsURL: String {
        var base = baseURL
        while base.hasSuffix("/") { base.removeLast() }
        return base + "/chat/completions"
    }

    /// `host:port` from the base URL for error messages: no scheme, path or user info, so
    /// credentials embedded in the URL never leak into an error.
    var hostDescription: String {
        var rest = Substring(baseURL)
        if let schemeEnd = rest.range(of: "://") { rest = rest[schemeEnd.upperBound...] }
        if let slash = rest.firstIndex(where: { $0 == "/" || $0 == "?" || $0 == "#" }) { rest = rest[..<slash] }
        if let at = rest.lastIndex(of: "@") { rest = rest[rest.index(after: at)...] }
        return rest.isEmpty ? "the remote endpoint" : String(rest)
    }

    /// `text` with every occurrence of the API key replaced, for anything that may be shown.
    func redacting(_ text: String) -> String {
        guard let key = apiKey, key.count >= 4 else { return text }
        return text.replacingOccurrences(of: key, with: "[redacted]")
    }
}

extension RemoteEndpoint: CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    /// Names the endpoint and says whether a key is set, never the key.
    public var description: String {
        "RemoteEndpoint(\(baseURL), key: \(apiKey == nil ? "none" : "set"), connect \(connectTimeout) s, "
            + "read \(readTimeout) s, overall \(overallTimeout.map { "\($0) s" } ?? "none"), retries \(maxRetries))"
    }

    /// Same as ``description``.
    public var debugDescription: String { description }

    /// Keeps `dump` and debuggers from printing the key.
    public var customMirror: Mirror {
        Mirror(self, children: ["baseURL": baseURL, "apiKey": apiKey == nil ? "none" : "set",
                                "connectTimeout": connectTimeout, "readTimeout": readTimeout,
                                "overallTimeout": overallTimeout as Any, "maxRetries": maxRetries,
                                "retryBaseDelay": retryBaseDelay, "extraHeaders": extraHeaders.keys.sorted()])
    }
}
