/// A tensor element type (`enum ggml_type` in llama.cpp's ggml.h).
///
/// Case names keep ggml's spelling (`q4_K`, `iq2_xxs`) rather than Swift camel case, because
/// that spelling is what people search for and what every model card and file name uses.
/// Values ggml has retired (4, 5, 31–33, 36–38) are deliberately absent: llama.cpp rejects
/// them, so a file that uses them is reported as malformed.
public enum GGMLType: UInt32, Sendable, Hashable, CaseIterable, CustomStringConvertible {
    /// Unquantized floats: IEEE single, half and double precision, and bfloat16.
    case f32 = 0, f16 = 1, f64 = 28, bf16 = 30
    /// Plain integers.
    case i8 = 24, i16 = 25, i32 = 26, i64 = 27
    /// The original block quantizations: 32 elements per block with a scale (and a minimum).
    case q4_0 = 2, q4_1 = 3, q5_0 = 6, q5_1 = 7, q8_0 = 8, q8_1 = 9
    /// Low-bit block quantizations with 128 and 64 elements per block.
    case q1_0 = 41, q2_0 = 42
    /// K-quants: 256-element super-blocks with quantized sub-block scales.
    case q2_K = 10, q3_K = 11, q4_K = 12, q5_K = 13, q6_K = 14, q8_K = 15
    /// I-quants: lattice (importance-matrix) quantizations, mostly 256 elements per block.
    case iq1_s = 19, iq1_m = 29, iq2_xxs = 16, iq2_xs = 17, iq2_s = 22, iq3_xxs = 18, iq3_s = 21
    /// I-quant 4-bit non-linear formats.
    case iq4_nl = 20, iq4_xs = 23
    /// Ternary quantizations (weights in {-1, 0, 1}).
    case tq1_0 = 34, tq2_0 = 35
    /// Microscaling 4-bit float formats (OCP MXFP4 and NVIDIA NVFP4).
    case mxfp4 = 39, nvfp4 = 40

    /// Elements per block: a row's length must be a multiple of this.
    public var blockSize: Int { traits.block }

    /// Bytes per block.
    public var typeSize: Int { traits.bytes }

    /// Whether the type is block-quantized (as opposed to plain integers or floats).
    public var isQuantized: Bool { traits.block > 1 }

    /// The name ggml prints (`"q4_K"`, `"bf16"`), which is also the case name.
    public var description: String { traits.name }

    /// `blck_size` and `type_size` from `type_traits` in ggml.c; the byte sizes are `sizeof` the
    /// block structs in ggml-common.h, measured by compiling that header (QK_K = 256).
    private var traits: (name: String, block: Int, bytes: Int) {
        switch self {
        case .f32: return ("f32", 1, 4)
        case .f16: return ("f16", 1, 2)
        case .bf16: return ("bf16", 1, 2)
        case .f64: return ("f64", 1, 8)
        case .i8: return ("i8", 1, 1)
        case .i16: return ("i16", 1, 2)
        case .i32: return ("i32", 1, 4)
        case .i64: return ("i64", 1, 8)
        case .q4_0: return ("q4_0", 32, 18)
        case .q4_1: return ("q4_1", 32, 20)
        case .q5_0: return ("q5_0", 32, 22)
        case .q5_1: return ("q5_1", 32, 24)
        case .q8_0: return ("q8_0", 32, 34)
        case .q8_1: return ("q8_1", 32, 36)
        case .q1_0: return ("q1_0", 128, 18)
        case .q2_0: return ("q2_0", 64, 18)
        case .mxfp4: return ("mxfp4", 32, 17)
        case .nvfp4: return ("nvfp4", 64, 36)
        case .iq4_nl: return ("iq4_nl", 32, 18)
        case .q2_K: return ("q2_K", 256, 84)
        case .q3_K: return ("q3_K", 256, 110)
        case .q4_K: return ("q4_K", 256, 144)
        case .q5_K: return ("q5_K", 256, 176)
        case .q6_K: return ("q6_K", 256, 210)
        case .q8_K: return ("q8_K", 256, 292)
        case .iq2_xxs: return ("iq2_xxs", 256, 66)
        case .iq2_xs: return ("iq2_xs", 256, 74)
        case .iq2_s: return ("iq2_s", 256, 82)
        case .iq3_xxs: return ("iq3_xxs", 256, 98)
        case .iq3_s: return ("iq3_s", 256, 110)
        case .iq1_s: return ("iq1_s", 256, 50)
        case .iq1_m: return ("iq1_m", 256, 56)
        case .iq4_xs: return ("iq4_xs", 256, 136)
        case .tq1_0: return ("tq1_0", 256, 54)
        case .tq2_0: return ("tq2_0", 256, 66)
        }
    }

    /// Bytes occupied by a contiguous tensor of this type with the given shape (innermost
    /// dimension first, as in GGUF), as `ggml_nbytes` computes it.
    ///
    /// Returns `nil` when the shape is impossible for this type: the first dimension is not a
    /// multiple of ``blockSize``, or the element or byte count does not fit in 63 bits.
    public func byteCount(dimensions: [UInt64]) -> UInt64? {
        // ggml stores dimensions as int64_t and requires the element count to fit as well.
        var elements: UInt64 = 1
        for dimension in dimensions {
            guard dimension <= UInt64(Int64.max) else { return nil }
            let (product, overflow) = elements.multipliedReportingOverflow(by: dimension)
            guard !overflow, product <= UInt64(Int64.max) else { return nil }
            elements = product
        }
        let block = UInt64(blockSize)
        guard (dimensions.first ?? 1) % block == 0 else { return nil }
        let (bytes, overflow) = (elements / block).multipliedReportingOverflow(by: UInt64(typeSize))
        guard !overflow, bytes <= UInt64(Int64.max) else { return nil }
        return bytes
    }
}
