internal import CLlama
import Dispatch
import Foundation

/// Sizes and threads of a llama.cpp context.
public struct ContextOptions: Sendable, Equatable {
    /// Tokens the KV cache holds (shared by all sequences). 0 means the model's trained length.
    public var contextSize: Int = 4096
    /// Largest number of prompt tokens sent to one `llama_decode`; longer prompts go in chunks.
    public var batchSize: Int = 512
    /// Threads for single-token decoding.
    public var threads: Int = ProcessInfo.processInfo.activeProcessorCount
    /// Threads for prompt processing (defaults to `threads`).
    public var batchThreads: Int?
    /// Sequences that can be decoded together (self-fusion samples).
    public var sequences: Int = 1
    /// Run one throw-away decode at creation so the first request does not pay for graph setup.
    public var warmup: Bool = true

    public init(contextSize: Int = 4096, batchSize: Int = 512,
                threads: Int = ProcessInfo.processInfo.activeProcessorCount, sequences: Int = 1) {
        self.contextSize = contextSize
        self.batchSize = batchSize
        self.threads = threads
        self.sequences = sequences
    }
}

/// A model plus one context (KV cache), with one owner thread that runs every decode.
///
/// Generations run one after another in the order they were requested; the next one starts only
/// when the previous one has fully finished (including after a cancel), so a KV cache is never
/// touched by two requests. Consecutive prompts that share a prefix reuse it from the cache.
/// Decoding blocks for milliseconds to seconds, so it runs on this session's own serial queue,
/// never on Swift's cooperative thread pool.
///
/// ```swift
/// let session = try LlamaSession(model: model, options: ContextOptions(contextSize: 2048))
/// let answer = try await session.complete(.chat([.user("Name three primary colors.")]),
///                                         parameters: .greedy(maxTokens: 64))
/// print(answer.text, answer.timings.decodeTokensPerSecond)
/// ```
public final class LlamaSession: @unchecked Sendable {
    // @unchecked: every mutable field below is touched only on `queue`.
    public let model: LlamaModel
    public let options: ContextOptions
    let context: OpaquePointer
    let queue: DispatchQueue
    let batch: TokenBatch
    /// Tokens in the KV cache for sequence 0, in order; the basis for prefix reuse.
    var cachedTokens: [Token] = []

    /// Creates the context (allocating the KV cache).
    public init(model: LlamaModel, options: ContextOptions = ContextOptions()) throws(LlamaError) {
        _ = LlamaBackend.ready
        guard options.sequences >= 1, options.sequences <= Int(llama_max_parallel_sequences()) else {
            throw .invalidParameter(name: "sequences", reason: "must be between 1 and \(llama_max_parallel_sequences())")
        }
        guard options.threads >= 1 else { throw .invalidParameter(name: "threads", reason: "must be at least 1") }
        guard options.contextSize >= 0, options.batchSize >= 1 else {
            throw .invalidParameter(name: "context size", reason: "must not be negative")
        }
        var params = llama_context_default_params()
        params.n_ctx = UInt32(options.contextSize)
        params.n_batch = UInt32(options.batchSize)
        params.n_ubatch = UInt32(min(options.batchSize, 512))
        params.n_seq_max = UInt32(options.sequences)
        params.n_threads = Int32(options.threads)
        params.n_threads_batch = Int32(options.batchThreads ?? options.threads)
        params.no_perf = true
        // One KV buffer shared by all sequences: the prompt copied to N samples is stored once.
        params.kv_unified = true
        guard let context = llama_init_from_model(model.pointer, params) else {
            throw .contextCreationFailed(reason: "out of memory or unsupported parameters "
                + "(context \(options.contextSize), sequences \(options.sequences))")
        }
        self.model = model
        self.options = options
        self.context = context
        self.queue = DispatchQueue(label: "localfusion.llama.session", qos: .userInitiated)
        self.batch = TokenBatch(capacity: max(options.batchSize, options.sequences), maxSequences: options.sequences)
        if options.warmup { warmUp() }
    }

    deinit { llama_free(context) }

    /// Tokens the KV cache holds.
    public var contextSize: Int { Int(llama_n_ctx(context)) }

    /// Changes the thread counts for later decodes (a scheduler shares cores between sessions).
    public func setThreads(_ threads: Int, batchThreads: Int? = nil) {
        queue.async { [self] in
            llama_set_n_threads(context, Int32(max(1, threads)), Int32(max(1, batchThreads ?? threads)))
        }
    }

    /// Forgets the cached prompt so the next generation starts from an empty KV cache.
    public func resetCache() {
        queue.sync { [self] in
            llama_memory_clear(llama_get_memory(context), true)
            cachedTokens = []
        }
    }

    /// Streams one generation.
    ///
    /// `reusePrefix` keeps the part of the KV cache that matches the new prompt (fast for chats).
    /// Pass `false` for bit-reproducible runs: evaluating a prompt in different chunks changes
    /// floating-point sums slightly, which can change a greedy continuation.
    public func generate(_ prompt: Prompt, parameters: GenerationParameters = GenerationParameters(),
                         reusePrefix: Bool = true) -> Generation<GenerationEvent> {
        let (stream, continuation) = AsyncThrowingStream.makeStream(of: GenerationEvent.self)
        let flag = CancellationFlag()
        continuation.onTermination = { reason in
            if case .cancelled = reason { flag.cancel() }
        }
        queue.async { [self] in
            do {
                try runDecodeLoop(prompt: prompt, parameters: [parameters], reusePrefix: reusePrefix, flag: flag) { event in
                    switch event {
                    case .promptProcessed(let tokens, let cached):
                        continuation.yield(.promptProcessed(tokens: tokens, cached: cached))
                    case .text(_, let text): continuation.yield(.text(text))
                    case .finished(_, let summary): continuation.yield(.finished(summary))
                    }
                }
                continuation.finish()
            } catch {
                continuation.finish(throwing: error)
            }
        }
        return Generation(events: stream, flag: flag)
    }

    /// Streams several samples of one prompt: one prefill, the KV copied to each sequence, then all
    /// sequences decoded together, one batch per step. `parameters.count` must not exceed
    /// `options.sequences`; give each a different seed for different samples.
    public func generateBatch(_ prompt: Prompt, parameters: [GenerationParameters], reusePrefix: Bool = true)
        -> Generation<BatchGenerationEvent> {
        let (stream, continuation) = AsyncThrowingStream.makeStream(of: BatchGenerationEvent.self)
        let flag = CancellationFlag()
        continuation.onTermination = { reason in
            if case .cancelled = reason { flag.cancel() }
        }
        queue.async { [self] in
            do {
                try runDecodeLoop(prompt: prompt, parameters: parameters, reusePrefix: reusePrefix, flag: flag) {
                    continuation.yield($0)
                }
                continuation.finish()
            } catch {
                continuation.finish(throwing: error)
            }
        }
        return Generation(events: stream, flag: flag)
    }

    /// Runs a generation to the end and returns its summary.
    public func complete(_ prompt: Prompt, parameters: GenerationParameters = GenerationParameters(),
                         reusePrefix: Bool = true) async throws -> GenerationSummary {
        let generation = generate(prompt, parameters: parameters, reusePrefix: reusePrefix)
        return try await withTaskCancellationHandler {
            for try await event in generation.events {
                if case .finished(let summary) = event { return summary }
            }
            throw CancellationError()
        } onCancel: {
            generation.cancel()
        }
    }

    /// Tokenizes a prompt the way a generation would (chat template applied for `.chat`).
    public func tokens(for prompt: Prompt) throws(LlamaError) -> (tokens: [Token], stops: [String]) {
        switch prompt {
        case .tokens(let tokens):
            return (tokens, [])
        case .raw(let text):
            return (try model.vocabulary.tokenize(text, addSpecial: true, parseSpecial: false), [])
        case .chat(let messages):
            let formatted = model.format(messages)
            let tokens = try model.vocabulary.tokenize(formatted.text, addSpecial: true,
                                                       parseSpecial: formatted.parseSpecial)
            return (tokens, formatted.stops)
        }
    }

    private func warmUp() {
        queue.sync {
            let token = model.vocabulary.bos ?? 0
            batch.clear()
            batch.add(token, position: 0, sequence: 0, wantsLogits: true)
            _ = llama_decode(context, batch.raw)
            llama_memory_clear(llama_get_memory(context), true)
            llama_synchronize(context)
        }
    }
}
