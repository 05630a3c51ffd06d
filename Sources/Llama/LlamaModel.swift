internal import CLlama
import Foundation
import GGUF

/// How a model is loaded.
public struct ModelLoadOptions: Sendable {
    /// Map the file instead of reading it (shares pages with the OS cache; near-instant reloads).
    public var useMmap: Bool = true
    /// Layers to offload to a GPU backend; ignored on CPU-only builds. -1 means all.
    public var gpuLayers: Int32 = -1

    public init(useMmap: Bool = true, gpuLayers: Int32 = -1) {
        self.useMmap = useMmap
        self.gpuLayers = gpuLayers
    }
}

/// A loaded GGUF model: immutable weights and vocabulary, shareable by any number of contexts.
///
/// ```swift
/// let model = try LlamaModel(path: "smollm2-135m.gguf")
/// let session = try LlamaSession(model: model)
/// let summary = try await session.complete(.chat([.user("Hi")]), parameters: .greedy(maxTokens: 32))
/// ```
/// The header is checked by our own GGUF reader first, so missing, truncated and non-GGUF files
/// fail with a clear `LlamaError.invalidModelFile` instead of whatever llama.cpp would do.
public final class LlamaModel: @unchecked Sendable {
    // @unchecked: the C model is immutable after load and llama.cpp allows concurrent read use from
    // several contexts; the pointer never leaves this module.
    let pointer: OpaquePointer
    let vocab: OpaquePointer

    /// Path the model was loaded from.
    public let path: String
    /// Header facts read before loading (architecture, template, sizes).
    public let file: GGUFFile
    /// Tokenizer and special tokens (keeps this model alive while in use).
    public var vocabulary: Vocabulary { Vocabulary(pointer: vocab, owner: self) }

    /// Loads a model. `progress` receives 0…1 and may return `false` to abort the load.
    public init(path: String, options: ModelLoadOptions = ModelLoadOptions(),
                progress: (@Sendable (Double) -> Bool)? = nil) throws(LlamaError) {
        _ = LlamaBackend.ready
        let file: GGUFFile
        do { file = try GGUFFile.read(at: path) } catch { throw .invalidModelFile(error) }

        var params = llama_model_default_params()
        params.n_gpu_layers = options.gpuLayers
        params.load_mode = options.useMmap ? LLAMA_LOAD_MODE_MMAP : LLAMA_LOAD_MODE_NONE
        let box = progress.map(ProgressBox.init)
        if let box {
            params.progress_callback = { value, user in
                guard let user else { return true }
                return Unmanaged<ProgressBox>.fromOpaque(user).takeUnretainedValue().callback(Double(value))
            }
            params.progress_callback_user_data = Unmanaged.passUnretained(box).toOpaque()
        }
        let loaded: OpaquePointer? = withExtendedLifetime(box) {
            llama_model_load_from_file(path, params)
        }
        guard let loaded else {
            if box?.aborted == true { throw .loadCancelled(path: path) }
            throw .loadFailed(path: path, reason: "unsupported architecture or corrupt tensor data "
                + "(run with LOCALFUSION_LLAMA_LOG=1 for llama.cpp's own message)")
        }
        guard let vocab = llama_model_get_vocab(loaded) else {
            llama_model_free(loaded)
            throw .loadFailed(path: path, reason: "the model has no vocabulary")
        }
        self.pointer = loaded
        self.vocab = vocab
        self.path = path
        self.file = file
    }

    deinit { llama_model_free(pointer) }

    /// Context length the model was trained with.
    public var trainedContextLength: Int { Int(llama_model_n_ctx_train(pointer)) }
    /// Bytes of all weight tensors as llama.cpp sees them.
    public var sizeInBytes: UInt64 { llama_model_size(pointer) }
    /// Number of parameters.
    public var parameterCount: UInt64 { llama_model_n_params(pointer) }
    /// Number of transformer layers.
    public var layerCount: Int { Int(llama_model_n_layer(pointer)) }

    /// llama.cpp's one-line description, e.g. "llama 135M Q4_1".
    public var summary: String {
        var buffer = [CChar](repeating: 0, count: 256)
        let count = llama_model_desc(pointer, &buffer, buffer.count)
        guard count > 0 else { return "" }
        return String(decoding: buffer.prefix(Int(count)).map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// The Jinja chat template embedded in the GGUF, if any.
    public var chatTemplate: String? {
        guard let raw = llama_model_chat_template(pointer, nil) else { return nil }
        return String(cString: raw)
    }
}

/// Carries a Swift closure through llama.cpp's `void *` user-data pointer.
private final class ProgressBox {
    let body: @Sendable (Double) -> Bool
    var aborted = false
    init(_ body: @escaping @Sendable (Double) -> Bool) { self.body = body }
    func callback(_ value: Double) -> Bool {
        let keepGoing = body(value)
        if !keepGoing { aborted = true }
        return keepGoing
    }
}
