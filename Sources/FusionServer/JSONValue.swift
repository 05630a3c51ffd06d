import Foundation

/// Any JSON value. Requests are read through it (not straight into Codable structs) so a wrong
/// type gets OpenAI's kind of error — "'temperature' must be a number" naming the parameter —
/// instead of a decoder's internal coding path.
enum JSONValue: Sendable, Equatable, Decodable {
    case null
    case bool(Bool)
    case number(Double)
    case string(String)
    case array([JSONValue])
    case object([String: JSONValue])

    init(from decoder: Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() { self = .null }
        else if let value = try? container.decode(Bool.self) { self = .bool(value) }
        else if let value = try? container.decode(Double.self) { self = .number(value) }
        else if let value = try? container.decode(String.self) { self = .string(value) }
        else if let value = try? container.decode([JSONValue].self) { self = .array(value) }
        else { self = .object(try container.decode([String: JSONValue].self)) }
    }

    /// Parses a request body; nil when it is not JSON (including invalid UTF-8).
    static func parse(_ bytes: [UInt8]) -> JSONValue? {
        try? JSONDecoder().decode(JSONValue.self, from: Data(bytes))
    }

    subscript(key: String) -> JSONValue? {
        if case .object(let fields) = self { return fields[key] }
        return nil
    }

    /// The number when it is a whole number that fits Int64 (JSON numbers arrive as Double, so
    /// 1.5, 1e19 and NaN are refused here rather than rounded or trapped on conversion).
    var wholeNumber: Int64? {
        guard case .number(let number) = self, number.isFinite, number.rounded() == number, abs(number) < 9.2e18 else { return nil }
        return Int64(number)
    }

    /// JSON's name for the type, for error messages.
    var typeName: String {
        switch self {
        case .null: return "null"
        case .bool: return "boolean"
        case .number: return "number"
        case .string: return "string"
        case .array: return "array"
        case .object: return "object"
        }
    }
}
