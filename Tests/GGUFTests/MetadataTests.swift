import Foundation
import GGUF
import Testing

@Suite("Metadata")
struct MetadataTests {
    static let scalars: [(String, WriterValue)] = [
        ("t.u8", .u8(.max)), ("t.i8", .i8(.min)), ("t.u16", .u16(.max)), ("t.i16", .i16(.min)),
        ("t.u32", .u32(.max)), ("t.i32", .i32(.min)), ("t.f32", .f32(1.5)), ("t.bool.true", .bool(true)),
        ("t.bool.false", .bool(false)), ("t.string", .string("héllo, 🦙\n{{ bos }}")), ("t.empty", .string("")),
        ("t.u64", .u64(.max)), ("t.i64", .i64(.min)), ("t.f64", .f64(-.pi)),
    ]

    @Test("every scalar type round-trips")
    func scalarRoundTrip() throws {
        var writer = GGUFWriter()
        for (key, value) in Self.scalars { writer.add(key, value) }
        let dir = TemporaryDirectory()
        let file = try GGUFFile.read(at: dir.write(writer.bytes()))
        #expect(file.metadata.count == Self.scalars.count)
        for (key, value) in Self.scalars {
            #expect(file.metadata[key] == value.expected, "\(key)")
        }
        #expect(file.metadata["t.u64"] == .uint(UInt64.max))
        #expect(file.integer("t.u64") == nil, "u64 max does not fit in Int")
        #expect(file.integer("t.i8") == -128)
        #expect(file.double("t.f32") == 1.5)
        #expect(file.bool("t.bool.true") == true)
        #expect(file.string("t.string") == "héllo, 🦙\n{{ bos }}")
        #expect(file.string("t.u8") == nil, "accessors do not convert between types")
        #expect(file.version == 3)
        #expect(file.tensors.isEmpty)
        #expect(file.dataOffset == file.fileSize, "no tensors: data starts right after the header")
    }

    @Test("arrays of every element type round-trip, including nested and empty arrays")
    func arrayRoundTrip() throws {
        let arrays: [(String, WriterValue)] = [
            ("a.u8", .array(.uint8, [.u8(0), .u8(255)])),
            ("a.i8", .array(.int8, [.i8(-1), .i8(1)])),
            ("a.u16", .array(.uint16, [.u16(65535)])),
            ("a.i16", .array(.int16, [.i16(-300)])),
            ("a.u32", .array(.uint32, [.u32(1), .u32(2), .u32(3)])),
            ("a.i32", .array(.int32, [.i32(-7), .i32(7)])),
            ("a.f32", .array(.float32, [.f32(0.25), .f32(-2)])),
            ("a.bool", .array(.bool, [.bool(true), .bool(false)])),
            ("a.string", .array(.string, [.string("a"), .string(""), .string("ü")])),
            ("a.u64", .array(.uint64, [.u64(1 << 40)])),
            ("a.i64", .array(.int64, [.i64(-(1 << 40))])),
            ("a.f64", .array(.float64, [.f64(1e300)])),
            ("a.empty", .array(.uint32, [])),
            ("a.nested", .array(.array, [.array(.int32, [.i32(1), .i32(2)]), .array(.int32, []),
                                         .array(.string, [.string("x")])])),
            ("a.deep", .array(.array, [.array(.array, [.array(.array, [.array(.uint8, [.u8(9)])])])])),
        ]
        var writer = GGUFWriter()
        for (key, value) in arrays { writer.add(key, value) }
        writer.add("after", .string("still in sync"))
        let dir = TemporaryDirectory()
        let file = try GGUFFile.read(at: dir.write(writer.bytes()))
        for (key, value) in arrays {
            #expect(file.metadata[key] == value.expected, "\(key)")
        }
        #expect(file.metadata["a.nested"]?.arrayCount == 3)
        #expect(file.metadata["a.empty"] == .array([]))
        #expect(file.string("after") == "still in sync")
    }

    @Test("arrays past the limit are summarised, and reading continues correctly after them")
    func largeArraysAreSummarised() throws {
        var writer = GGUFWriter()
        let tokens = (0..<5000).map { WriterValue.string("tok\($0)") }
        writer.add("tokenizer.ggml.tokens", .array(.string, tokens))
        writer.add("tokenizer.ggml.scores", .array(.float32, Array(repeating: .f32(0.5), count: 3000)))
        writer.add("nested.big", .array(.array, (0..<2000).map { _ in .array(.uint8, [.u8(1)]) }))
        writer.add("small", .array(.uint32, [.u32(42)]))
        writer.add("general.name", .string("after the big arrays"))
        let dir = TemporaryDirectory()
        let path = dir.write(writer.bytes())

        let file = try GGUFFile.read(at: path)
        #expect(file.metadata["tokenizer.ggml.tokens"] == .arraySummary(elementType: .string, count: 5000))
        #expect(file.metadata["tokenizer.ggml.scores"] == .arraySummary(elementType: .float32, count: 3000))
        #expect(file.metadata["nested.big"] == .arraySummary(elementType: .array, count: 2000))
        #expect(file.metadata["small"] == .array([.uint(42)]))
        #expect(file.name == "after the big arrays")
        #expect(file.vocabularySize == 5000)

        let full = try GGUFFile.read(at: path, arrayElementLimit: 10_000)
        #expect(full.metadata["tokenizer.ggml.tokens"]?.arrayValue?[4321] == .string("tok4321"))
        #expect(full.metadata["tokenizer.ggml.scores"]?.arrayCount == 3000)
        #expect(full.name == "after the big arrays")

        let none = try GGUFFile.read(at: path, arrayElementLimit: 0)
        #expect(none.metadata["small"] == .arraySummary(elementType: .uint32, count: 1))
    }

    @Test("model accessors follow llama.cpp's keys and defaults")
    func modelAccessors() throws {
        var writer = GGUFWriter()
        writer.add("general.architecture", .string("llama"))
        writer.add("general.name", .string("Tiny"))
        writer.add("tokenizer.chat_template", .string("<|im_start|>{{ role }}"))
        writer.add("llama.context_length", .u32(8192))
        writer.add("llama.block_count", .u32(30))
        writer.add("llama.embedding_length", .u32(576))
        writer.add("llama.attention.head_count", .u32(9))
        writer.add("qwen2.attention.head_count_kv", .u32(99))  // another architecture's key: ignored
        let dir = TemporaryDirectory()
        let file = try GGUFFile.read(at: dir.write(writer.bytes()))
        #expect(file.architecture == "llama")
        #expect(file.name == "Tiny")
        #expect(file.chatTemplate == "<|im_start|>{{ role }}")
        #expect(file.contextLength == 8192)
        #expect(file.blockCount == 30)
        #expect(file.embeddingLength == 576)
        #expect(file.headCount == 9)
        #expect(file.headCountKV == 9, "defaults to head_count")
        #expect(file.keyLength == 64, "defaults to embedding_length / head_count")
        #expect(file.valueLength == 64)
        #expect(file.slidingWindow == nil)
        #expect(file.vocabularySize == nil)
    }

    @Test("per-layer head counts use the largest value; explicit head dimensions win")
    func perLayerArrays() throws {
        var writer = GGUFWriter()
        writer.add("general.architecture", .string("hybrid"))
        writer.add("hybrid.embedding_length", .u32(2048))
        writer.add("hybrid.attention.head_count", .array(.int32, [.i32(16), .i32(32), .i32(16)]))
        writer.add("hybrid.attention.head_count_kv", .array(.uint32, [.u32(0), .u32(8), .u32(4)]))
        writer.add("hybrid.attention.key_length", .u32(256))
        writer.add("hybrid.attention.value_length", .u32(128))
        writer.add("hybrid.attention.sliding_window", .u32(512))
        let dir = TemporaryDirectory()
        let file = try GGUFFile.read(at: dir.write(writer.bytes()))
        #expect(file.headCount == 32)
        #expect(file.headCountKV == 8)
        #expect(file.keyLength == 256)
        #expect(file.valueLength == 128)
        #expect(file.slidingWindow == 512)
        #expect(file.contextLength == nil)
    }

    @Test("invalid UTF-8 is repaired, not fatal")
    func invalidUTF8() throws {
        var bytes = Bytes()
        bytes.data += Array("GGUF".utf8)
        bytes.u32(3); bytes.u64(0); bytes.u64(1)
        bytes.string("general.name")
        bytes.u32(GGUFValueType.string.rawValue)
        bytes.raw([0x41, 0xFF, 0xFE, 0x42])
        let dir = TemporaryDirectory()
        let file = try GGUFFile.read(at: dir.write(bytes.data))
        #expect(file.name == "A\u{FFFD}\u{FFFD}B")
    }

    @Test("values describe themselves compactly")
    func valueDescriptions() {
        #expect(GGUFValue.string("x").description == "\"x\"")
        #expect(GGUFValue.arraySummary(elementType: .string, count: 151_936).description == "[151936 × str]")
        #expect(GGUFValue.array([.uint(1), .int(-2), .bool(true)]).description == "[1, -2, true]")
        #expect(GGUFValue.array((0..<10).map { .uint(UInt64($0)) }).description.hasSuffix("… (10 total)]"))
    }
}
