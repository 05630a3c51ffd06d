/// The resident memory one model needs once loaded with a given context: an upper bound, in bytes,
/// computed from the GGUF header before anything is loaded.
///
/// The parts, each calibrated against the process RSS growth of loading real models with
/// `LlamaSession` (llama.cpp CPU backend, flash attention on, which is llama.cpp's automatic
/// choice on CPU); the table is in docs/MEMORY.md:
///
/// - **weights**: all tensor bytes (mapped, but every page is touched by a generation, so they
///   become resident) plus a second copy of the tensors the CPU backend repacks at load
///   (``ModelShape/repackableBytes``); the mapped originals of those stay resident too.
/// - **KV cache**: per layer, cells × kv-heads × (key length + value length) × 2 bytes (f16).
///   Full-attention layers hold `contextSize` cells (padded to 256). Sliding-window layers hold
///   as many unless ``fullSlidingWindowCache`` is false, because llama.cpp's default is a full-size
///   SWA cache (`swa_full = true`), and `LlamaSession` keeps that default.
/// - **output**: logits, one row of `n_vocab` floats per sequence, plus the sampler's candidate
///   array (12 bytes per token) per sequence: `n_vocab × sequences × 4 B × 6`.
/// - **compute**: activations of one micro-batch (`min(batchSize, 512)` tokens) of
///   `4 × n_ff + 4 × n_embd + 2 × n_head × key_len` floats each, plus the attention mask
///   (KV cells × micro-batch × 4 B, twice for models with sliding-window layers). llama.cpp
///   *reserves* a larger compute buffer (it sizes logits for a whole micro-batch), but only
///   the part real decodes touch becomes resident.
/// - **runtime**: 12 MiB fixed (graph, thread pool, ggml contexts) + tokenizer tables at 176 B
///   per vocabulary entry and 160 B per BPE merge.
///
/// `contextSize` is the number of KV cells *shared by all sequences*, exactly as
/// `ContextOptions.contextSize` (`LlamaSession` uses a unified KV cache): four samples of 1,000
/// tokens after a shared 500-token prompt need a context of 4,500, not 4 × 4,500.
public struct MemoryEstimate: Sendable, Hashable, Codable {
    /// Tensor bytes plus repacked copies.
    public let weightBytes: UInt64
    /// The KV cache.
    public let kvCacheBytes: UInt64
    /// Logits and sampler buffers for all sequences.
    public let outputBytes: UInt64
    /// Activations and attention masks of one micro-batch.
    public let computeBytes: UInt64
    /// Tokenizer tables and fixed per-model runtime overhead.
    public let runtimeBytes: UInt64
    /// KV cells the context holds (after resolving 0 to the trained length).
    public let contextSize: Int
    /// Sequences decoded together in the context.
    public let sequences: Int

    /// The whole estimate: what must be free for this model to load and run.
    public var totalBytes: UInt64 { weightBytes + kvCacheBytes + outputBytes + computeBytes + runtimeBytes }

    /// Everything except the weights: what the context adds on top of a loaded model.
    public var contextBytes: UInt64 { totalBytes - weightBytes }

    /// Fixed per-model overhead not explained by any size in the header (measured: 5–8 MiB).
    public static let fixedRuntimeBytes: UInt64 = 12 << 20
    /// Tokenizer bytes per vocabulary entry (measured ≈ 155 B).
    public static let bytesPerVocabularyEntry: UInt64 = 176
    /// Tokenizer bytes per BPE merge rule (measured ≈ 145 B).
    public static let bytesPerMerge: UInt64 = 160
    /// Multiplier on the logits (4 B per vocabulary entry and sequence) covering the sampler's copies.
    public static let outputFactor: UInt64 = 6

    /// Creates an estimate from explicit parts (synthetic models in tests and what-if planning).
    public init(weightBytes: UInt64, kvCacheBytes: UInt64 = 0, outputBytes: UInt64 = 0, computeBytes: UInt64 = 0,
                runtimeBytes: UInt64 = 0, contextSize: Int = 4096, sequences: Int = 1) {
        self.weightBytes = weightBytes
        self.kvCacheBytes = kvCacheBytes
        self.outputBytes = outputBytes
        self.computeBytes = computeBytes
        self.runtimeBytes = runtimeBytes
        self.contextSize = contextSize
        self.sequences = sequences
    }

    /// Estimates a model of `shape` loaded with a context of `contextSize` KV cells shared by
    /// `sequences` sequences.
    ///
    /// - Parameters:
    ///   - contextSize: KV cells, as passed to `ContextOptions.contextSize`; 0 means the trained length.
    ///   - sequences: sequences decoded together (self-fusion samples), at least 1.
    ///   - batchSize: `ContextOptions.batchSize`; the micro-batch is at most 512 of these.
    ///   - fullSlidingWindowCache: llama.cpp's `swa_full` (true by default and in `LlamaSession`).
    /// - Throws: ``PlanningError/invalidInput(_:)`` for negative sizes or fewer than one sequence.
    public init(shape: ModelShape, contextSize: Int, sequences: Int = 1, batchSize: Int = 512,
                fullSlidingWindowCache: Bool = true) throws(PlanningError) {
        guard contextSize >= 0 else { throw .invalidInput("context size \(contextSize) is negative") }
        guard sequences >= 1 else { throw .invalidInput("sequences must be at least 1, not \(sequences)") }
        guard batchSize >= 1 else { throw .invalidInput("batch size must be at least 1, not \(batchSize)") }
        let context = contextSize == 0 ? shape.trainedContextLength : contextSize
        // llama.cpp keeps n_ctx in 32 bits; beyond that the arithmetic below could overflow.
        guard context <= Int(UInt32.max) else { throw .invalidInput("context size \(context) is too large") }
        let microBatch = UInt64(min(batchSize, 512))
        let fullCells = Self.padded(UInt64(context))
        var slidingCells = fullCells
        if !fullSlidingWindowCache, let window = shape.slidingWindow {
            slidingCells = Self.padded(min(fullCells, UInt64(window) * UInt64(sequences) + microBatch))
        }
        let perCell = UInt64(shape.kvHeads) * UInt64(shape.keyLength + shape.valueLength) * 2
        let kv = perCell * (UInt64(shape.fullAttentionLayers) * fullCells
                            + UInt64(shape.slidingAttentionLayers) * slidingCells)

        let vocabulary = UInt64(shape.vocabularySize)
        let output = vocabulary * UInt64(sequences) * 4 * Self.outputFactor
        let activations = UInt64(4 * shape.feedForwardLength + 4 * shape.embeddingLength
                                 + 2 * shape.headCount * shape.keyLength)
        var masks = fullCells * microBatch * 4
        if shape.slidingAttentionLayers > 0 { masks += slidingCells * microBatch * 4 }
        let compute = microBatch * 4 * activations + masks
        let runtime = Self.fixedRuntimeBytes + vocabulary * Self.bytesPerVocabularyEntry
            + UInt64(shape.mergeCount) * Self.bytesPerMerge

        self.init(weightBytes: shape.weightBytes + shape.repackableBytes, kvCacheBytes: kv, outputBytes: output,
                  computeBytes: compute, runtimeBytes: runtime, contextSize: context, sequences: sequences)
    }

    /// Reads the GGUF header at `path` and estimates the model with the given context.
    public static func forModel(at path: String, contextSize: Int, sequences: Int = 1,
                                batchSize: Int = 512) throws(PlanningError) -> MemoryEstimate {
        try MemoryEstimate(shape: ModelShape.read(at: path), contextSize: contextSize, sequences: sequences,
                           batchSize: batchSize)
    }

    /// KV caches are allocated in multiples of 256 cells.
    static func padded(_ cells: UInt64) -> UInt64 { (cells + 255) / 256 * 256 }

    /// JSON keys in snake_case, plus the derived `total_bytes` for readers of traces.
    enum CodingKeys: String, CodingKey {
        case weightBytes = "weight_bytes", kvCacheBytes = "kv_cache_bytes", outputBytes = "output_bytes"
        case computeBytes = "compute_bytes", runtimeBytes = "runtime_bytes", totalBytes = "total_bytes"
        case contextSize = "context_size", sequences
    }

    /// Decodes the parts; `total_bytes` is recomputed, not trusted.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        self.init(weightBytes: try container.decode(UInt64.self, forKey: .weightBytes),
                  kvCacheBytes: try container.decode(UInt64.self, forKey: .kvCacheBytes),
                  outputBytes: try container.decode(UInt64.self, forKey: .outputBytes),
                  computeBytes: try container.decode(UInt64.self, forKey: .computeBytes),
                  runtimeBytes: try container.decode(UInt64.self, forKey: .runtimeBytes),
                  contextSize: try container.decode(Int.self, forKey: .contextSize),
                  sequences: try container.decode(Int.self, forKey: .sequences))
    }

    /// Encodes the parts and the total.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(weightBytes, forKey: .weightBytes)
        try container.encode(kvCacheBytes, forKey: .kvCacheBytes)
        try container.encode(outputBytes, forKey: .outputBytes)
        try container.encode(computeBytes, forKey: .computeBytes)
        try container.encode(runtimeBytes, forKey: .runtimeBytes)
        try container.encode(totalBytes, forKey: .totalBytes)
        try container.encode(contextSize, forKey: .contextSize)
        try container.encode(sequences, forKey: .sequences)
    }
}
