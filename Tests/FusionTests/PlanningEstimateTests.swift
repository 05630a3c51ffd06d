import Foundation
@testable import Fusion
import GGUF
import Testing

/// A Llama-like shape with round numbers.
func planningShape(slidingWindow: Int? = nil, slidingLayers: [Bool] = []) -> ModelShape {
    ModelShape(weightBytes: 100 << 20, layers: 10, embeddingLength: 512, feedForwardLength: 1536, headCount: 8,
               kvHeads: 2, keyLength: 64, valueLength: 64, vocabularySize: 32_000, mergeCount: 30_000,
               trainedContextLength: 8192, slidingWindow: slidingWindow, slidingLayers: slidingLayers)
}

@Suite("Planning: memory estimate")
struct PlanningEstimateTests {
    @Test("KV cache = layers × cells × kv-heads × (key + value) × 2 bytes")
    func kvFormula() throws {
        let estimate = try MemoryEstimate(shape: planningShape(), contextSize: 4096)
        #expect(estimate.kvCacheBytes == 10 * 4096 * 2 * (64 + 64) * 2)
        #expect(estimate.weightBytes == 100 << 20)
        #expect(estimate.totalBytes == estimate.weightBytes + estimate.kvCacheBytes + estimate.outputBytes
                + estimate.computeBytes + estimate.runtimeBytes)
        #expect(estimate.contextBytes == estimate.totalBytes - estimate.weightBytes)
    }

    @Test("KV scales linearly with the context; cells are padded to 256")
    func kvScalesWithContext() throws {
        let shape = planningShape()
        let small = try MemoryEstimate(shape: shape, contextSize: 2048)
        let large = try MemoryEstimate(shape: shape, contextSize: 8192)
        #expect(large.kvCacheBytes == 4 * small.kvCacheBytes)
        #expect(large.totalBytes > small.totalBytes)
        let odd = try MemoryEstimate(shape: shape, contextSize: 2049)
        #expect(odd.kvCacheBytes == (try MemoryEstimate(shape: shape, contextSize: 2304)).kvCacheBytes)
    }

    @Test("context 0 means the trained length")
    func zeroContext() throws {
        let estimate = try MemoryEstimate(shape: planningShape(), contextSize: 0)
        #expect(estimate.contextSize == 8192)
        #expect(estimate.kvCacheBytes == (try MemoryEstimate(shape: planningShape(), contextSize: 8192)).kvCacheBytes)
    }

    @Test("sequences share the unified KV cache but each adds output buffers")
    func sequencesScaleOutput() throws {
        let shape = planningShape()
        let one = try MemoryEstimate(shape: shape, contextSize: 4096, sequences: 1)
        let four = try MemoryEstimate(shape: shape, contextSize: 4096, sequences: 4)
        #expect(four.kvCacheBytes == one.kvCacheBytes)
        #expect(four.outputBytes == 4 * one.outputBytes)
        #expect(one.outputBytes == 32_000 * 4 * MemoryEstimate.outputFactor)
        #expect(four.sequences == 4)
    }

    @Test("sliding-window layers: full size by default (llama.cpp's swa_full), windowed when asked")
    func slidingWindow() throws {
        // Gemma-3-like: 5 of every 6 layers slide.
        let pattern = (0..<12).map { $0 % 6 < 5 }
        let shape = ModelShape(weightBytes: 1 << 20, layers: 12, embeddingLength: 640, kvHeads: 1, keyLength: 256,
                               valueLength: 256, vocabularySize: 1000, slidingWindow: 512, slidingLayers: pattern)
        #expect(shape.slidingAttentionLayers == 10 && shape.fullAttentionLayers == 2)
        let perCell: UInt64 = 1 * 512 * 2
        let full = try MemoryEstimate(shape: shape, contextSize: 8192)
        #expect(full.kvCacheBytes == 12 * 8192 * perCell)
        let windowed = try MemoryEstimate(shape: shape, contextSize: 8192, fullSlidingWindowCache: false)
        // Sliding layers keep window × sequences + micro-batch cells (512 + 512), padded to 256.
        #expect(windowed.kvCacheBytes == (2 * 8192 + 10 * 1024) * perCell)
        let windowedFour = try MemoryEstimate(shape: shape, contextSize: 8192, sequences: 4,
                                              fullSlidingWindowCache: false)
        #expect(windowedFour.kvCacheBytes == (2 * 8192 + 10 * 2560) * perCell)
        // Never more than the full context.
        let tiny = try MemoryEstimate(shape: shape, contextSize: 512, fullSlidingWindowCache: false)
        #expect(tiny.kvCacheBytes == 12 * 512 * perCell)
    }

    @Test("bad inputs are typed errors")
    func badInputs() {
        #expect(throws: PlanningError.self) { try MemoryEstimate(shape: planningShape(), contextSize: -1) }
        #expect(throws: PlanningError.self) { try MemoryEstimate(shape: planningShape(), contextSize: 10, sequences: 0) }
        #expect(throws: PlanningError.self) { try MemoryEstimate(shape: planningShape(), contextSize: Int.max) }
        #expect(throws: PlanningError.self) { try MemoryEstimate.forModel(at: "/nonexistent/x.gguf", contextSize: 10) }
    }

    @Test("a header without layer counts cannot be estimated")
    func incompleteHeader() {
        let file = GGUFFile(path: "/x.gguf", fileSize: 100, dataOffset: 64,
                            metadata: ["general.architecture": .string("llama")], tensors: [])
        #expect(throws: PlanningError.self) { try ModelShape(file: file) }
        do {
            _ = try ModelShape(file: file)
        } catch {
            #expect(error.description.contains("llama.block_count"))
        }
    }

    @Test("shape from a synthetic header: SWA pattern, repackable tensors, merges")
    func shapeFromHeader() throws {
        let metadata: [String: GGUFValue] = [
            "general.architecture": .string("gemma3"), "gemma3.block_count": .uint(12),
            "gemma3.embedding_length": .uint(640), "gemma3.attention.head_count": .uint(4),
            "gemma3.attention.head_count_kv": .uint(1), "gemma3.attention.key_length": .uint(256),
            "gemma3.attention.value_length": .uint(256), "gemma3.attention.sliding_window": .uint(512),
            "gemma3.feed_forward_length": .uint(2048),
            "tokenizer.ggml.tokens": .arraySummary(elementType: .string, count: 5000),
            "tokenizer.ggml.merges": .arraySummary(elementType: .string, count: 4000),
        ]
        let tensors = [
            GGUFTensorInfo(name: "token_embd.weight", dimensions: [640, 5000], type: .q4_K, offset: 0, byteCount: 1000),
            GGUFTensorInfo(name: "output.weight", dimensions: [640, 5000], type: .q6_K, offset: 0, byteCount: 2000),
            GGUFTensorInfo(name: "blk.0.ffn_up.weight", dimensions: [640, 2048], type: .q4_K, offset: 0, byteCount: 300),
            GGUFTensorInfo(name: "blk.0.attn_norm.weight", dimensions: [640], type: .f32, offset: 0, byteCount: 40),
        ]
        let file = GGUFFile(path: "/x.gguf", fileSize: 10_000, dataOffset: 64, metadata: metadata, tensors: tensors)
        let shape = try ModelShape(file: file)
        #expect(shape.weightBytes == 3340)
        #expect(shape.repackableBytes == 300)   // the embedding is a row lookup, not a matrix product
        #expect(shape.slidingLayers == (0..<12).map { $0 % 6 < 5 })
        #expect(shape.vocabularySize == 5000 && shape.mergeCount == 4000)
        #expect(shape.feedForwardLength == 2048 && shape.headCount == 4)
    }

    @Test("JSON uses snake_case and includes the total")
    func codable() throws {
        let estimate = try MemoryEstimate(shape: planningShape(), contextSize: 4096, sequences: 2)
        let data = try JSONEncoder().encode(estimate)
        let json = String(decoding: data, as: UTF8.self)
        for key in ["weight_bytes", "kv_cache_bytes", "output_bytes", "compute_bytes", "runtime_bytes",
                    "total_bytes", "context_size", "sequences"] {
            #expect(json.contains("\"\(key)\""))
        }
        #expect(try JSONDecoder().decode(MemoryEstimate.self, from: data) == estimate)
    }

    @Test("smollm2-135m from its real header: sane and at least its tensor bytes",
          .enabled(if: PlanningModels.enabled))
    func realSmolLM() throws {
        let path = try PlanningModels.path("smollm2-135m")
        let file = try GGUFFile.read(at: path)
        let estimate = try MemoryEstimate.forModel(at: path, contextSize: 4096)
        #expect(estimate.weightBytes >= file.tensorBytes)
        // 30 layers × 4096 × 3 kv-heads × (64 + 64) × 2 bytes = 90 MiB, as llama.cpp reports.
        #expect(estimate.kvCacheBytes == 90 << 20)
        #expect(estimate.totalBytes > 200_000_000 && estimate.totalBytes < 300_000_000)
        let long = try MemoryEstimate.forModel(at: path, contextSize: 8192, sequences: 4)
        #expect(long.kvCacheBytes == 2 * estimate.kvCacheBytes)
    }

    @Test("gemma3-270m: SWA layers from the architecture, Q4_K tensors counted as repacked",
          .enabled(if: PlanningModels.enabled))
    func realGemma() throws {
        let shape = try ModelShape.read(at: try PlanningModels.path("gemma3-270m"))
        #expect(shape.layers == 18 && shape.slidingAttentionLayers == 15)
        #expect(shape.repackableBytes > 0 && shape.repackableBytes < shape.weightBytes / 4)
        let estimate = try MemoryEstimate(shape: shape, contextSize: 4096)
        // llama.cpp: 12 MiB non-SWA + 60 MiB full-size SWA cache.
        #expect(estimate.kvCacheBytes == 72 << 20)
    }
}
