import GGUF

/// The facts about a model that decide how much memory it needs, read from its GGUF header.
///
/// Everything here comes from metadata keys llama.cpp itself reads; where a key is missing the
/// fallback is the one llama.cpp uses, or else the *larger* figure, so that an estimate built on
/// a shape is an upper bound rather than a guess.
public struct ModelShape: Sendable, Hashable {
    /// `general.architecture`, e.g. `"llama"`, `"qwen2"`, `"gemma3"`.
    public var architecture: String
    /// Bytes of all weight tensors (``GGUFFile/tensorBytes``).
    public var weightBytes: UInt64
    /// Bytes of the weight tensors the CPU backend may copy into a repacked layout at load
    /// (see ``repackableTypes``). The mapped originals stay resident too, so these count twice.
    public var repackableBytes: UInt64
    /// Transformer layers (`<arch>.block_count`).
    public var layers: Int
    /// Width of the residual stream (`<arch>.embedding_length`).
    public var embeddingLength: Int
    /// Width of the feed-forward layer (`<arch>.feed_forward_length`, largest per layer;
    /// 4 × ``embeddingLength`` when absent).
    public var feedForwardLength: Int
    /// Query heads (the largest, when the file stores one per layer).
    public var headCount: Int
    /// Key/value heads per layer (the largest, when the file stores one per layer).
    public var kvHeads: Int
    /// Dimension of one key head.
    public var keyLength: Int
    /// Dimension of one value head.
    public var valueLength: Int
    /// Vocabulary size: rows of the logits buffer, and the size of the tokenizer tables.
    public var vocabularySize: Int
    /// BPE merge rules (`tokenizer.ggml.merges`), which llama.cpp keeps in a map; 0 for SPM.
    public var mergeCount: Int
    /// The context length the model was trained with; what a context size of 0 means.
    public var trainedContextLength: Int
    /// Sliding-window attention span, if the model uses one.
    public var slidingWindow: Int?
    /// Which layers use sliding-window attention (index = layer). Empty means "all layers
    /// attend to the full context", which is also the conservative assumption whenever the
    /// layer pattern cannot be known from the header or the architecture.
    public var slidingLayers: [Bool]

    /// Creates a shape from explicit numbers (synthetic models in tests and what-if planning).
    public init(architecture: String = "synthetic", weightBytes: UInt64, repackableBytes: UInt64 = 0,
                layers: Int, embeddingLength: Int, feedForwardLength: Int? = nil, headCount: Int? = nil,
                kvHeads: Int, keyLength: Int, valueLength: Int, vocabularySize: Int, mergeCount: Int = 0,
                trainedContextLength: Int = 4096, slidingWindow: Int? = nil, slidingLayers: [Bool] = []) {
        self.architecture = architecture
        self.weightBytes = weightBytes
        self.repackableBytes = repackableBytes
        self.layers = layers
        self.embeddingLength = embeddingLength
        self.feedForwardLength = feedForwardLength ?? 4 * embeddingLength
        self.headCount = headCount ?? kvHeads
        self.kvHeads = kvHeads
        self.keyLength = keyLength
        self.valueLength = valueLength
        self.vocabularySize = vocabularySize
        self.mergeCount = mergeCount
        self.trainedContextLength = trainedContextLength
        self.slidingWindow = slidingWindow
        self.slidingLayers = slidingLayers
    }

    /// Reads the shape from a parsed GGUF header.
    ///
    /// - Throws: ``PlanningError/incompleteMetadata(path:missing:)`` when a key without a safe
    ///   fallback (layers, width, heads) is missing: guessing those could under-count by gigabytes.
    public init(file: GGUFFile) throws(PlanningError) {
        var missing: [String] = []
        let architecture = file.architecture ?? "unknown"
        if file.architecture == nil { missing.append("general.architecture") }
        let layers = file.blockCount ?? 0
        if layers <= 0 { missing.append(architecture + ".block_count") }
        let width = file.embeddingLength ?? 0
        if width <= 0 { missing.append(architecture + ".embedding_length") }
        let kvHeads = file.headCountKV ?? 0
        if kvHeads <= 0 { missing.append(architecture + ".attention.head_count(_kv)") }
        let keyLength = file.keyLength ?? 0
        let valueLength = file.valueLength ?? 0
        if keyLength <= 0 || valueLength <= 0 { missing.append(architecture + ".attention.key_length/value_length") }
        guard missing.isEmpty else { throw .incompleteMetadata(path: file.path, missing: missing) }

        let ffKey = architecture + ".feed_forward_length"
        let feedForward = file.metadata[ffKey].flatMap { $0.arrayValue?.compactMap(\.intValue).max() ?? $0.intValue }
        let window = file.slidingWindow.flatMap { $0 > 0 ? $0 : nil }
        self.init(architecture: architecture, weightBytes: file.tensorBytes,
                  repackableBytes: Self.repackableBytes(in: file), layers: layers, embeddingLength: width,
                  feedForwardLength: feedForward.flatMap { $0 > 0 ? $0 : nil }, headCount: file.headCount ?? kvHeads,
                  kvHeads: kvHeads, keyLength: keyLength, valueLength: valueLength,
                  // Without a vocabulary size, assume a large one (the logits buffer scales with it).
                  vocabularySize: file.vocabularySize ?? 262_144,
                  mergeCount: file.metadata["tokenizer.ggml.merges"]?.arrayCount.flatMap { Int(exactly: $0) } ?? 0,
                  trainedContextLength: file.contextLength ?? 4096,
                  slidingWindow: window,
                  slidingLayers: window == nil ? [] : Self.slidingLayers(in: file, layers: layers))
    }

    /// Reads the GGUF header at `path` (never the weights) and returns the model's shape.
    public static func read(at path: String) throws(PlanningError) -> ModelShape {
        let file: GGUFFile
        do { file = try GGUFFile.read(at: path) } catch { throw .unreadableModel(error) }
        return try ModelShape(file: file)
    }

    /// Number of layers that keep a full-context KV cache.
    public var fullAttentionLayers: Int {
        slidingLayers.isEmpty ? layers : layers - slidingLayers.prefix(layers).filter { $0 }.count
    }

    /// Number of layers whose KV cache only spans the sliding window.
    public var slidingAttentionLayers: Int { layers - fullAttentionLayers }

    // MARK: - Repacking

    /// Tensor types ggml's CPU backend may repack into an interleaved copy at load
    /// (`ggml_repack_get_optimal_repack_type` in ggml-cpu/repack.cpp). On x86 that is Q4_0, Q4_K,
    /// IQ4_NL and MXFP4 with AVX2, Q2_K with AVX-512; on ARM also Q5_K, Q6_K and Q8_0. The union
    /// for the build's CPU family is used, so an estimate never misses a copy.
    public static let repackableTypes: Set<GGMLType> = {
        #if arch(x86_64) || arch(i386)
        return [.q4_0, .q4_K, .q2_K, .iq4_nl, .mxfp4]
        #else
        return [.q4_0, .q4_K, .q2_K, .q5_K, .q6_K, .q8_0, .q1_0, .iq4_nl, .mxfp4]
        #endif
    }()

    /// Bytes of matrix weights (2-D, rows a multiple of 8) of a repackable type. The token
    /// embedding is excluded (it is read by row lookup, which repacked buffers do not serve)
    /// unless it doubles as the output matrix because the file has no `output.weight`.
    static func repackableBytes(in file: GGUFFile) -> UInt64 {
        let tiedOutput = file.tensor(named: "output.weight") == nil
        return file.tensors.reduce(0) { total, tensor in
            guard repackableTypes.contains(tensor.type), tensor.dimensions.count >= 2,
                  tensor.dimensions[1] % 8 == 0 else { return total }
            if tensor.name.hasPrefix("token_embd") && !tiedOutput { return total }
            return total &+ tensor.byteCount
        }
    }

    // MARK: - Sliding-window layers

    /// Layer patterns llama.cpp hard-codes per architecture (`load_swa_pattern(ml, n)` in
    /// src/models/*.cpp): with period `n`, layer `i` slides when `i % n < n - 1`, or when
    /// `i % n != 0` for the "dense first" variants. Architectures not listed are treated as
    /// all-full-attention, which can only over-count.
    static let knownPatterns: [String: (period: Int, denseFirst: Bool)] = [
        "gemma2": (2, false), "gemma3": (6, false), "gemma-embedding": (6, false), "gemma3n": (5, false),
        "cohere2": (4, false), "exaone4": (4, false), "olmo2": (4, false), "gpt-oss": (2, false),
        "smallthinker": (4, true),
    ]

    /// Which layers slide, from `<arch>.attention.sliding_window_pattern` (a per-layer bool array
    /// or a period) when present, else the architecture's known period; empty when unknown.
    static func slidingLayers(in file: GGUFFile, layers: Int) -> [Bool] {
        let key = (file.architecture ?? "") + ".attention.sliding_window_pattern"
        if let flags = file.metadata[key]?.arrayValue {
            let bools = flags.compactMap { $0.boolValue ?? $0.intValue.map { $0 != 0 } }
            return bools.count >= layers ? Array(bools.prefix(layers)) : []
        }
        var pattern = file.architecture.flatMap { knownPatterns[$0] }
        if let period = file.integer(key) { pattern = (period, pattern?.denseFirst ?? false) }
        guard let pattern else { return [] }
        return (0..<layers).map { layer in
            if pattern.period == 0 { return true }
            return pattern.denseFirst ? layer % pattern.period != 0 : layer % pattern.period < pattern.period - 1
        }
    }
}
