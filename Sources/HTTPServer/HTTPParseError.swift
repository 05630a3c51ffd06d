// Why a request was refused before any handler saw it. Each case carries the status the client gets
// and a message for the OpenAI-shaped error body; after any of them the connection is closed,
// because the framing of whatever follows can no longer be trusted.

/// A request the parser rejected, with the response status it calls for.
struct HTTPParseError: Error, Equatable, Sendable {
    /// 400, 408, 413, 414, 417, 431, 501 or 505.
    var status: HTTPStatus
    /// What was wrong, worded for the client.
    var message: String

    init(_ status: HTTPStatus, _ message: String) {
        self.status = status
        self.message = message
    }

    static func badRequest(_ message: String) -> HTTPParseError {
        HTTPParseError(.badRequest, message)
    }

    /// The response sent for this error: OpenAI-shaped JSON.
    var response: HTTPResponse {
        .openAIError(status, message: message)
    }
}
