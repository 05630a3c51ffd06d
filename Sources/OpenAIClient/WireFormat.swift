// The parts of OpenAI's response JSON the client reads; everything else is ignored, so servers
// that add fields (llama-server's timings, reasoning_content…) still decode.
import Foundation

/// Usage as sent; fields are optional because some servers omit one of them.
struct WireUsage: Decodable {
    var prompt_tokens: Int?
    var completion_tokens: Int?

    var usage: RemoteUsage { RemoteUsage(promptTokens: prompt_tokens ?? 0, completionTokens: completion_tokens ?? 0) }
}

/// `{"error": {"message": …, "code": …}}`, or `{"error": "text"}` from less careful servers.
struct WireErrorEnvelope: Decodable {
    struct Detail: Decodable {
        var message: String?
        var code: Int?

        init(from decoder: any Decoder) throws {
            if let text = try? decoder.singleValueContainer().decode(String.self) {
                message = text
                return
            }
            let container = try decoder.container(keyedBy: CodingKeys.self)
            message = try? container.decodeIfPresent(String.self, forKey: .message)
            code = try? container.decodeIfPresent(Int.self, forKey: .code)
        }

        private enum CodingKeys: String, CodingKey { case message, code }
    }

    var error: Detail?
    var message: String?
}

/// A non-streamed `chat.completion`.
struct WireCompletion: Decodable {
    struct Choice: Decodable {
        struct Message: Decodable { var content: String? }
        var message: Message?
        var finish_reason: String?
    }

    var model: String?
    var choices: [Choice]?
    var usage: WireUsage?
    var error: WireErrorEnvelope.Detail?
}

/// One `chat.completion.chunk` of a stream; the usage chunk has `choices: []`.
struct WireChunk: Decodable {
    struct Choice: Decodable {
        struct Delta: Decodable { var content: String? }
        var delta: Delta?
        var finish_reason: String?
    }

    var model: String?
    var choices: [Choice]?
    var usage: WireUsage?
    var error: WireErrorEnvelope.Detail?
}

enum WireFormat {
    /// The most useful message in an error body: OpenAI's `error.message`, else the body text
    /// (trimmed and shortened), else empty.
    static func errorMessage(from body: [UInt8]) -> String {
        if let envelope = try? JSONDecoder().decode(WireErrorEnvelope.self, from: Data(body)),
           let message = envelope.error?.message ?? envelope.message {
            return message
        }
        let text = String(decoding: body, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        return text.count > 300 ? String(text.prefix(300)) + "…" : text
    }

    /// A short, printable excerpt of bad data for an error message.
    static func excerpt(_ text: String) -> String {
        let flat = text.replacingOccurrences(of: "\n", with: " ")
        return flat.count > 80 ? String(flat.prefix(80)) + "…" : flat
    }
}
