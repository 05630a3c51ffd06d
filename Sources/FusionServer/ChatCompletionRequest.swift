import ByteUnits
import Foundation
import Llama

/// A `POST /v1/chat/completions` body, checked field by field. Unknown fields are ignored (clients
/// send many); known fields with a wrong type or range are a 400 that names the field.
struct ChatCompletionRequest: Sendable, Equatable {
    var model: String
    var messages: [ChatMessage]
    var stream = false
    /// `stream_options.include_usage`: a last chunk with `usage` and no choices.
    var includeUsage = false
    /// `max_completion_tokens`, else `max_tokens`.
    var maxTokens: Int?
    var temperature: Double?
    var topP: Double?
    /// llama-server's extensions, accepted because local users send them.
    var topK: Int?
    var minP: Double?
    var repeatPenalty: Double?
    var frequencyPenalty: Double?
    var presencePenalty: Double?
    var seed: UInt32?
    var stop: [String] = []
    /// OpenRouter's `plugins: [{"id": "fusion", …}]`, when present and enabled.
    var fusionPlugin: FusionPlugin?
    /// `tools: [{"type": "fusion"}]`, when present.
    var fusionTool: FusionPlugin?
    var toolChoice: ToolChoice = .auto

    enum ToolChoice: String, Sendable { case none, auto, required }

    /// Parses and validates a request body.
    static func parse(_ body: [UInt8]) throws(APIError) -> ChatCompletionRequest {
        guard !body.isEmpty else { throw .badRequest("the request body is empty; send a JSON object", code: "invalid_json") }
        guard let json = JSONValue.parse(body) else {
            throw .badRequest("the request body is not valid JSON (or not valid UTF-8)", code: "invalid_json")
        }
        guard case .object = json else { throw .badRequest("the request body must be a JSON object, not \(json.typeName)", code: "invalid_json") }
        let fields = FieldReader(json)

        let model = try fields.string("model", required: true)!
        guard !model.isEmpty else { throw .outOfRange("model", "must not be empty") }
        var request = ChatCompletionRequest(model: model, messages: try parseMessages(json["messages"]))
        request.stream = try fields.bool("stream") ?? false
        if let options = json["stream_options"], options != .null {
            guard case .object = options else { throw .invalidType("stream_options", expected: "an object", got: options) }
            request.includeUsage = try FieldReader(options, prefix: "stream_options.").bool("include_usage") ?? false
        }
        let legacyMaxTokens = try fields.int("max_tokens", range: 1...1_000_000)
        request.maxTokens = try fields.int("max_completion_tokens", range: 1...1_000_000) ?? legacyMaxTokens
        request.temperature = try fields.number("temperature", range: 0...2)
        request.topP = try fields.number("top_p", range: 0...1)
        request.topK = try fields.int("top_k", range: 0...1_000_000)
        request.minP = try fields.number("min_p", range: 0...1)
        request.repeatPenalty = try fields.number("repeat_penalty", range: 0.01...10)
        request.frequencyPenalty = try fields.number("frequency_penalty", range: -2...2)
        request.presencePenalty = try fields.number("presence_penalty", range: -2...2)
        if let seed = try fields.int("seed", range: Int(Int64.min)...Int(Int64.max)) {
            // Any integer is a valid OpenAI seed; fold it into the sampler's 32 bits (never the "random" value).
            let folded = UInt32(truncatingIfNeeded: seed)
            request.seed = folded == .max ? 0 : folded
        }
        request.stop = try parseStop(json["stop"])
        if let n = try fields.int("n", range: 1...128), n != 1 {
            throw .badRequest("only n=1 is supported", param: "n", code: "unsupported_value")
        }
        if let format = json["response_format"], format != .null,
           let type = format["type"], type != .string("text") {
            throw .badRequest("response_format other than text is not supported", param: "response_format", code: "unsupported_value")
        }
        request.fusionPlugin = try parsePlugins(json["plugins"])
        (request.fusionTool, request.toolChoice) = try parseTools(json["tools"], choice: json["tool_choice"])
        return request
    }

    private static func parseMessages(_ value: JSONValue?) throws(APIError) -> [ChatMessage] {
        guard let value else { throw .badRequest("'messages' is required", param: "messages", code: "missing_field") }
        guard case .array(let items) = value else { throw .invalidType("messages", expected: "an array", got: value) }
        guard !items.isEmpty else { throw .outOfRange("messages", "must contain at least one message") }
        var messages: [ChatMessage] = []
        for (index, item) in items.enumerated() {
            let name = "messages[\(index)]"
            guard case .object = item else { throw .invalidType(name, expected: "an object", got: item) }
            let reader = FieldReader(item, prefix: name + ".")
            let roleName = try reader.string("role", required: true)!
            let role: ChatMessage.Role
            switch roleName {
            case "system", "developer": role = .system
            case "user": role = .user
            case "assistant": role = .assistant
            case "tool": role = .tool
            default:
                throw .badRequest("'\(name).role' must be system, developer, user, assistant or tool (got '\(roleName)')",
                                  param: name + ".role", code: "invalid_value")
            }
            let content = try messageText(item["content"], name: name + ".content", optional: role == .assistant)
            messages.append(ChatMessage(role: role, content: content))
        }
        guard messages.contains(where: { $0.role == .user }) else {
            throw .outOfRange("messages", "must contain a user message")
        }
        return messages
    }

    /// A message's text: a string, or an array of `{"type": "text", "text": …}` parts.
    private static func messageText(_ value: JSONValue?, name: String, optional: Bool) throws(APIError) -> String {
        switch value {
        case .string(let text)?: return text
        case .null?, nil:
            if optional { return "" }
            throw .badRequest("'\(name)' is required", param: name, code: "missing_field")
        case .array(let parts)?:
            var text = ""
            for (index, part) in parts.enumerated() {
                let partName = "\(name)[\(index)]"
                guard case .string(let type)? = part["type"] else { throw .badRequest("'\(partName).type' is required", param: partName) }
                guard type == "text" else {
                    throw .badRequest("content parts of type '\(type)' are not supported (text only)", param: partName, code: "unsupported_value")
                }
                guard case .string(let piece)? = part["text"] else { throw .badRequest("'\(partName).text' must be a string", param: partName) }
                text += text.isEmpty ? piece : "\n" + piece
            }
            return text
        case let other?:
            throw .invalidType(name, expected: "a string or an array of text parts", got: other)
        }
    }

    private static func parseStop(_ value: JSONValue?) throws(APIError) -> [String] {
        switch value {
        case nil, .null?: return []
        case .string(let stop)?: return stop.isEmpty ? [] : [stop]
        case .array(let items)?:
            guard items.count <= 16 else { throw .outOfRange("stop", "may hold at most 16 strings") }
            var stops: [String] = []
            for item in items {
                guard case .string(let stop) = item else { throw .invalidType("stop", expected: "a string or an array of strings", got: item) }
                if !stop.isEmpty { stops.append(stop) }
            }
            return stops
        case let other?: throw .invalidType("stop", expected: "a string or an array of strings", got: other)
        }
    }

    private static func parsePlugins(_ value: JSONValue?) throws(APIError) -> FusionPlugin? {
        guard let value, value != .null else { return nil }
        guard case .array(let items) = value else { throw .invalidType("plugins", expected: "an array", got: value) }
        var found: FusionPlugin?
        for (index, item) in items.enumerated() {
            let name = "plugins[\(index)]"
            guard case .object = item else { throw .invalidType(name, expected: "an object", got: item) }
            let id = try FieldReader(item, prefix: name + ".").string("id", required: true)!
            guard id == "fusion" else {
                throw .badRequest("plugin '\(id)' is not available on this server (only 'fusion')", param: name + ".id", code: "unsupported_value")
            }
            let plugin = try FusionPlugin.parse(item, name: name)
            if plugin.enabled { found = plugin }
        }
        return found
    }

    private static func parseTools(_ value: JSONValue?, choice: JSONValue?) throws(APIError) -> (FusionPlugin?, ToolChoice) {
        var toolChoice = ToolChoice.auto
        switch choice {
        case nil, .null?: break
        case .string(let text)?:
            guard let parsed = ToolChoice(rawValue: text) else {
                throw .badRequest("'tool_choice' must be none, auto or required", param: "tool_choice", code: "invalid_value")
            }
            toolChoice = parsed
        case .object?:
            // {"type": "fusion"} names the one tool there is: the same as required.
            guard choice?["type"] == .string("fusion") else {
                throw .badRequest("'tool_choice' may only name the fusion tool", param: "tool_choice", code: "unsupported_value")
            }
            toolChoice = .required
        case let other?: throw .invalidType("tool_choice", expected: "a string or an object", got: other)
        }
        guard let value, value != .null else { return (nil, toolChoice) }
        guard case .array(let items) = value else { throw .invalidType("tools", expected: "an array", got: value) }
        var tool: FusionPlugin?
        for (index, item) in items.enumerated() {
            let name = "tools[\(index)]"
            guard case .string(let type)? = item["type"] else { throw .badRequest("'\(name).type' is required", param: name + ".type") }
            guard type == "fusion" else {
                throw .badRequest("tools of type '\(type)' are not supported; this server offers the server tool {\"type\": \"fusion\"}",
                                  param: name + ".type", code: "unsupported_value")
            }
            // Options may sit at the top level or under "fusion" (like a function tool's "function").
            let options = item["fusion"] ?? item
            tool = try FusionPlugin.parse(options, name: name)
        }
        return (tool, toolChoice)
    }
}

/// Fusion settings from a `plugins` entry or a fusion tool (OpenRouter's shape).
struct FusionPlugin: Sendable, Equatable {
    /// The judge (also the synthesizer); nil means the request's model.
    var model: String?
    /// The panel; nil means the default preset's panel.
    var analysisModels: [String]?
    /// A named preset to start from (our extension).
    var preset: String?
    var enabled = true
    /// Panel answers only.
    var maxCompletionTokens: Int?
    /// Panel sampling only.
    var temperature: Double?
    /// Memory this fusion's models may use, in bytes (our extension); only below the server's
    /// budget does it change anything: the plan shrinks and idle models are evicted to fit it.
    var memoryBudget: Int64?

    static func parse(_ value: JSONValue, name: String) throws(APIError) -> FusionPlugin {
        let reader = FieldReader(value, prefix: name + ".")
        var plugin = FusionPlugin()
        plugin.model = try reader.string("model")
        plugin.preset = try reader.string("preset")
        plugin.enabled = try reader.bool("enabled") ?? true
        plugin.maxCompletionTokens = try reader.int("max_completion_tokens", range: 1...100_000)
        plugin.temperature = try reader.number("temperature", range: 0...2)
        plugin.memoryBudget = try parseMemoryBudget(value["memory_budget"], param: name + ".memory_budget")
        if let models = value["analysis_models"], models != .null {
            guard case .array(let items) = models else { throw .invalidType(name + ".analysis_models", expected: "an array", got: models) }
            var ids: [String] = []
            for item in items {
                guard case .string(let id) = item, !id.isEmpty else {
                    throw .invalidType(name + ".analysis_models", expected: "an array of model ids", got: item)
                }
                ids.append(id)
            }
            guard !ids.isEmpty, ids.count <= 8 else { throw .outOfRange(name + ".analysis_models", "must hold 1 to 8 models") }
            plugin.analysisModels = ids
        }
        return plugin
    }

    /// Bytes as a number (`800000000`) or written the way the CLI takes them (`"800MiB"`, `"1.2GB"`).
    private static func parseMemoryBudget(_ value: JSONValue?, param: String) throws(APIError) -> Int64? {
        let bytes: Int64?
        switch value {
        case nil, .null?: return nil
        case .number?: bytes = value?.wholeNumber
        case .string(let text)?: bytes = ByteSize.parse(text)
        case let other?: throw .invalidType(param, expected: "a byte count or a size such as \"800MiB\"", got: other)
        }
        guard let bytes, bytes > 0 else {
            throw .badRequest("'\(param)' is not a usable size: give whole bytes (800000000) or a size such as \"800MiB\" or \"1.2GB\"",
                              param: param, code: "invalid_value")
        }
        return bytes
    }
}
