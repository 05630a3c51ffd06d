import Foundation
import GGUF

/// Little-endian byte assembly, for writing both valid files and deliberately broken ones.
struct Bytes {
    var data: [UInt8] = []

    mutating func u8(_ value: UInt8) { data.append(value) }
    mutating func u16(_ value: UInt16) { append(value) }
    mutating func u32(_ value: UInt32) { append(value) }
    mutating func u64(_ value: UInt64) { append(value) }
    mutating func i64(_ value: Int64) { append(value) }

    /// A GGUF string: u64 byte length, then the bytes (no terminator).
    mutating func string(_ value: String) { raw(Array(value.utf8)) }

    /// A GGUF string with arbitrary (possibly invalid UTF-8) content.
    mutating func raw(_ bytes: [UInt8]) {
        u64(UInt64(bytes.count))
        data += bytes
    }

    mutating func append<T: FixedWidthInteger>(_ value: T) {
        withUnsafeBytes(of: value.littleEndian) { data += $0 }
    }

    mutating func pad(to alignment: Int) {
        while data.count % alignment != 0 { data.append(0) }
    }
}

/// A metadata value with its exact on-disk type, which `GGUFValue` deliberately forgets.
indirect enum WriterValue {
    case u8(UInt8), i8(Int8), u16(UInt16), i16(Int16), u32(UInt32), i32(Int32), f32(Float)
    case bool(Bool), string(String), u64(UInt64), i64(Int64), f64(Double)
    case array(GGUFValueType, [WriterValue])

    var type: GGUFValueType {
        switch self {
        case .u8: .uint8
        case .i8: .int8
        case .u16: .uint16
        case .i16: .int16
        case .u32: .uint32
        case .i32: .int32
        case .f32: .float32
        case .bool: .bool
        case .string: .string
        case .u64: .uint64
        case .i64: .int64
        case .f64: .float64
        case .array: .array
        }
    }

    /// What the reader should produce for this value when arrays are not summarised.
    var expected: GGUFValue {
        switch self {
        case .u8(let v): .uint(UInt64(v))
        case .u16(let v): .uint(UInt64(v))
        case .u32(let v): .uint(UInt64(v))
        case .u64(let v): .uint(v)
        case .i8(let v): .int(Int64(v))
        case .i16(let v): .int(Int64(v))
        case .i32(let v): .int(Int64(v))
        case .i64(let v): .int(v)
        case .f32(let v): .float(Double(v))
        case .f64(let v): .float(v)
        case .bool(let v): .bool(v)
        case .string(let v): .string(v)
        case .array(_, let elements): .array(elements.map(\.expected))
        }
    }

    /// The value's payload (without its type tag, which the caller writes).
    func write(to bytes: inout Bytes) {
        switch self {
        case .u8(let v): bytes.u8(v)
        case .i8(let v): bytes.append(v)
        case .u16(let v): bytes.u16(v)
        case .i16(let v): bytes.append(v)
        case .u32(let v): bytes.u32(v)
        case .i32(let v): bytes.append(v)
        case .f32(let v): bytes.u32(v.bitPattern)
        case .bool(let v): bytes.u8(v ? 1 : 0)
        case .string(let v): bytes.string(v)
        case .u64(let v): bytes.u64(v)
        case .i64(let v): bytes.i64(v)
        case .f64(let v): bytes.u64(v.bitPattern)
        case .array(let elementType, let elements):
            bytes.u32(elementType.rawValue)
            bytes.u64(UInt64(elements.count))
            for element in elements { element.write(to: &bytes) }
        }
    }
}

/// A minimal GGUF writer: enough to produce every structure the reader must handle.
struct GGUFWriter {
    struct Tensor {
        var name: String
        var dimensions: [UInt64]
        var type: UInt32
        /// nil: the packed, aligned offset a correct writer would use.
        var offset: UInt64?
    }

    var version: UInt32 = 3
    var metadata: [(key: String, value: WriterValue)] = []
    var tensors: [Tensor] = []
    var alignment = 32

    mutating func add(_ key: String, _ value: WriterValue) { metadata.append((key, value)) }

    mutating func addTensor(_ name: String, _ dimensions: [UInt64], _ type: GGMLType, offset: UInt64? = nil) {
        tensors.append(Tensor(name: name, dimensions: dimensions, type: type.rawValue, offset: offset))
    }

    /// The complete file: header, padding, then zero-filled tensor data (no padding after the
    /// last tensor, as real files end).
    func bytes() -> [UInt8] {
        var out = Bytes()
        out.data += Array("GGUF".utf8)
        out.u32(version)
        out.u64(UInt64(tensors.count))
        out.u64(UInt64(metadata.count))
        for (key, value) in metadata {
            out.string(key)
            out.u32(value.type.rawValue)
            value.write(to: &out)
        }
        var next: UInt64 = 0
        var dataEnd: UInt64 = 0
        for tensor in tensors {
            out.string(tensor.name)
            out.u32(UInt32(tensor.dimensions.count))
            for dimension in tensor.dimensions { out.u64(dimension) }
            out.u32(tensor.type)
            let offset = tensor.offset ?? next
            out.u64(offset)
            let size = GGMLType(rawValue: tensor.type)?.byteCount(dimensions: tensor.dimensions) ?? 0
            dataEnd = max(dataEnd, offset + size)
            next = (offset + size + UInt64(alignment) - 1) / UInt64(alignment) * UInt64(alignment)
        }
        if !tensors.isEmpty {
            out.pad(to: alignment)
            out.data += [UInt8](repeating: 0, count: Int(dataEnd))
        }
        return out.data
    }
}
