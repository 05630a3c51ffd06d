// The request a remote seat sends, in OpenAI's chat-completions wire shape.

/// One chat message.
public struct RemoteMessage: Sendable, Codable, Equatable {
    /// `system`, `user` or `assistant`.
    public var role: String
    /// The message text.
    public var content: String

    /// Creates a message.
    public init(role: String, content: String) {
        self.role = role
        self.content = content
    }

    /// A system message.
    public static func system(_ content: String) -> RemoteMessage { RemoteMessage(role: "system", content: content) }
    /// A user message.
    public static func user(_ content: String) -> RemoteMessage { RemoteMessage(role: "user", content: content) }
    /// An assistant message.
    public static func assistant(_ content: String) -> RemoteMessage { RemoteMessage(role: "assistant", content: content) }
}

/// A chat-completions request. Nil sampling fields are left out so the server's defaults apply.
/// `stream` is decided by the client method called (`complete` or `stream`), not by the caller.
public struct RemoteChatRequest: Sendable, Encodable {
    /// The model name the server knows (llama-server accepts anything).
    public var model: String
    /// The conversation.
    public var messages: [RemoteMessage]
    /// `max_tokens` on the wire.
    public var maxTokens: Int?
    /// 0 is greedy.
    public var temperature: Double?
    /// `top_p` on the wire.
    public var topP: Double?
    /// Fixed seed for reproducible sampling where the server supports it.
    public var seed: Int?
    /// Stop strings.
    public var stop: [String]?
    /// OpenAI's penalties on tokens already generated, -2…2.
    public var frequencyPenalty: Double?
    public var presencePenalty: Double?
    /// Set by ``RemoteChatClient``; when true, `stream_options.include_usage` is sent too.
    var stream = false

    /// Creates a request.
    public init(model: String, messages: [RemoteMessage], maxTokens: Int? = nil, temperature: Double? = nil,
                topP: Double? = nil, seed: Int? = nil, stop: [String]? = nil) {
        self.model = model
        self.messages = messages
        self.maxTokens = maxTokens
        self.temperature = temperature
        self.topP = topP
        self.seed = seed
        self.stop = stop
    }

    private enum CodingKeys: String, CodingKey {
        case model, messages, temperature, seed, stop, stream
        case maxTokens = "max_tokens"
        case topP = "top_p"
        case frequencyPenalty = "frequency_penalty", presencePenalty = "presence_penalty"
        case streamOptions = "stream_options"
    }

    private struct StreamOptions: Encodable {
        let include_usage = true
    }

    /// Encodes snake_case fields, omitting nil ones.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(model, forKey: .model)
        try container.encode(messages, forKey: .messages)
        try container.encodeIfPresent(maxTokens, forKey: .maxTokens)
        try container.encodeIfPresent(temperature, forKey: .temperature)
        try container.encodeIfPresent(topP, forKey: .topP)
        try container.encodeIfPresent(seed, forKey: .seed)
        try container.encodeIfPresent(stop, forKey: .stop)
        try container.encodeIfPresent(frequencyPenalty, forKey: .frequencyPenalty)
        try container.encodeIfPresent(presencePenalty, forKey: .presencePenalty)
        try container.encode(stream, forKey: .stream)
        if stream { try container.encode(StreamOptions(), forKey: .streamOptions) }
    }
}
