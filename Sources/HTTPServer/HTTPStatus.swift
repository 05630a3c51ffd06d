// Status codes the server and its handlers use, with their standard reason phrases.

/// An HTTP status code with its reason phrase.
public struct HTTPStatus: Sendable, Hashable, ExpressibleByIntegerLiteral, CustomStringConvertible {
    /// The three-digit code.
    public var code: Int
    /// The reason phrase sent on the status line.
    public var reasonPhrase: String

    /// Creates a status; an unknown code gets a generic phrase.
    public init(code: Int, reasonPhrase: String? = nil) {
        self.code = code
        self.reasonPhrase = reasonPhrase ?? Self.standardPhrases[code] ?? Self.genericPhrase(for: code)
    }

    /// Allows `200` where an `HTTPStatus` is expected.
    public init(integerLiteral value: Int) {
        self.init(code: value)
    }

    /// The class as a digit: 1 informational, 2 success, 3 redirect, 4 client error, 5 server error.
    public var statusClass: Int { code / 100 }

    /// Whether a response with this status must not carry a body (1xx, 204, 304).
    var forbidsBody: Bool { statusClass == 1 || code == 204 || code == 304 }

    /// `200 OK`.
    public var description: String { "\(code) \(reasonPhrase)" }

    /// Statuses are equal when their codes are; the reason phrase is only decoration.
    public static func == (lhs: HTTPStatus, rhs: HTTPStatus) -> Bool { lhs.code == rhs.code }
    /// Hashes the code only, consistent with `==`.
    public func hash(into hasher: inout Hasher) { hasher.combine(code) }

    /// 100 Continue: sent before reading a body when the client asked with `Expect: 100-continue`.
    public static let `continue` = HTTPStatus(code: 100)
    /// 200 OK.
    public static let ok = HTTPStatus(code: 200)
    /// 204 No Content.
    public static let noContent = HTTPStatus(code: 204)
    /// 400 Bad Request: malformed syntax or framing.
    public static let badRequest = HTTPStatus(code: 400)
    /// 401 Unauthorized: missing or wrong API key.
    public static let unauthorized = HTTPStatus(code: 401)
    /// 404 Not Found.
    public static let notFound = HTTPStatus(code: 404)
    /// 405 Method Not Allowed.
    public static let methodNotAllowed = HTTPStatus(code: 405)
    /// 408 Request Timeout: the request did not arrive completely within the read timeout.
    public static let requestTimeout = HTTPStatus(code: 408)
    /// 413 Content Too Large: the body exceeds the configured maximum.
    public static let contentTooLarge = HTTPStatus(code: 413)
    /// 414 URI Too Long: the request line exceeds its limit.
    public static let uriTooLong = HTTPStatus(code: 414)
    /// 417 Expectation Failed: an `Expect` value other than `100-continue`.
    public static let expectationFailed = HTTPStatus(code: 417)
    /// 429 Too Many Requests.
    public static let tooManyRequests = HTTPStatus(code: 429)
    /// 431 Request Header Fields Too Large.
    public static let requestHeaderFieldsTooLarge = HTTPStatus(code: 431)
    /// 500 Internal Server Error.
    public static let internalServerError = HTTPStatus(code: 500)
    /// 501 Not Implemented: e.g. a transfer coding other than chunked.
    public static let notImplemented = HTTPStatus(code: 501)
    /// 503 Service Unavailable: too many connections, shutting down, or still loading.
    public static let serviceUnavailable = HTTPStatus(code: 503)
    /// 505 HTTP Version Not Supported.
    public static let httpVersionNotSupported = HTTPStatus(code: 505)

    private static let standardPhrases: [Int: String] = [
        100: "Continue", 101: "Switching Protocols",
        200: "OK", 201: "Created", 202: "Accepted", 204: "No Content", 206: "Partial Content",
        301: "Moved Permanently", 302: "Found", 303: "See Other", 304: "Not Modified",
        307: "Temporary Redirect", 308: "Permanent Redirect",
        400: "Bad Request", 401: "Unauthorized", 403: "Forbidden", 404: "Not Found",
        405: "Method Not Allowed", 406: "Not Acceptable", 408: "Request Timeout", 409: "Conflict",
        410: "Gone", 411: "Length Required", 413: "Content Too Large", 414: "URI Too Long",
        415: "Unsupported Media Type", 417: "Expectation Failed", 422: "Unprocessable Content",
        429: "Too Many Requests", 431: "Request Header Fields Too Large",
        500: "Internal Server Error", 501: "Not Implemented", 502: "Bad Gateway",
        503: "Service Unavailable", 504: "Gateway Timeout", 505: "HTTP Version Not Supported",
    ]

    private static func genericPhrase(for code: Int) -> String {
        switch code / 100 {
        case 1: return "Informational"
        case 2: return "Success"
        case 3: return "Redirection"
        case 4: return "Client Error"
        default: return "Server Error"
        }
    }
}
