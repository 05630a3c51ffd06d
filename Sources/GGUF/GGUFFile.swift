/// The header of a GGUF model file: format version, metadata and tensor descriptions.
///
/// ``read(at:arrayElementLimit:)`` reads only the header (typically a few MB at the front of a
/// multi-GB file) and never the weights, yet it checks everything llama.cpp would check before
/// loading, including that the file is long enough to hold every tensor. So a successful read
/// means the file is complete and well-formed, and a failure is a ``GGUFError`` that says why in
/// words a user can act on.
///
/// ```swift
/// let file = try GGUFFile.read(at: path)
/// print(file.architecture ?? "?", file.blockCount ?? 0, file.tensorBytes)
/// ```
public struct GGUFFile: Sendable, Hashable {
    /// The path the file was read from.
    public let path: String
    /// The GGUF format version (2 or 3).
    public let version: UInt32
    /// The file's size in bytes.
    public let fileSize: UInt64
    /// Where the tensor data section starts, in bytes from the start of the file.
    public let dataOffset: UInt64
    /// Alignment of tensor data in bytes (`general.alignment`, 32 when absent).
    public let alignment: UInt64
    /// All metadata key-value pairs. Large arrays are summarised; see ``GGUFValue``.
    public let metadata: [String: GGUFValue]
    /// The tensors, in file order.
    public let tensors: [GGUFTensorInfo]

    /// Arrays with more elements than this are summarised rather than decoded by default.
    /// Per-layer arrays (at most a few hundred entries) stay decoded; vocabularies do not.
    public static let defaultArrayElementLimit = 1024

    /// GGUF versions this reader understands. Version 1 used 32-bit counts and is obsolete.
    public static let supportedVersions: ClosedRange<UInt32> = 2...3

    /// Creates a file description from parts, without validation: for tests and for tools that
    /// plan around hypothetical files. Use ``read(at:arrayElementLimit:)`` for real files.
    public init(path: String, version: UInt32 = 3, fileSize: UInt64, dataOffset: UInt64, alignment: UInt64 = 32,
                metadata: [String: GGUFValue], tensors: [GGUFTensorInfo]) {
        self.path = path
        self.version = version
        self.fileSize = fileSize
        self.dataOffset = dataOffset
        self.alignment = alignment
        self.metadata = metadata
        self.tensors = tensors
    }

    /// Reads and validates the header of the GGUF file at `path`, without reading tensor data.
    ///
    /// - Parameters:
    ///   - path: A file system path.
    ///   - arrayElementLimit: Arrays with more elements than this become
    ///     ``GGUFValue/arraySummary(elementType:count:)``. Raise it to decode the vocabulary.
    /// - Throws: ``GGUFError`` describing what is wrong with the file.
    public static func read(at path: String,
                            arrayElementLimit: Int = defaultArrayElementLimit) throws(GGUFError) -> GGUFFile {
        var parser = try GGUFParser(reader: ByteReader(path: path), arrayElementLimit: arrayElementLimit)
        return try parser.parse()
    }

    /// Total size of all tensor data in bytes, not counting alignment padding: roughly the
    /// memory the weights occupy once loaded.
    public var tensorBytes: UInt64 {
        tensors.reduce(0) { $0 &+ $1.byteCount }
    }

    /// The tensor with the given name, if any.
    public func tensor(named name: String) -> GGUFTensorInfo? {
        tensors.first { $0.name == name }
    }

    /// The string value of metadata `key`, if present and a string.
    public func string(_ key: String) -> String? {
        metadata[key]?.stringValue
    }

    /// The integer value of metadata `key`, if present, an integer, and representable as `Int`.
    public func integer(_ key: String) -> Int? {
        metadata[key]?.intValue
    }

    /// The floating-point value of metadata `key`, if present and numeric.
    public func double(_ key: String) -> Double? {
        metadata[key]?.doubleValue
    }

    /// The boolean value of metadata `key`, if present and a boolean.
    public func bool(_ key: String) -> Bool? {
        metadata[key]?.boolValue
    }
}
