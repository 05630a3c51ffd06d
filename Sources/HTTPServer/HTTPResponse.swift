// A complete response value, plus the serialisation of a response head. Framing headers
// (Content-Length, Transfer-Encoding, Connection) are always written by the server, never taken from
// the handler, so a handler cannot desynchronise the connection by declaring the wrong length.

/// A complete response: status, headers and body.
public struct HTTPResponse: Sendable, Equatable {
    /// The status.
    public var status: HTTPStatus
    /// Header fields; framing fields are ignored and set by the server.
    public var headers: HTTPHeaders
    /// The body bytes.
    public var body: [UInt8]

    /// Creates a response.
    public init(status: HTTPStatus = .ok, headers: HTTPHeaders = [:], body: [UInt8] = []) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    /// A `text/plain; charset=utf-8` response.
    public static func text(_ text: String, status: HTTPStatus = .ok) -> HTTPResponse {
        HTTPResponse(status: status, headers: ["Content-Type": "text/plain; charset=utf-8"], body: Array(text.utf8))
    }

    /// An `application/json` response from already encoded bytes.
    public static func json(_ bytes: [UInt8], status: HTTPStatus = .ok) -> HTTPResponse {
        HTTPResponse(status: status, headers: ["Content-Type": "application/json"], body: bytes)
    }

    /// An error response in OpenAI's JSON shape (see ``OpenAIErrorBody``).
    public static func openAIError(_ status: HTTPStatus, message: String, type: String? = nil,
                                   param: String? = nil, code: String? = nil) -> HTTPResponse {
        let body = OpenAIErrorBody(message: message, type: type ?? OpenAIErrorBody.defaultType(for: status),
                                   param: param, code: code)
        return .json(body.jsonBytes, status: status)
    }
}

/// How a response body is delimited on the wire.
enum BodyFraming: Equatable {
    /// `Content-Length: n` (also used with n = 0).
    case contentLength(Int)
    /// `Transfer-Encoding: chunked` (HTTP/1.1 streams).
    case chunked
    /// The body ends when the connection closes (streams to HTTP/1.0 clients).
    case untilClose
    /// No body and no length header (1xx, 204, 304).
    case none
}

/// What the `Connection` header of a response says.
enum ConnectionDirective: Equatable {
    /// The server closes after this response: `Connection: close`.
    case close
    /// An HTTP/1.0 client asked to keep the connection: `Connection: keep-alive`.
    case keepAlive
    /// HTTP/1.1 persistent by default: no header.
    case implicit
}

enum ResponseHead {
    /// Headers that the server derives from framing; values from handlers are dropped.
    private static let framingHeaders = ["content-length", "transfer-encoding", "connection"]

    /// Serialises the status line and headers, ending with the empty line.
    static func bytes(status: HTTPStatus, headers: HTTPHeaders, framing: BodyFraming,
                      connection: ConnectionDirective) -> [UInt8] {
        var text = "HTTP/1.1 \(status.code) \(sanitize(status.reasonPhrase))\r\n"
        for (name, value) in headers where !framingHeaders.contains(name.lowercased()) {
            text += "\(sanitize(name)): \(sanitize(value))\r\n"
        }
        switch framing {
        case .contentLength(let length): text += "Content-Length: \(length)\r\n"
        case .chunked: text += "Transfer-Encoding: chunked\r\n"
        case .untilClose, .none: break
        }
        switch connection {
        case .close: text += "Connection: close\r\n"
        case .keepAlive: text += "Connection: keep-alive\r\n"
        case .implicit: break
        }
        text += "\r\n"
        return Array(text.utf8)
    }

    /// Replaces CR, LF and NUL so a value taken from user input can never split the response.
    private static func sanitize(_ text: String) -> String {
        guard text.utf8.contains(where: { $0 == 0x0D || $0 == 0x0A || $0 == 0 }) else { return text }
        return String(text.map { $0 == "\r" || $0 == "\n" || $0 == "\r\n" || $0 == "\0" ? " " : $0 })
    }
}
