/// Model hyperparameters, read from the metadata keys llama.cpp uses (src/llama-arch.cpp).
///
/// Per-architecture keys are prefixed with `general.architecture` ("llama.context_length",
/// "gemma3.attention.sliding_window"). All of these return `nil` when the key is missing, so a
/// planner can tell "unknown" from a real value and fall back deliberately.
extension GGUFFile {
    /// The model architecture (`general.architecture`), e.g. `"llama"`, `"qwen2"`, `"gemma3"`.
    public var architecture: String? { string("general.architecture") }

    /// The human-readable model name (`general.name`).
    public var name: String? { string("general.name") }

    /// The Jinja chat template (`tokenizer.chat_template`).
    public var chatTemplate: String? { string("tokenizer.chat_template") }

    /// The context length the model was trained for (`<arch>.context_length`).
    public var contextLength: Int? { architectureInteger("context_length") }

    /// The number of transformer blocks, i.e. layers (`<arch>.block_count`).
    public var blockCount: Int? { architectureInteger("block_count") }

    /// The width of the residual stream (`<arch>.embedding_length`).
    public var embeddingLength: Int? { architectureInteger("embedding_length") }

    /// The number of attention (query) heads (`<arch>.attention.head_count`). Some architectures
    /// store one value per layer; this is then the largest.
    public var headCount: Int? { architectureInteger("attention.head_count", largestOfArray: true) }

    /// The number of key/value heads (`<arch>.attention.head_count_kv`), defaulting to
    /// ``headCount`` as llama.cpp does (no grouped-query attention). Some architectures store one
    /// value per layer (0 for layers without attention); this is then the largest, which is
    /// the safe figure for sizing a KV cache.
    public var headCountKV: Int? {
        architectureInteger("attention.head_count_kv", largestOfArray: true) ?? headCount
    }

    /// The dimension of each key head (`<arch>.attention.key_length`), defaulting to
    /// ``embeddingLength`` / ``headCount`` as llama.cpp does.
    public var keyLength: Int? { architectureInteger("attention.key_length") ?? defaultHeadDimension }

    /// The dimension of each value head (`<arch>.attention.value_length`), defaulting to
    /// ``embeddingLength`` / ``headCount`` as llama.cpp does.
    public var valueLength: Int? { architectureInteger("attention.value_length") ?? defaultHeadDimension }

    /// The sliding-window attention span (`<arch>.attention.sliding_window`), for models that
    /// use one (Gemma 2/3, some Mistral and Qwen variants); `nil` otherwise.
    public var slidingWindow: Int? { architectureInteger("attention.sliding_window") }

    /// The vocabulary size: `<arch>.vocab_size` if present, else the length of the token list
    /// (`tokenizer.ggml.tokens`), which is always there.
    public var vocabularySize: Int? {
        architectureInteger("vocab_size")
            ?? metadata["tokenizer.ggml.tokens"]?.arrayCount.flatMap { Int(exactly: $0) }
    }

    private var defaultHeadDimension: Int? {
        guard let width = embeddingLength, let heads = headCount, heads > 0 else { return nil }
        return width / heads
    }

    /// The integer at `<architecture>.<suffix>`; with `largestOfArray`, the largest element
    /// when the value is a per-layer array of integers.
    private func architectureInteger(_ suffix: String, largestOfArray: Bool = false) -> Int? {
        guard let architecture, let value = metadata[architecture + "." + suffix] else { return nil }
        if largestOfArray, let elements = value.arrayValue {
            return elements.compactMap(\.intValue).max()
        }
        return value.intValue
    }
}
