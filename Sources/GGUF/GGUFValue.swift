/// The type tag of a metadata value as stored in the file (`enum gguf_type` in llama.cpp's gguf.h).
public enum GGUFValueType: UInt32, Sendable, Hashable, CaseIterable, CustomStringConvertible {
    /// Unsigned and signed integers of 8, 16, 32 and 64 bits.
    case uint8 = 0, int8 = 1, uint16 = 2, int16 = 3, uint32 = 4, int32 = 5, uint64 = 10, int64 = 11
    /// IEEE 754 single- and double-precision floats.
    case float32 = 6, float64 = 12
    /// One byte, zero for false.
    case bool = 7
    /// A u64 byte length followed by UTF-8 bytes, without a terminator.
    case string = 8
    /// A u32 element type, a u64 count, then the elements.
    case array = 9

    /// Bytes one element of this type occupies in the file, or `nil` when that depends on
    /// the content (strings and arrays are length-prefixed).
    public var fixedSize: Int? {
        switch self {
        case .uint8, .int8, .bool: return 1
        case .uint16, .int16: return 2
        case .uint32, .int32, .float32: return 4
        case .uint64, .int64, .float64: return 8
        case .string, .array: return nil
        }
    }

    /// The fewest bytes one value of this type can occupy: what bounds an element count against
    /// the bytes left in the file (a string is at least its u64 length, an array its type and count).
    var minimumSize: UInt64 {
        switch self {
        case .string: return 8
        case .array: return 12
        default: return UInt64(fixedSize!)
        }
    }

    /// The spelling used by gguf.cpp (`u8`, `i32`, `f64`, `str`, `arr`, …).
    public var description: String {
        switch self {
        case .uint8: return "u8"
        case .int8: return "i8"
        case .uint16: return "u16"
        case .int16: return "i16"
        case .uint32: return "u32"
        case .int32: return "i32"
        case .float32: return "f32"
        case .bool: return "bool"
        case .string: return "str"
        case .array: return "arr"
        case .uint64: return "u64"
        case .int64: return "i64"
        case .float64: return "f64"
        }
    }
}

/// A metadata value.
///
/// Integers and floats are widened to 64 bits: consumers ask "what is the context length", not
/// "was it stored as u32", and one case per width would make every lookup a 10-way switch.
///
/// Large arrays (the tokenizer's vocabulary, scores and merges: 50k–250k entries) are not
/// decoded; they become ``arraySummary(elementType:count:)``, which still answers "how many".
/// Decoding them would dominate the time to read a header and buys nothing for validation
/// or memory planning. See ``GGUFFile/read(at:arrayElementLimit:)``.
public enum GGUFValue: Sendable, Hashable, CustomStringConvertible {
    /// An unsigned integer (`u8`, `u16`, `u32` or `u64` in the file).
    case uint(UInt64)
    /// A signed integer (`i8`, `i16`, `i32` or `i64` in the file).
    case int(Int64)
    /// A floating-point number (`f32` or `f64` in the file).
    case float(Double)
    /// A boolean (one byte in the file; any non-zero byte is `true`, as in llama.cpp).
    case bool(Bool)
    /// A UTF-8 string; invalid sequences are replaced with U+FFFD.
    case string(String)
    /// An array whose elements were decoded. Arrays may nest.
    case array([GGUFValue])
    /// An array that was too large to decode: only its element type and length are kept.
    case arraySummary(elementType: GGUFValueType, count: UInt64)

    /// The value as an `Int`, if it is an integer that fits.
    public var intValue: Int? {
        switch self {
        case .uint(let value): return Int(exactly: value)
        case .int(let value): return Int(exactly: value)
        default: return nil
        }
    }

    /// The value as a `Double`, if it is a number of any kind.
    public var doubleValue: Double? {
        switch self {
        case .float(let value): return value
        case .uint(let value): return Double(value)
        case .int(let value): return Double(value)
        default: return nil
        }
    }

    /// The value as a `Bool`, if it is a boolean.
    public var boolValue: Bool? {
        if case .bool(let value) = self { return value }
        return nil
    }

    /// The value as a `String`, if it is a string.
    public var stringValue: String? {
        if case .string(let value) = self { return value }
        return nil
    }

    /// The decoded elements, if the value is an array that was decoded.
    public var arrayValue: [GGUFValue]? {
        if case .array(let elements) = self { return elements }
        return nil
    }

    /// The number of elements, if the value is an array (decoded or summarised).
    public var arrayCount: UInt64? {
        switch self {
        case .array(let elements): return UInt64(elements.count)
        case .arraySummary(_, let count): return count
        default: return nil
        }
    }

    /// A compact rendering for logs: strings quoted, big arrays as `[151936 × str]`.
    public var description: String {
        switch self {
        case .uint(let value): return String(value)
        case .int(let value): return String(value)
        case .float(let value): return String(value)
        case .bool(let value): return String(value)
        case .string(let value): return "\"" + value + "\""
        case .array(let elements):
            let shown = elements.prefix(8).map(\.description).joined(separator: ", ")
            return "[" + shown + (elements.count > 8 ? ", … (\(elements.count) total)" : "") + "]"
        case .arraySummary(let type, let count): return "[\(count) × \(type)]"
        }
    }
}
