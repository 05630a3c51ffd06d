/// Decodes a GGUF header from a ``ByteReader``, applying the checks of llama.cpp's
/// `gguf_init_from_file_impl` (ggml/src/gguf.cpp) plus the loader's "tensor data within file
/// bounds" check, so that a file accepted here is one llama.cpp will accept too.
///
/// Hostile input is the design constraint: every count is checked against the bytes left in the
/// file (times the fewest bytes one item can take) before anything is allocated for it, arrays
/// cannot nest without bound, and nothing is reserved up front from a count in the file.
struct GGUFParser {
    private let reader: ByteReader
    private let arrayElementLimit: Int
    /// Decoded array elements still allowed in this file. Per-array limits alone would let nested
    /// arrays multiply (1024 arrays of 1024 arrays…); once spent, arrays are only summarised.
    private var elementBudget: Int

    /// llama.cpp's own ceilings (GGUF_MAX_STRING_LENGTH, GGUF_MAX_ARRAY_ELEMENTS, GGML_MAX_NAME,
    /// GGML_MAX_DIMS). A count past them is corruption, whatever the file size.
    static let maxStringLength: UInt64 = 1 << 30
    static let maxArrayElements: UInt64 = 1 << 30
    static let maxTensorNameLength: UInt64 = 63
    static let maxDimensions: UInt32 = 4
    /// Not a llama.cpp limit: real files have tens of keys and at most tens of thousands of
    /// tensors. Past these a count is garbage, and saying "corrupt" beats "truncated".
    static let maxKeyValueCount: UInt64 = 1 << 24
    static let maxTensorCount: UInt64 = 1 << 24
    /// gguf.cpp rejects nested arrays; the GGUF spec allows them. Accept a little nesting, but
    /// never enough to exhaust the stack on a file made of array headers.
    static let maxArrayDepth = 8

    private static let magic: [UInt8] = Array("GGUF".utf8)

    init(reader: ByteReader, arrayElementLimit: Int) {
        self.reader = reader
        self.arrayElementLimit = max(0, arrayElementLimit)
        self.elementBudget = max(self.arrayElementLimit, 1 << 20)
    }

    private var path: String { reader.path }

    private func malformed(_ reason: String) -> GGUFError {
        .malformed(path: path, reason: reason)
    }

    mutating func parse() throws(GGUFError) -> GGUFFile {
        try readMagic()
        let version: UInt32 = try reader.read()
        guard GGUFFile.supportedVersions.contains(version) else {
            throw .unsupportedVersion(path: path, version: version)
        }
        let tensorCount: UInt64 = try reader.read()
        let kvCount: UInt64 = try reader.read()
        // Smallest key-value pair: u64 key length, 1-byte key, u32 type, 1-byte value.
        try checkCount(kvCount, each: 8 + 1 + 4 + 1, limit: Self.maxKeyValueCount, what: "metadata entries")
        // Smallest tensor info: u64 name length, u32 dimension count, u32 type, u64 offset.
        try checkCount(tensorCount, each: 8 + 4 + 4 + 8, limit: Self.maxTensorCount, what: "tensors")

        var metadata: [String: GGUFValue] = [:]
        for index in 0..<kvCount {
            let key = try readString(what: "metadata key #\(index)")
            guard !key.isEmpty else { throw malformed("a metadata key is empty") }
            guard metadata[key] == nil else { throw malformed("metadata key '\(key)' appears twice") }
            let type = try readValueType(for: key)
            if key == "general.alignment" && type != .uint32 {
                throw malformed("general.alignment must be a u32 but is a \(type)")
            }
            metadata[key] = try readValue(of: type, key: key, depth: 0)
        }

        var alignment: UInt64 = 32
        if case .uint(let value)? = metadata["general.alignment"] {
            guard value != 0, value & (value - 1) == 0 else {
                throw malformed("general.alignment is \(value), which is not a power of 2")
            }
            alignment = value
        }

        var tensors: [GGUFTensorInfo] = []
        var names = Set<String>()
        for index in 0..<tensorCount {
            let tensor = try readTensorInfo(index: index)
            guard names.insert(tensor.name).inserted else {
                throw malformed("tensor '\(tensor.name)' appears twice")
            }
            tensors.append(tensor)
        }

        // The data section starts at the next multiple of the alignment (llama.cpp only pads
        // when there are tensors to align).
        let headerEnd = reader.offset
        let dataOffset = try tensors.isEmpty ? headerEnd : alignUp(headerEnd, to: alignment, what: "data section")
        let dataEnd = try checkLayout(of: tensors, alignment: alignment)
        let (requiredSize, overflow) = dataOffset.addingReportingOverflow(dataEnd)
        guard !overflow else { throw malformed("tensor data extends past 2^64 bytes") }
        guard requiredSize <= reader.fileSize else {
            throw .truncated(path: path, expectedAtLeast: requiredSize, actual: reader.fileSize)
        }
        return GGUFFile(path: path, version: version, fileSize: reader.fileSize, dataOffset: dataOffset,
                        alignment: alignment, metadata: metadata, tensors: tensors)
    }

    // MARK: - Header pieces

    private func readMagic() throws(GGUFError) {
        let available = Int(min(reader.fileSize, 4))
        let head = try reader.bytes(available)
        guard head == Array(Self.magic.prefix(available)) else { throw .notGGUF(path: path) }
        // A file that is a prefix of "GGUF" (including an empty one) is the start of a download.
        // 24 bytes is the fixed header: magic, version, tensor count, metadata count.
        guard available == 4 else {
            throw .truncated(path: path, expectedAtLeast: 24, actual: reader.fileSize)
        }
    }

    /// Rejects a count that could not possibly fit in the rest of the file, before any loop or
    /// allocation uses it: past `limit` it is corruption; otherwise the file was cut short.
    private func checkCount(_ count: UInt64, each size: UInt64, limit: UInt64, what: String) throws(GGUFError) {
        guard count <= limit else {
            throw malformed("the header declares \(count) \(what), an impossible number")
        }
        // count ≤ 2^30 and size ≤ 24, so the product cannot overflow.
        try reader.require(count * size)
    }

    /// Reads a length-prefixed string, rejecting a length over `limit` before reading the bytes.
    private func readString(limit: UInt64 = maxStringLength,
                            what: @autoclosure () -> String = "a string") throws(GGUFError) -> String {
        let length: UInt64 = try reader.read()
        guard length <= limit else {
            throw malformed("\(what()) is \(GGUFError.bytes(length)) long; the limit is \(GGUFError.bytes(limit))")
        }
        try reader.require(length)
        return try reader.string(byteCount: Int(length))
    }

    private func readValueType(for key: String) throws(GGUFError) -> GGUFValueType {
        let raw: UInt32 = try reader.read()
        guard let type = GGUFValueType(rawValue: raw) else {
            throw malformed("metadata key '\(key)' has unknown value type \(raw)")
        }
        return type
    }

    // MARK: - Values

    private mutating func readValue(of type: GGUFValueType, key: String, depth: Int) throws(GGUFError) -> GGUFValue {
        switch type {
        case .uint8: return .uint(UInt64(try reader.read(UInt8.self)))
        case .uint16: return .uint(UInt64(try reader.read(UInt16.self)))
        case .uint32: return .uint(UInt64(try reader.read(UInt32.self)))
        case .uint64: return .uint(try reader.read(UInt64.self))
        case .int8: return .int(Int64(try reader.read(Int8.self)))
        case .int16: return .int(Int64(try reader.read(Int16.self)))
        case .int32: return .int(Int64(try reader.read(Int32.self)))
        case .int64: return .int(try reader.read(Int64.self))
        case .float32: return .float(Double(Float(bitPattern: try reader.read(UInt32.self))))
        case .float64: return .float(Double(bitPattern: try reader.read(UInt64.self)))
        case .bool: return .bool(try reader.read(UInt8.self) != 0)
        case .string: return .string(try readString(what: "a string in '\(key)'"))
        case .array: return try readArray(key: key, depth: depth + 1)
        }
    }

    /// Reads an array's element type and count, and checks that the file could hold that many.
    private func readArrayHeader(key: String, depth: Int) throws(GGUFError) -> (GGUFValueType, UInt64) {
        guard depth <= Self.maxArrayDepth else {
            throw malformed("metadata key '\(key)' nests arrays more than \(Self.maxArrayDepth) deep")
        }
        let elementType = try readValueType(for: key)
        let count: UInt64 = try reader.read()
        guard count <= Self.maxArrayElements else {
            throw malformed("metadata key '\(key)' declares an array of \(count) elements")
        }
        try reader.require(count * elementType.minimumSize)  // ≤ 2^30 × 12: no overflow
        return (elementType, count)
    }

    private mutating func readArray(key: String, depth: Int) throws(GGUFError) -> GGUFValue {
        let (elementType, count) = try readArrayHeader(key: key, depth: depth)
        guard count <= UInt64(arrayElementLimit), count <= UInt64(elementBudget) else {
            try skipElements(of: elementType, count: count, key: key, depth: depth)
            return .arraySummary(elementType: elementType, count: count)
        }
        elementBudget -= Int(count)
        var elements: [GGUFValue] = []
        elements.reserveCapacity(Int(count))  // Safe: bounded by the limit and the file size.
        for _ in 0..<count {
            elements.append(try readValue(of: elementType, key: key, depth: depth))
        }
        return .array(elements)
    }

    /// Moves past array elements without decoding them. Fixed-size elements are one seek;
    /// strings still need each length prefix read, which is the bulk of reading a header.
    private func skipElements(of type: GGUFValueType, count: UInt64, key: String, depth: Int) throws(GGUFError) {
        if let size = type.fixedSize {
            try reader.skip(count * UInt64(size))
            return
        }
        if type == .string {
            if let length = try reader.skipStrings(count, maxLength: Self.maxStringLength) {
                throw malformed("a string in '\(key)' is \(GGUFError.bytes(length)) long; "
                                + "the limit is \(GGUFError.bytes(Self.maxStringLength))")
            }
            return
        }
        for _ in 0..<count {
            try skipArray(key: key, depth: depth + 1)
        }
    }

    /// Moves past an array nested in one being skipped, with the same checks as ``readArray``.
    private func skipArray(key: String, depth: Int) throws(GGUFError) {
        let (elementType, count) = try readArrayHeader(key: key, depth: depth)
        try skipElements(of: elementType, count: count, key: key, depth: depth)
    }

    // MARK: - Tensors

    private func readTensorInfo(index: UInt64) throws(GGUFError) -> GGUFTensorInfo {
        let name = try readString(limit: Self.maxTensorNameLength, what: "the name of tensor #\(index)")
        let dimensionCount: UInt32 = try reader.read()
        guard dimensionCount <= Self.maxDimensions else {
            throw malformed("tensor '\(name)' has \(dimensionCount) dimensions; at most \(Self.maxDimensions) are allowed")
        }
        var dimensions: [UInt64] = []
        for _ in 0..<dimensionCount {
            dimensions.append(try reader.read())
        }
        let rawType: UInt32 = try reader.read()
        guard let type = GGMLType(rawValue: rawType) else {
            throw malformed("tensor '\(name)' has unknown or retired tensor type \(rawType)")
        }
        let offset: UInt64 = try reader.read()
        guard let byteCount = type.byteCount(dimensions: dimensions) else {
            let shape = dimensions.map(String.init).joined(separator: " × ")
            if let first = dimensions.first, first % UInt64(type.blockSize) != 0 {
                throw malformed("tensor '\(name)' of type \(type) has rows of \(first) elements, "
                                + "not a multiple of the block size \(type.blockSize)")
            }
            throw malformed("tensor '\(name)' has an impossible shape \(shape)")
        }
        return GGUFTensorInfo(name: name, dimensions: dimensions, type: type, offset: offset, byteCount: byteCount)
    }

    /// Checks that tensors are packed in order, each starting at the previous one's end rounded
    /// up to the alignment, exactly as gguf.cpp requires; returns the end of the last tensor's
    /// data relative to the data section (without its trailing padding, which files may omit).
    private func checkLayout(of tensors: [GGUFTensorInfo], alignment: UInt64) throws(GGUFError) -> UInt64 {
        var expected: UInt64 = 0
        var end: UInt64 = 0
        for tensor in tensors {
            guard tensor.offset == expected else {
                throw malformed("tensor '\(tensor.name)' has data offset \(tensor.offset), expected \(expected) "
                                + "(tensor data must be stored in order, each tensor aligned to \(alignment) bytes)")
            }
            let (tensorEnd, overflow) = expected.addingReportingOverflow(tensor.byteCount)
            guard !overflow else { throw malformed("tensor data extends past 2^64 bytes") }
            end = tensorEnd
            expected = try alignUp(tensorEnd, to: alignment, what: "tensor '\(tensor.name)'")
        }
        return end
    }

    private func alignUp(_ value: UInt64, to alignment: UInt64, what: String) throws(GGUFError) -> UInt64 {
        let (padded, overflow) = value.addingReportingOverflow(alignment - 1)
        guard !overflow else { throw malformed("\(what) extends past 2^64 bytes") }
        return padded & ~(alignment - 1)
    }
}
