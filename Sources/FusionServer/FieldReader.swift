/// Reads typed, range-checked fields of a JSON object; errors name the field with its path
/// (`messages[2].role`), the way OpenAI's `error.param` does.
struct FieldReader {
    let value: JSONValue
    let prefix: String

    init(_ value: JSONValue, prefix: String = "") {
        self.value = value
        self.prefix = prefix
    }

    /// The field, or nil when absent or null.
    private func field(_ key: String) -> JSONValue? {
        guard let found = value[key], found != .null else { return nil }
        return found
    }

    func string(_ key: String, required: Bool = false) throws(APIError) -> String? {
        guard let found = field(key) else {
            if required { throw .badRequest("'\(prefix + key)' is required", param: prefix + key, code: "missing_field") }
            return nil
        }
        guard case .string(let text) = found else { throw .invalidType(prefix + key, expected: "a string", got: found) }
        return text
    }

    func bool(_ key: String) throws(APIError) -> Bool? {
        guard let found = field(key) else { return nil }
        guard case .bool(let flag) = found else { throw .invalidType(prefix + key, expected: "a boolean", got: found) }
        return flag
    }

    func number(_ key: String, range: ClosedRange<Double>) throws(APIError) -> Double? {
        guard let found = field(key) else { return nil }
        guard case .number(let number) = found, number.isFinite else { throw .invalidType(prefix + key, expected: "a number", got: found) }
        guard range.contains(number) else {
            throw .outOfRange(prefix + key, "must be between \(Self.format(range.lowerBound)) and \(Self.format(range.upperBound)) (got \(Self.format(number)))")
        }
        return number
    }

    func int(_ key: String, range: ClosedRange<Int>) throws(APIError) -> Int? {
        guard let found = field(key) else { return nil }
        guard let whole = found.wholeNumber else { throw .invalidType(prefix + key, expected: "an integer", got: found) }
        let integer = Int(whole)
        guard range.contains(integer) else {
            throw .outOfRange(prefix + key, "must be between \(range.lowerBound) and \(range.upperBound) (got \(integer))")
        }
        return integer
    }

    private static func format(_ number: Double) -> String {
        number.rounded() == number && abs(number) < 1e15 ? String(Int(number)) : String(number)
    }
}
