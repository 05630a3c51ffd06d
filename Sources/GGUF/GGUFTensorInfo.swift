/// The description of one tensor in a GGUF file: its name, shape, type and where its data lies.
/// The data itself is never read.
public struct GGUFTensorInfo: Sendable, Hashable {
    /// The tensor's name, e.g. `"blk.0.attn_q.weight"`.
    public let name: String
    /// The shape, innermost (fastest-varying) dimension first, as ggml orders it. At most 4 entries;
    /// empty for a scalar.
    public let dimensions: [UInt64]
    /// The element type.
    public let type: GGMLType
    /// Offset of the tensor's data from the start of the data section (``GGUFFile/dataOffset``).
    public let offset: UInt64
    /// Size of the tensor's data in bytes, computed from ``dimensions`` and ``type``.
    public let byteCount: UInt64

    /// Creates a tensor description. `GGUFFile.read` validates what it builds; this initializer
    /// does not, so that tests and planners can describe hypothetical files.
    public init(name: String, dimensions: [UInt64], type: GGMLType, offset: UInt64, byteCount: UInt64) {
        self.name = name
        self.dimensions = dimensions
        self.type = type
        self.offset = offset
        self.byteCount = byteCount
    }

    /// The number of elements (the product of the dimensions; 1 for a scalar).
    public var elementCount: UInt64 {
        dimensions.reduce(1) { $0.multipliedReportingOverflow(by: $1).partialValue }
    }
}
