import Foundation
import Fusion
import Llama

/// OpenAI's `usage` object.
struct WireUsage: Encodable, Sendable, Equatable {
    var promptTokens: Int
    var completionTokens: Int
    var totalTokens: Int

    init(_ usage: TokenUsage) {
        promptTokens = usage.promptTokens
        completionTokens = usage.completionTokens
        totalTokens = usage.totalTokens
    }

    enum CodingKeys: String, CodingKey {
        case promptTokens = "prompt_tokens", completionTokens = "completion_tokens", totalTokens = "total_tokens"
    }
}

/// A non-streamed answer: `object: "chat.completion"`. The extra `fusion` object carries the
/// analysis, member answers and trace; OpenAI clients ignore unknown keys.
struct ChatCompletion: Encodable, Sendable {
    struct Choice: Encodable, Sendable {
        var index = 0
        var message: Message
        var finishReason: String

        func encode(to encoder: Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(index, forKey: .index)
            try c.encode(message, forKey: .message)
            try c.encode(finishReason, forKey: .finishReason)
            try c.encodeNil(forKey: .logprobs)
        }
        enum CodingKeys: String, CodingKey { case index, message, finishReason = "finish_reason", logprobs }
    }
    struct Message: Encodable, Sendable {
        var role = "assistant"
        var content: String
    }

    var id: String
    var object = "chat.completion"
    var created: Int
    var model: String
    var choices: [Choice]
    var usage: WireUsage
    var fusion: FusionDetails?

    init(id: String, created: Int, model: String, text: String, finishReason: String, usage: TokenUsage, fusion: FusionDetails?) {
        self.id = id
        self.created = created
        self.model = model
        choices = [Choice(message: Message(content: text), finishReason: finishReason)]
        self.usage = WireUsage(usage)
        self.fusion = fusion
    }
}

/// One streamed piece: `object: "chat.completion.chunk"`.
struct ChatCompletionChunk: Encodable, Sendable {
    struct Choice: Encodable, Sendable {
        var index = 0
        var delta: Delta
        var finishReason: String?

        func encode(to encoder: Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(index, forKey: .index)
            try c.encode(delta, forKey: .delta)
            // OpenAI sends an explicit null until the last chunk; some clients test for the key.
            try c.encode(finishReason, forKey: .finishReason)
            try c.encodeNil(forKey: .logprobs)
        }
        enum CodingKeys: String, CodingKey { case index, delta, finishReason = "finish_reason", logprobs }
    }
    struct Delta: Encodable, Sendable {
        var role: String?
        var content: String?
    }

    var id: String
    var object = "chat.completion.chunk"
    var created: Int
    var model: String
    var choices: [Choice]
    var usage: WireUsage?
    var fusion: FusionDetails?
}

/// Stream framing shared by every streamed route: ids, the role chunk, deltas, the final chunk.
struct ChunkFactory: Sendable {
    let id: String
    let created: Int
    let model: String

    init(model: String) {
        id = "chatcmpl-" + UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased().prefix(24)
        created = Int(Date().timeIntervalSince1970)
        self.model = model
    }

    func role() -> ChatCompletionChunk { chunk(Delta(role: "assistant", content: ""), finish: nil) }
    func text(_ text: String) -> ChatCompletionChunk { chunk(Delta(content: text), finish: nil) }
    func finish(_ reason: String, fusion: FusionDetails?) -> ChatCompletionChunk {
        var last = chunk(Delta(), finish: reason)
        last.fusion = fusion
        return last
    }
    /// `stream_options.include_usage`: no choices, only usage.
    func usage(_ usage: TokenUsage) -> ChatCompletionChunk {
        ChatCompletionChunk(id: id, created: created, model: model, choices: [], usage: WireUsage(usage))
    }
    func completion(text: String, finishReason: String, usage: TokenUsage, fusion: FusionDetails?) -> ChatCompletion {
        ChatCompletion(id: id, created: created, model: model, text: text, finishReason: finishReason, usage: usage, fusion: fusion)
    }

    private typealias Delta = ChatCompletionChunk.Delta
    private func chunk(_ delta: Delta, finish: String?) -> ChatCompletionChunk {
        ChatCompletionChunk(id: id, created: created, model: model, choices: [.init(delta: delta, finishReason: finish)])
    }
}

/// OpenAI's finish reasons for ours.
extension StopReason {
    var wireName: String { self == .length ? "length" : "stop" }
}

enum WireJSON {
    /// Compact JSON for the wire; snake_case keys come from the types' own coding keys or, for the
    /// engine's result types, from the key strategy.
    static func encode<T: Encodable>(_ value: T) -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.withoutEscapingSlashes]
        encoder.keyEncodingStrategy = .convertToSnakeCase
        do { return [UInt8](try encoder.encode(value)) } catch {
            return Array(#"{"error":{"message":"internal encoding error","type":"server_error","param":null,"code":null}}"#.utf8)
        }
    }

    static func string<T: Encodable>(_ value: T) -> String { String(decoding: encode(value), as: UTF8.self) }
}
