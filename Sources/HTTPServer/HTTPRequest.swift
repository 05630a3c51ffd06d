// One complete request as handed to a handler: the body is fully read (and de-chunked) before the
// handler runs, because every LocalFusion endpoint needs the whole JSON document anyway and it keeps
// handlers free of socket I/O.
import Foundation

/// An HTTP protocol version.
public struct HTTPVersion: Sendable, Equatable, Hashable, CustomStringConvertible {
    /// The major version (1).
    public var major: Int
    /// The minor version (0 or 1).
    public var minor: Int

    /// Creates a version.
    public init(major: Int, minor: Int) {
        self.major = major
        self.minor = minor
    }

    /// HTTP/1.0: connections close after each response unless the client asks for keep-alive.
    public static let http1_0 = HTTPVersion(major: 1, minor: 0)
    /// HTTP/1.1: connections persist unless either side sends `Connection: close`.
    public static let http1_1 = HTTPVersion(major: 1, minor: 1)

    /// `HTTP/1.1`.
    public var description: String { "HTTP/\(major).\(minor)" }
}

/// A parsed HTTP/1.x request with its complete body.
public struct HTTPRequest: Sendable, Equatable {
    /// The method exactly as sent (methods are case-sensitive): `GET`, `POST`, …
    public var method: String
    /// The request target as sent, e.g. `/v1/models?x=1`.
    public var target: String
    /// The path part of the target, still percent-encoded (routers compare it literally), e.g. `/v1/models`.
    /// For an absolute-form target (`http://host/p`) this is the path (`/p`).
    public var path: String
    /// The raw query after `?`, or nil when the target has none.
    public var query: String?
    /// The protocol version of the request.
    public var version: HTTPVersion
    /// The header fields, looked up case-insensitively.
    public var headers: HTTPHeaders
    /// The body after removing any chunked framing; empty when there was none.
    public var body: [UInt8]

    /// Creates a request; the server builds these, tests and routers may too.
    public init(method: String, target: String, version: HTTPVersion = .http1_1,
                headers: HTTPHeaders = [:], body: [UInt8] = []) {
        self.method = method
        self.target = target
        self.version = version
        self.headers = headers
        self.body = body
        (path, query) = Self.split(target: target)
    }

    /// Whether the client wants the connection kept open after the response (RFC 9112 §9.3):
    /// HTTP/1.1 unless `Connection: close`; HTTP/1.0 only with `Connection: keep-alive`.
    public var wantsKeepAlive: Bool {
        let tokens = headers.tokens(for: "Connection")
        if tokens.contains("close") { return false }
        if version == .http1_0 { return tokens.contains("keep-alive") }
        return version.major == 1
    }

    /// The body decoded as UTF-8, or nil when it is not valid UTF-8.
    public var bodyText: String? {
        String(validating: body, as: UTF8.self)
    }

    /// The query's `name=value` pairs, percent-decoded (`+` is not turned into a space, as in
    /// `URLComponents`); empty when there is no query.
    public var queryItems: [URLQueryItem] {
        guard let query else { return [] }
        var components = URLComponents()
        components.percentEncodedQuery = query
        return components.queryItems ?? []
    }

    /// The first value of query parameter `name`.
    public func queryValue(_ name: String) -> String? {
        queryItems.first { $0.name == name }?.value
    }

    private static func split(target: String) -> (path: String, query: String?) {
        var rest = Substring(target)
        // Absolute form (sent to proxies, allowed to servers): drop "scheme://authority".
        if let schemeEnd = rest.range(of: "://"), !rest.hasPrefix("/") {
            rest = rest[schemeEnd.upperBound...]
            rest = rest.firstIndex(of: "/").map { rest[$0...] } ?? "/"
        }
        let beforeFragment = rest.split(separator: "#", maxSplits: 1, omittingEmptySubsequences: false).first ?? ""
        let parts = beforeFragment.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false)
        let path = parts.first.map(String.init) ?? ""
        return (path.isEmpty ? "/" : path, parts.count > 1 ? String(parts[1]) : nil)
    }
}
