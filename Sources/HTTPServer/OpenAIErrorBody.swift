// The error document OpenAI's API returns, so that every error this server produces (from the HTTP
// layer's 4xx up to the engine's 503) parses in unmodified OpenAI clients:
//   {"error": {"message": "...", "type": "invalid_request_error", "param": null, "code": null}}
// `param` and `code` are written as explicit nulls because clients index them without checking.
import Foundation

/// The `error` object of an OpenAI error response.
public struct OpenAIErrorBody: Sendable, Equatable, Codable {
    /// Human-readable explanation.
    public var message: String
    /// The error category, e.g. `invalid_request_error` or `server_error`.
    public var type: String
    /// The request parameter at fault, if any (e.g. `messages`).
    public var param: String?
    /// A machine-readable code, if any (e.g. `model_not_found`).
    public var code: String?

    /// Creates an error body.
    public init(message: String, type: String = "invalid_request_error", param: String? = nil, code: String? = nil) {
        self.message = message
        self.type = type
        self.param = param
        self.code = code
    }

    /// Creates an error body whose type follows the status: `server_error` for 5xx,
    /// `rate_limit_error` for 429, `invalid_request_error` for other 4xx.
    public init(status: HTTPStatus, message: String, param: String? = nil, code: String? = nil) {
        self.init(message: message, type: Self.defaultType(for: status), param: param, code: code)
    }

    /// The `type` OpenAI uses for a status class.
    public static func defaultType(for status: HTTPStatus) -> String {
        // A 429 is not the request's fault: clients that branch on `type` should retry it.
        if status == .tooManyRequests { return "rate_limit_error" }
        return status.statusClass == 5 ? "server_error" : "invalid_request_error"
    }

    private enum CodingKeys: String, CodingKey {
        case message, type, param, code
    }

    /// Encodes all four keys, with `null` for absent `param` / `code`.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(message, forKey: .message)
        try container.encode(type, forKey: .type)
        // `encode` (not the synthesized `encodeIfPresent`) writes an Optional's nil as `null`.
        try container.encode(param, forKey: .param)
        try container.encode(code, forKey: .code)
    }

    /// The whole document, `{"error": {…}}`, as UTF-8 JSON bytes.
    public var jsonBytes: [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        // Encoding four strings cannot fail; the fallback only keeps the signature non-throwing.
        let data = (try? encoder.encode(Envelope(error: self))) ?? Data(#"{"error":{"message":"error"}}"#.utf8)
        return [UInt8](data)
    }

    /// Decodes a `{"error": {…}}` document (used by tests and by clients of other servers).
    public static func decode(_ bytes: [UInt8]) -> OpenAIErrorBody? {
        try? JSONDecoder().decode(Envelope.self, from: Data(bytes)).error
    }

    private struct Envelope: Codable {
        var error: OpenAIErrorBody
    }
}
