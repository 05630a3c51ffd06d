import Foundation
import GGUF
import Testing

@Suite("Tensors")
struct TensorTests {
    @Test("byte counts follow ggml's block sizes", arguments: [
        (GGMLType.f32, [4, 3], 48),
        (.f16, [64], 128),
        (.bf16, [10, 10], 200),
        (.f64, [3], 24),
        (.i8, [7], 7),
        (.q4_0, [64, 2], 4 * 18),
        (.q4_1, [576, 49152], 576 / 32 * 20 * 49152),
        (.q5_0, [32], 22),
        (.q5_1, [32], 24),
        (.q8_0, [576, 3], 18 * 34 * 3),
        (.q2_K, [256], 84),
        (.q3_K, [256], 110),
        (.q4_K, [256, 2], 288),
        (.q5_K, [512], 352),
        (.q6_K, [256, 4, 2], 210 * 8),
        (.q8_K, [256], 292),
        (.iq2_xxs, [256], 66),
        (.iq1_m, [256], 56),
        (.iq4_nl, [32], 18),
        (.iq4_xs, [256], 136),
        (.tq1_0, [256], 54),
        (.mxfp4, [64], 34),
        (.q1_0, [128], 18),
        (.f32, [], 4),
        (.f32, [0, 5], 0),
    ] as [(GGMLType, [UInt64], UInt64)])
    func byteCounts(type: GGMLType, dimensions: [UInt64], bytes: UInt64) {
        #expect(type.byteCount(dimensions: dimensions) == bytes)
    }

    @Test("impossible shapes have no byte count")
    func impossibleShapes() {
        #expect(GGMLType.q4_0.byteCount(dimensions: [33]) == nil, "row not a multiple of the block")
        #expect(GGMLType.f32.byteCount(dimensions: [1 << 40, 1 << 40]) == nil, "element count overflows")
        #expect(GGMLType.f32.byteCount(dimensions: [1 << 62]) == nil, "byte count overflows int64")
        #expect(GGMLType.f32.byteCount(dimensions: [UInt64.max]) == nil, "negative as int64")
    }

    @Test("the type table covers ggml.h: every current type, none of the retired ones")
    func typeTable() {
        let retired: Set<UInt32> = [4, 5, 31, 32, 33, 36, 37, 38]
        for raw in UInt32(0)..<43 {
            #expect((GGMLType(rawValue: raw) == nil) == retired.contains(raw), "type \(raw)")
        }
        #expect(GGMLType(rawValue: 43) == nil)
        #expect(GGMLType.allCases.count == 35)
        #expect(GGMLType.q4_K.description == "q4_K")
        #expect(GGMLType.q4_K.isQuantized && !GGMLType.bf16.isQuantized)
    }

    @Test("tensor infos, data offset and total bytes are read as written")
    func tensorLayout() throws {
        var writer = GGUFWriter()
        writer.add("general.architecture", .string("llama"))
        writer.addTensor("token_embd.weight", [64, 10], .q4_0)   // 10 rows × 2 blocks × 18 = 360
        writer.addTensor("blk.0.attn_norm.weight", [64], .f32)    // 256
        writer.addTensor("output.weight", [256, 3], .q6_K)        // 630
        let bytes = writer.bytes()
        let dir = TemporaryDirectory()
        let file = try GGUFFile.read(at: dir.write(bytes))

        #expect(file.tensors.map(\.name) == ["token_embd.weight", "blk.0.attn_norm.weight", "output.weight"])
        #expect(file.tensors.map(\.byteCount) == [360, 256, 630])
        #expect(file.tensors.map(\.offset) == [0, 384, 640], "each tensor starts on a 32-byte boundary")
        #expect(file.tensors[2].dimensions == [256, 3])
        #expect(file.tensors[2].type == .q6_K)
        #expect(file.tensors[2].elementCount == 768)
        #expect(file.tensorBytes == 360 + 256 + 630)
        #expect(file.alignment == 32)
        #expect(file.dataOffset % 32 == 0)
        #expect(file.dataOffset + 640 + 630 == file.fileSize)
        #expect(file.fileSize == UInt64(bytes.count))
        #expect(file.tensor(named: "output.weight")?.byteCount == 630)
        #expect(file.tensor(named: "missing") == nil)
    }

    @Test("general.alignment is honoured and validated")
    func customAlignment() throws {
        var writer = GGUFWriter()
        writer.alignment = 64
        writer.add("general.alignment", .u32(64))
        writer.addTensor("a", [8], .f32)
        writer.addTensor("b", [8], .f32)
        let dir = TemporaryDirectory()
        let file = try GGUFFile.read(at: dir.write(writer.bytes()))
        #expect(file.alignment == 64)
        #expect(file.dataOffset % 64 == 0)
        #expect(file.tensors[1].offset == 64)

        var odd = GGUFWriter()
        odd.add("general.alignment", .u32(48))
        guard case .malformed(_, let reason)? = readError(dir.write(odd.bytes(), named: "odd.gguf")) else {
            Issue.record("alignment 48 accepted"); return
        }
        #expect(reason.contains("power of 2"))

        var wide = GGUFWriter()
        wide.add("general.alignment", .u64(32))
        guard case .malformed(_, let why)? = readError(dir.write(wide.bytes(), named: "wide.gguf")) else {
            Issue.record("u64 alignment accepted"); return
        }
        #expect(why.contains("u32"))
    }

    /// Each case breaks one rule gguf.cpp enforces; the reason must name the problem.
    enum BrokenTensor: String, CaseIterable, Sendable {
        case misalignedOffset, outOfOrder, rowNotBlockMultiple, duplicateName, nameTooLong
        case fiveDimensions, overflowingShape, retiredType, futureType

        func apply(to w: inout GGUFWriter) {
            switch self {
            case .misalignedOffset: w.addTensor("a", [8], .f32); w.addTensor("b", [8], .f32, offset: 40)
            case .outOfOrder: w.addTensor("a", [8], .f32, offset: 32); w.addTensor("b", [8], .f32, offset: 0)
            case .rowNotBlockMultiple: w.addTensor("q", [33, 2], .q4_0)
            case .duplicateName: w.addTensor("a", [8], .f32); w.addTensor("a", [8], .f32)
            case .nameTooLong: w.addTensor(String(repeating: "n", count: 64), [8], .f32)
            case .fiveDimensions: w.addTensor("a", [1, 1, 1, 1, 1], .f32)
            case .overflowingShape: w.addTensor("a", [1 << 40, 1 << 40], .f32)
            case .retiredType: w.tensors.append(.init(name: "a", dimensions: [32], type: 4))
            case .futureType: w.tensors.append(.init(name: "a", dimensions: [32], type: 99))
            }
        }

        var reasonFragment: String {
            switch self {
            case .misalignedOffset: "expected 32"
            case .outOfOrder: "expected 0"
            case .rowNotBlockMultiple: "block size 32"
            case .duplicateName: "twice"
            case .nameTooLong: "the name of tensor #0 is 64 bytes long; the limit is 63 bytes"
            case .fiveDimensions: "5 dimensions"
            case .overflowingShape: "impossible shape"
            case .retiredType: "type 4"
            case .futureType: "type 99"
            }
        }
    }

    @Test("invalid tensor descriptions are malformed", arguments: BrokenTensor.allCases)
    func invalidTensors(broken: BrokenTensor) {
        var writer = GGUFWriter()
        broken.apply(to: &writer)
        let dir = TemporaryDirectory()
        let error = readError(dir.write(writer.bytes()))
        guard case .malformed(_, let reason)? = error else {
            Issue.record("\(broken): expected .malformed, got \(String(describing: error))")
            return
        }
        #expect(reason.contains(broken.reasonFragment), "\(broken): \(reason)")
    }
}
