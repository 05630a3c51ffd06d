internal import CLlama
import Foundation

/// One message of a conversation.
public struct ChatMessage: Sendable, Equatable, Codable {
    public enum Role: String, Sendable, Codable { case system, user, assistant, tool }
    public var role: Role
    public var content: String

    public init(role: Role, content: String) {
        self.role = role
        self.content = content
    }
    public static func system(_ text: String) -> ChatMessage { ChatMessage(role: .system, content: text) }
    public static func user(_ text: String) -> ChatMessage { ChatMessage(role: .user, content: text) }
    public static func assistant(_ text: String) -> ChatMessage { ChatMessage(role: .assistant, content: text) }
}

/// What to feed a model.
public enum Prompt: Sendable, Equatable {
    /// Formatted with the model's chat template (or the plain fallback for template-less models).
    case chat([ChatMessage])
    /// Fed exactly as written (base-model completion, benchmarks).
    case raw(String)
    /// Pre-tokenized input.
    case tokens([Token])
}

/// A prompt rendered to text, with what the format needs at generation time.
public struct FormattedPrompt: Sendable, Equatable {
    /// The full prompt text.
    public var text: String
    /// Whether control-token text in `text` (e.g. `<|im_start|>`) must be parsed as tokens.
    public var parseSpecial: Bool
    /// Stop strings the format implies (the fallback format must stop before inventing a next turn).
    public var stops: [String]
    /// Name of the format used, for traces ("chatml", "plain", …).
    public var formatName: String
}

/// Renders chat messages for a model.
///
/// llama.cpp's `llama_chat_apply_template` knows a fixed set of template families (ChatML, Llama,
/// Gemma, …) and detects them from the embedded Jinja text; it does not run arbitrary Jinja. Models
/// without a template (base models such as Gemma-3-270M here) get a plain "User:/Assistant:"
/// transcript that base models continue sensibly, with stop strings so they do not write the
/// user's next turn.
public enum ChatFormat {
    /// The plain transcript used when a model has no usable template.
    public static func plain(_ messages: [ChatMessage]) -> FormattedPrompt {
        var text = ""
        for message in messages {
            switch message.role {
            case .system: text += message.content + "\n\n"
            case .user: text += "User: " + message.content + "\n"
            case .assistant: text += "Assistant: " + message.content + "\n"
            case .tool: text += "Tool result: " + message.content + "\n"
            }
        }
        text += "Assistant:"
        return FormattedPrompt(text: text, parseSpecial: false, stops: ["\nUser:", "\nAssistant:"],
                               formatName: "plain")
    }

    /// Renders `messages` with `template` (Jinja text from the GGUF); nil when llama.cpp does not
    /// recognise the template family.
    ///
    /// Some families (Gemma) carry a system message into the next user turn and silently
    /// drop one that has no user turn after it, such as the fusion tool's result. When a system
    /// message after the first turn is missing from the rendering, such messages are folded into
    /// the user turn before them and the conversation is rendered again.
    public static func render(template: String, messages: [ChatMessage]) -> String? {
        guard let text = apply(template: template, messages: messages) else { return nil }
        // Only a late system message can be lost, so only a conversation with one pays for the search.
        guard let start = messages.firstIndex(where: { $0.role != .system }) else { return text }
        let late = messages[start...].filter { $0.role == .system }
        if late.isEmpty || keepsEveryMessage(text, late) { return text }
        let folded = foldingLateSystemMessages(messages)
        if let refolded = apply(template: template, messages: folded), keepsEveryMessage(refolded, folded) {
            return refolded
        }
        return text
    }

    /// Whether every message's text (templates may trim it) appears in `text`.
    static func keepsEveryMessage(_ text: String, _ messages: [ChatMessage]) -> Bool {
        messages.allSatisfy { message in
            let content = message.content.trimmingCharacters(in: .whitespacesAndNewlines)
            return content.isEmpty || text.contains(content)
        }
    }

    /// System messages after the conversation started, appended to the user message before them.
    static func foldingLateSystemMessages(_ messages: [ChatMessage]) -> [ChatMessage] {
        var result: [ChatMessage] = []
        var lastUser: Int?
        for message in messages {
            if message.role == .system, let index = lastUser {
                result[index].content += "\n\n" + message.content
                continue
            }
            if message.role == .user { lastUser = result.count }
            result.append(message)
        }
        return result
    }

    /// Applies `template` via llama.cpp; nil when llama.cpp does not recognise the template family.
    static func apply(template: String, messages: [ChatMessage]) -> String? {
        let roles = messages.map { strdup($0.role == .tool ? "user" : $0.role.rawValue) }
        let contents = messages.map { strdup($0.content) }
        defer {
            roles.forEach { free($0) }
            contents.forEach { free($0) }
        }
        var chat = zip(roles, contents).map { llama_chat_message(role: $0, content: $1) }
        var capacity = max(1024, messages.reduce(0) { $0 + $1.content.utf8.count } * 2 + 512)
        for _ in 0..<2 {
            var buffer = [CChar](repeating: 0, count: capacity)
            let n = llama_chat_apply_template(template, &chat, chat.count, true, &buffer, Int32(capacity))
            if n < 0 { return nil }
            if Int(n) <= capacity {
                return String(decoding: buffer.prefix(Int(n)).map { UInt8(bitPattern: $0) }, as: UTF8.self)
            }
            capacity = Int(n) + 1
        }
        return nil
    }

    /// A short name for the template family, for traces.
    static func familyName(of template: String) -> String {
        if template.contains("<|im_start|>") { return "chatml" }
        if template.contains("<start_of_turn>") { return "gemma" }
        if template.contains("<|start_header_id|>") { return "llama3" }
        if template.contains("[INST]") { return "llama2" }
        return "template"
    }
}

extension LlamaModel {
    /// Renders a prompt for this model: its chat template when llama.cpp supports it, else the
    /// plain fallback (also used for models without any template).
    public func format(_ messages: [ChatMessage]) -> FormattedPrompt {
        if let template = chatTemplate, !template.isEmpty,
           let text = ChatFormat.render(template: template, messages: messages) {
            return FormattedPrompt(text: text, parseSpecial: true, stops: [],
                                   formatName: ChatFormat.familyName(of: template))
        }
        return ChatFormat.plain(messages)
    }
}
