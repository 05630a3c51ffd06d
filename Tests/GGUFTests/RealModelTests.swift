import Foundation
import GGUF
import Testing

/// Where the project's real models are, if they have been downloaded.
enum RealModels {
    /// Directories searched, in order: `$FUSION_MODELS`, then the cache's `models` directory.
    static var directories: [String] {
        let environment = ProcessInfo.processInfo.environment
        let home = environment["HOME"] ?? NSHomeDirectory()
        let cache = environment["LOCALFUSION_CACHE"]
            ?? ((environment["XDG_CACHE_HOME"] ?? home + "/.cache") + "/localfusion")
        return [environment["FUSION_MODELS"], cache + "/models"].compactMap { $0 }
    }

    /// The path of model `id`, or nil if it is not downloaded.
    static func path(_ id: String) -> String? {
        directories.map { $0 + "/" + id + ".gguf" }.first { FileManager.default.fileExists(atPath: $0) }
    }

    /// Whether model `id` is present; says so loudly when it is not, since a skipped test is
    /// easy to mistake for a passing one.
    static func available(_ id: String) -> Bool {
        if path(id) != nil { return true }
        let places = directories.map { $0 + "/" + id + ".gguf" }.joined(separator: " or ")
        print("SKIPPED: real GGUF not found at \(places)")
        return false
    }

    /// Reads model `id`, timing the read and printing what was found.
    static func read(_ id: String) throws -> (GGUFFile, Duration) {
        let location = try #require(Self.path(id))
        let clock = ContinuousClock()
        var result: Result<GGUFFile, GGUFError>!
        let elapsed = clock.measure { result = Result { () throws(GGUFError) in try GGUFFile.read(at: location) } }
        let file = try result.get()
        let keys = ["context_length", "block_count", "embedding_length", "head_count", "head_count_kv",
                    "key_length", "value_length", "sliding_window", "vocab_size"]
        let values: [Int?] = [file.contextLength, file.blockCount, file.embeddingLength, file.headCount,
                              file.headCountKV, file.keyLength, file.valueLength, file.slidingWindow,
                              file.vocabularySize]
        let facts = zip(keys, values).map { "\($0)=\($1.map(String.init) ?? "-")" }.joined(separator: " ")
        let types = Dictionary(grouping: file.tensors, by: \.type).map { "\($0.key):\($0.value.count)" }.sorted()
        print("""
            GGUF \(id): read in \(elapsed); v\(file.version) arch=\(file.architecture ?? "-") name=\(file.name ?? "-")
              \(facts)
              \(file.metadata.count) keys, \(file.tensors.count) tensors \(types), tensorBytes=\(file.tensorBytes) \
            dataOffset=\(file.dataOffset) fileSize=\(file.fileSize) chatTemplate=\(file.chatTemplate?.count ?? 0) chars
            """)
        return (file, elapsed)
    }

    /// Checks that hold for any complete model file, including that cut copies are caught.
    static func checkInvariants(_ file: GGUFFile, elapsed: Duration) throws {
        #expect(elapsed < .seconds(1), "reading the header took \(elapsed)")
        #expect(file.dataOffset % file.alignment == 0)
        #expect(file.dataOffset + file.tensorBytes <= file.fileSize)
        // Only alignment padding (< alignment per tensor) separates the tensors.
        #expect(file.fileSize - file.dataOffset - file.tensorBytes < UInt64(file.tensors.count) * file.alignment)
        #expect((file.blockCount ?? 0) > 0)
        #expect((file.vocabularySize ?? 0) > 1000)
        #expect(file.metadata["tokenizer.ggml.tokens"]?.arrayCount != nil)

        // Copies cut inside the header and inside the weights are both reported as truncated.
        let dir = TemporaryDirectory()
        let source = try FileHandle(forReadingFrom: URL(fileURLWithPath: file.path))
        defer { try? source.close() }
        for length in [file.dataOffset / 2, file.dataOffset + 1_000_000] {
            try source.seek(toOffset: 0)
            let prefix = try #require(try source.read(upToCount: Int(length)))
            let cut = dir.write(Array(prefix), named: "cut.gguf")
            guard case .truncated(_, let expected, let actual)? = readError(cut) else {
                Issue.record("cut at \(length): \(String(describing: readError(cut)))")
                continue
            }
            #expect(actual == length)
            #expect(expected > length && expected <= file.fileSize)
            if length > file.dataOffset { #expect(expected == file.fileSize) }
        }
    }
}

@Suite("Real model files")
struct RealModelTests {
    // Needs ~/.cache/localfusion/models/smollm2-135m.gguf (or under $FUSION_MODELS); skipped otherwise.
    @Test("SmolLM2 135M", .enabled(if: RealModels.available("smollm2-135m")))
    func smolLM2() throws {
        let (file, elapsed) = try RealModels.read("smollm2-135m")
        // Facts of the catalog's file (sha256 b179c952…), cross-checked with gguf-py's reader.
        #expect(file.fileSize == 98_362_432)
        #expect(file.version == 3)
        #expect(file.architecture == "llama")
        #expect(file.blockCount == 30)
        #expect(file.contextLength == 8192)
        #expect(file.embeddingLength == 576)
        #expect(file.headCount == 9)
        #expect(file.headCountKV == 3)
        #expect(file.keyLength == 64)
        #expect(file.valueLength == 64)
        #expect(file.slidingWindow == nil)
        #expect(file.vocabularySize == 49152)
        #expect(file.metadata["tokenizer.ggml.tokens"] == .arraySummary(elementType: .string, count: 49152))
        #expect(file.metadata["tokenizer.ggml.merges"] == .arraySummary(elementType: .string, count: 48900))
        #expect(file.metadata.count == 33)
        #expect(file.tensors.count == 272)
        #expect(file.tensors.filter { $0.type == .q4_1 }.count == 210)
        #expect(file.tensorBytes == 96_576_768)
        #expect(file.dataOffset == 1_785_664)
        #expect(file.tensors.last.map { file.dataOffset + $0.offset + $0.byteCount } == file.fileSize)
        #expect(file.chatTemplate?.contains("<|im_start|>") == true)
        try RealModels.checkInvariants(file, elapsed: elapsed)
    }

    // Needs gemma3-270m.gguf in the models directory; skipped otherwise.
    @Test("Gemma 3 270M", .enabled(if: RealModels.available("gemma3-270m")))
    func gemma3() throws {
        let (file, elapsed) = try RealModels.read("gemma3-270m")
        // From the model's config.json; the catalog notes this base model has no chat template.
        #expect(file.fileSize == 253_113_024)
        #expect(file.architecture == "gemma3")
        #expect(file.blockCount == 18)
        #expect(file.embeddingLength == 640)
        #expect(file.headCount == 4)
        #expect(file.headCountKV == 1)
        #expect(file.keyLength == 256, "gemma's head dimension is not embedding/heads")
        #expect(file.slidingWindow == 512)
        try RealModels.checkInvariants(file, elapsed: elapsed)
    }

    // Needs qwen2.5-coder-0.5b.gguf in the models directory; skipped otherwise.
    @Test("Qwen2.5-Coder 0.5B", .enabled(if: RealModels.available("qwen2.5-coder-0.5b")))
    func qwenCoderSmall() throws {
        let (file, elapsed) = try RealModels.read("qwen2.5-coder-0.5b")
        // From the model's config.json.
        #expect(file.architecture == "qwen2")
        #expect(file.blockCount == 24)
        #expect(file.embeddingLength == 896)
        #expect(file.headCount == 14)
        #expect(file.headCountKV == 2)
        #expect(file.keyLength == 64)
        #expect(file.chatTemplate?.contains("<|im_start|>") == true)
        try RealModels.checkInvariants(file, elapsed: elapsed)
    }

    // Needs qwen2.5-coder-1.5b.gguf in the models directory; skipped otherwise.
    @Test("Qwen2.5-Coder 1.5B", .enabled(if: RealModels.available("qwen2.5-coder-1.5b")))
    func qwenCoderLarge() throws {
        let (file, elapsed) = try RealModels.read("qwen2.5-coder-1.5b")
        // From the model's config.json.
        #expect(file.architecture == "qwen2")
        #expect(file.blockCount == 28)
        #expect(file.embeddingLength == 1536)
        #expect(file.headCount == 12)
        #expect(file.headCountKV == 2)
        #expect(file.keyLength == 128)
        #expect(file.chatTemplate?.contains("<|im_start|>") == true)
        try RealModels.checkInvariants(file, elapsed: elapsed)
    }
}
