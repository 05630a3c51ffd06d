import Eval
import Foundation
import Fusion
import Llama

/// Model calls stored on disk, one JSON file per call, found by the sha256 of what determines
/// the call's output.
///
/// Why a content key and not a run id: an interrupted run resumes by asking for the same keys,
/// and conditions share answers without knowing of each other — the greedy answer of
/// qwen2.5-coder-1.5b to an item is the same call whether the solo condition, a vote or a fusion
/// panel asks for it. Files are sharded by the first two hex characters (`ab/abcd….json`) so no
/// directory grows past a few thousand entries, and written atomically so Ctrl-C never leaves a
/// torn entry.
public struct EvalCache: Sendable {
    public let directory: String

    public init(directory: String = EvalCache.defaultDirectory) {
        self.directory = directory
    }

    /// `$LOCALFUSION_CACHE/eval/cache` (next to the items file).
    public static var defaultDirectory: String {
        (EvalItemSet.defaultPath as NSString).deletingLastPathComponent + "/cache"
    }

    /// The sha256 (hex) of `key` encoded as JSON with sorted keys: stable across runs and machines.
    public static func key<Key: Encodable>(_ key: Key) -> String {
        var hash = SHA256()
        hash.update(canonicalJSON(key))
        return hash.finalize().hex
    }

    static func canonicalJSON<Value: Encodable>(_ value: Value) -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        // Encoding plain structs of strings and numbers cannot fail.
        return (try? encoder.encode(value)) ?? Data()
    }

    /// Where the entry for `key` lives.
    public func path(for key: String) -> String {
        directory + "/" + String(key.prefix(2)) + "/" + key + ".json"
    }

    /// The stored value for `key`, or nil when absent or unreadable (a stale format is a miss).
    public func read<Value: Decodable>(_ key: String, as type: Value.Type = Value.self) -> Value? {
        guard let data = FileManager.default.contents(atPath: path(for: key)) else { return nil }
        return try? JSONDecoder().decode(CacheEnvelopeValue<Value>.self, from: data).value
    }

    /// Stores `value` under `key`; the key's fields are kept beside it for inspection.
    public func write<Key: Encodable, Value: Encodable>(_ key: String, keyFields: Key, value: Value) throws {
        let file = path(for: key)
        try FileManager.default.createDirectory(atPath: (file as NSString).deletingLastPathComponent,
                                                withIntermediateDirectories: true)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes, .prettyPrinted]
        try encoder.encode(CacheEnvelope(key: keyFields, value: value)).write(to: URL(fileURLWithPath: file), options: .atomic)
    }

    /// Number of entries on disk (for summaries and tests).
    public func entryCount() -> Int { entryPaths().count }

    /// The path of every entry file, in no particular order.
    public func entryPaths() -> [String] {
        guard let enumerator = FileManager.default.enumerator(atPath: directory) else { return [] }
        var paths: [String] = []
        while let next = enumerator.nextObject() as? String {
            if next.hasSuffix(".json") { paths.append(directory + "/" + next) }
        }
        return paths
    }
}

/// A cache file: the key's fields (for inspection) and the value.
struct CacheEnvelope<Key: Encodable, Value: Encodable>: Encodable {
    var key: Key
    var value: Value
}

/// The part of a cache file `read` needs.
struct CacheEnvelopeValue<Value: Decodable>: Decodable {
    var value: Value
}

// MARK: - Keys and values

/// Everything that decides one seat's answers (`samples` answers of one model to one prompt).
///
/// Sampling fields that greedy decoding ignores (seed, top-k, top-p, min-p) are left out when the
/// temperature is 0, so every greedy caller shares one entry. The model is its catalog sha256
/// (the path for a file outside the catalog): replacing the weights invalidates the entry.
struct SeatCallKey: Codable, Equatable {
    var version = 1
    var call = "seat"
    var model: String
    var messages: [ChatMessage]
    var samples: Int
    var temperature: Double
    var seed: UInt32?
    var topK: Int?
    var topP: Double?
    var minP: Double?
    var repeatPenalty: Double
    var maxTokens: Int
    var contextSize: Int

    enum CodingKeys: String, CodingKey, CaseIterable {
        case version, call, model, messages, samples, temperature, seed
        case topK = "top_k", topP = "top_p", minP = "min_p", repeatPenalty = "repeat_penalty"
        case maxTokens = "max_tokens", contextSize = "context_size"
    }
}

/// Everything that decides a fusion's final answer from given member answers: the writers'
/// weights, the answers and how they are labelled, the token limits, and a digest of the writer
/// prompts (`FusionEngine.writerFingerprint`; aggregate mode's covers only its own), so editing a
/// prompt in the Fusion module makes the old entries misses instead of stale hits.
struct FusionCallKey: Codable, Equatable {
    struct Answer: Codable, Equatable {
        var seat: Int
        var sample: Int
        var model: String
        var text: String
    }
    struct Seat: Codable, Equatable {
        var model: String
        var samples: Int
        var reference: Bool
    }
    var version = 1
    var call = "fusion"
    var mode: String
    var judge: String
    var synthesizer: String?
    var question: String
    var panel: [Seat]
    var answers: [Answer]
    var seed: UInt32
    var judgeMaxTokens: Int
    var synthesisMaxTokens: Int
    var contextSize: Int
    var writers: String

    enum CodingKeys: String, CodingKey, CaseIterable {
        case version, call, mode, judge, synthesizer, question, panel, answers, seed, writers
        case judgeMaxTokens = "judge_max_tokens", synthesisMaxTokens = "synthesis_max_tokens"
        case contextSize = "context_size"
    }
}

/// One seat call's answers, as cached.
public struct SeatCallRecord: Codable, Sendable, Equatable {
    public struct Answer: Codable, Sendable, Equatable {
        public var sample: Int
        public var text: String
        public var finishReason: String
        public var promptTokens: Int
        public var completionTokens: Int
        public var seed: UInt32

        enum CodingKeys: String, CodingKey {
            case sample, text, seed
            case finishReason = "finish_reason", promptTokens = "prompt_tokens", completionTokens = "completion_tokens"
        }
    }
    public var model: String
    public var answers: [Answer]
    /// Wall time of the call without model loading (the samples of a seat decode together).
    public var seconds: Double

    /// Prompt tokens are counted once per call: the samples share one prefill.
    public var promptTokens: Int { answers.first?.promptTokens ?? 0 }
    public var completionTokens: Int { answers.reduce(0) { $0 + $1.completionTokens } }
}

/// One fusion's outcome (judge and synthesizer only), as cached.
public struct FusionCallRecord: Codable, Sendable, Equatable {
    public var final: String
    /// Why the analysis is missing or repaired (the trace's judge note).
    public var judgeNote: String?
    /// Whether the judge's analysis could be read.
    public var analyzed: Bool
    public var labels: [String: String]
    public var promptTokens: Int
    public var completionTokens: Int
    /// Wall time of the judge and synthesis stages.
    public var seconds: Double
    public var judgeSeconds: Double
    public var synthesisSeconds: Double

    enum CodingKeys: String, CodingKey {
        case final, analyzed, labels, seconds
        case judgeNote = "judge_note", promptTokens = "prompt_tokens", completionTokens = "completion_tokens"
        case judgeSeconds = "judge_seconds", synthesisSeconds = "synthesis_seconds"
    }
}
