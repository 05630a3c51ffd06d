// What a remote seat gets back: the text, why it stopped, token usage and how hard it was.

/// Token counts reported by the server (`usage.prompt_tokens`, `usage.completion_tokens`).
public struct RemoteUsage: Sendable, Codable, Equatable {
    /// Tokens in the prompt as the server counted them.
    public var promptTokens: Int
    /// Tokens generated.
    public var completionTokens: Int

    /// Creates a usage record.
    public init(promptTokens: Int, completionTokens: Int) {
        self.promptTokens = promptTokens
        self.completionTokens = completionTokens
    }

    private enum CodingKeys: String, CodingKey {
        case promptTokens = "prompt_tokens"
        case completionTokens = "completion_tokens"
    }
}

/// A finished completion.
public struct RemoteChatReply: Sendable {
    /// The whole generated text (for a stream, the concatenated deltas).
    public var text: String
    /// `stop`, `length`… as the server said; nil if it did not say.
    public var finishReason: String?
    /// Token usage, when the server reported it.
    public var usage: RemoteUsage?
    /// The model name the server reported.
    public var model: String?
    /// HTTP attempts made, 1 when the first one succeeded.
    public var attempts: Int
    /// Wall seconds for the whole call, retries included.
    public var seconds: Double

    /// Creates a reply.
    public init(text: String, finishReason: String?, usage: RemoteUsage?, model: String?, attempts: Int, seconds: Double) {
        self.text = text
        self.finishReason = finishReason
        self.usage = usage
        self.model = model
        self.attempts = attempts
        self.seconds = seconds
    }
}

/// What ``RemoteChatClient/stream(_:)`` yields: text pieces as they arrive, then one `finished`.
public enum RemoteStreamEvent: Sendable {
    /// A non-empty piece of generated text.
    case delta(String)
    /// The last event: the full reply (text is all deltas concatenated).
    case finished(RemoteChatReply)
}
