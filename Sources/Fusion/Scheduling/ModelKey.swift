/// Identifies one loaded *instance* of a model: the same GGUF file opened with a different context
/// size or number of parallel sequences needs a different KV cache, so it is a different instance
/// with its own memory estimate and its own lease count.
public struct ModelKey: Hashable, Sendable, CustomStringConvertible {
    /// Path of the GGUF file.
    public var path: String
    /// Context size (tokens per sequence) the instance is created with.
    public var contextSize: Int
    /// Parallel sequences the context holds (e.g. N samples of one model for self-fusion).
    public var sequences: Int

    /// Creates a key; one sequence unless told otherwise.
    public init(path: String, contextSize: Int, sequences: Int = 1) {
        self.path = path
        self.contextSize = contextSize
        self.sequences = sequences
    }

    /// Short label for traces and errors: file name, context size, and sequences when more than one
    /// (e.g. `qwen2.5-1.5b.gguf@4096x4`).
    public var description: String {
        let name = path.split(separator: "/").last.map(String.init) ?? path
        return sequences == 1 ? "\(name)@\(contextSize)" : "\(name)@\(contextSize)x\(sequences)"
    }
}
