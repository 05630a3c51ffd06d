import HTTPServer

/// An error answered in OpenAI's JSON shape with the status a client acts on. Library errors are
/// mapped to these only here, at the server edge.
struct APIError: Error, Sendable, Equatable, CustomStringConvertible {
    var status: HTTPStatus
    var message: String
    /// OpenAI's `error.param`: the request field at fault.
    var param: String?
    /// OpenAI's `error.code`: a stable machine-readable reason.
    var code: String?
    /// Seconds for a `Retry-After` header (429, 503).
    var retryAfter: Int?

    var description: String { "\(status.code) \(message)" }

    static func badRequest(_ message: String, param: String? = nil, code: String? = nil) -> APIError {
        APIError(status: .badRequest, message: message, param: param, code: code)
    }
    static func invalidType(_ param: String, expected: String, got: JSONValue) -> APIError {
        .badRequest("'\(param)' must be \(expected), not \(got.typeName)", param: param, code: "invalid_type")
    }
    static func outOfRange(_ param: String, _ rule: String) -> APIError {
        .badRequest("'\(param)' \(rule)", param: param, code: "invalid_value")
    }
    static func modelNotFound(_ model: String, known: [String]) -> APIError {
        APIError(status: .notFound,
                 message: "The model '\(model)' does not exist or is not downloaded. Available: \(known.joined(separator: ", "))",
                 param: "model", code: "model_not_found")
    }
    static func busy(_ message: String, retryAfter: Int) -> APIError {
        APIError(status: .tooManyRequests, message: message, code: "server_busy", retryAfter: retryAfter)
    }

    var body: OpenAIErrorBody { OpenAIErrorBody(status: status, message: message, param: param, code: code) }

    /// Response headers that go with the error.
    var headers: HTTPHeaders {
        var headers = HTTPHeaders()
        if let retryAfter { headers.add(name: "Retry-After", value: String(retryAfter)) }
        return headers
    }
}
