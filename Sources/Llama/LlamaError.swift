import GGUF

/// Everything that can go wrong in the `Llama` module, with messages written for the person at the keyboard.
public enum LlamaError: Error, CustomStringConvertible, Sendable, Equatable {
    /// The file is missing, not GGUF, truncated or corrupt; found by our own header check before llama.cpp sees it.
    case invalidModelFile(GGUFError)
    /// llama.cpp refused a file whose header looked valid (unsupported architecture, bad tensors).
    case loadFailed(path: String, reason: String)
    /// Loading was stopped by the progress callback.
    case loadCancelled(path: String)
    case contextCreationFailed(reason: String)
    /// The prompt (plus room for at least one generated token per sequence) does not fit in the context.
    case contextOverflow(promptTokens: Int, contextSize: Int)
    case tokenizationFailed(reason: String)
    case chatTemplateFailed(reason: String)
    /// `llama_decode` returned an error code (1: no KV slot, -1: invalid batch, < -1: fatal).
    case decodeFailed(code: Int32)
    case invalidGrammar(reason: String)
    case invalidParameter(name: String, reason: String)

    public var description: String {
        switch self {
        case .invalidModelFile(let error):
            return error.description
        case .loadFailed(let path, let reason):
            return "llama.cpp could not load \(path): \(reason)"
        case .loadCancelled(let path):
            return "loading \(path) was cancelled"
        case .contextCreationFailed(let reason):
            return "could not create a llama.cpp context: \(reason)"
        case .contextOverflow(let promptTokens, let contextSize):
            return "the prompt needs \(promptTokens) tokens but the context holds \(contextSize); "
                + "shorten the prompt or raise --ctx-size"
        case .tokenizationFailed(let reason):
            return "tokenization failed: \(reason)"
        case .chatTemplateFailed(let reason):
            return "chat template failed: \(reason)"
        case .decodeFailed(let code):
            let meaning: String
            switch code {
            case 1: meaning = "no free slot in the KV cache (context full)"
            case 2: meaning = "aborted"
            case -1: meaning = "invalid batch"
            default: meaning = "fatal error"
            }
            return "llama_decode failed with code \(code): \(meaning)"
        case .invalidGrammar(let reason):
            return "invalid grammar: \(reason)"
        case .invalidParameter(let name, let reason):
            return "invalid \(name): \(reason)"
        }
    }
}
