import Eval
import Foundation

/// One member answer inside a result line (vote, ceiling, fusion panels; the single answer of a solo).
public struct MemberAnswer: Codable, Sendable, Equatable {
    public var model: String
    public var sample: Int
    /// The extracted answer, nil for a parse failure.
    public var extracted: String?
    public var correct: Bool

    public init(model: String, sample: Int, extracted: String?, correct: Bool) {
        self.model = model
        self.sample = sample
        self.extracted = extracted
        self.correct = correct
    }
}

/// One line of `results/<condition>.jsonl`: one item under one condition.
///
/// Self-contained on purpose (task, gold answer, member models, kind): the report reads a results
/// directory without the items file or the condition configs, so a committed results directory
/// can be re-reported anywhere.
public struct EvalResultRecord: Codable, Sendable, Equatable {
    public var condition: String
    public var kind: EvalConditionKind
    /// The condition's member models in seat order (the solo model for a solo).
    public var memberModels: [String]
    public var id: String
    public var task: String
    public var split: EvalSplit
    public var gold: String
    public var answerType: AnswerType
    /// The response the answer was read from (the final answer of a fusion; a summary of the
    /// member answers for a vote or a ceiling).
    public var raw: String
    /// The canonical extracted answer, nil for a parse failure.
    public var extracted: String?
    public var correct: Bool
    public var parseFailed: Bool
    /// Compute time of every model call behind this line (recorded when the call ran, so cached
    /// lines keep the original cost), seconds.
    public var seconds: Double
    public var promptTokens: Int
    public var completionTokens: Int
    public var members: [MemberAnswer]
    /// Why the judge's analysis is missing or repaired (fusion conditions).
    public var judgeNote: String?
    /// Why this item has no answer (a model failed); scored wrong.
    public var error: String?
    /// Whether every call behind this line came from the cache.
    public var cached: Bool
    /// The condition this one is another draw of (`draw_of` in its config); the report pools draws.
    public var drawOf: String?
    /// `chosen_on_first` of its config: the condition was picked on the first N dev items per task.
    public var chosenOnFirst: Int?
    /// The item's index among its task's items of its split (`EvalItem.taskIndex`): `--limit N`
    /// runs the items below N. nil in results written before it was recorded.
    public var taskIndex: Int?

    public var tokens: Int { promptTokens + completionTokens }

    public init(condition: String, kind: EvalConditionKind, memberModels: [String], id: String, task: String,
                split: EvalSplit, gold: String, answerType: AnswerType, raw: String, extracted: String?, correct: Bool,
                parseFailed: Bool, seconds: Double, promptTokens: Int, completionTokens: Int, members: [MemberAnswer],
                judgeNote: String? = nil, error: String? = nil, cached: Bool = false, drawOf: String? = nil,
                chosenOnFirst: Int? = nil, taskIndex: Int? = nil) {
        self.condition = condition
        self.kind = kind
        self.memberModels = memberModels
        self.id = id
        self.task = task
        self.split = split
        self.gold = gold
        self.answerType = answerType
        self.raw = raw
        self.extracted = extracted
        self.correct = correct
        self.parseFailed = parseFailed
        self.seconds = seconds
        self.promptTokens = promptTokens
        self.completionTokens = completionTokens
        self.members = members
        self.judgeNote = judgeNote
        self.error = error
        self.cached = cached
        self.drawOf = drawOf
        self.chosenOnFirst = chosenOnFirst
        self.taskIndex = taskIndex
    }

    enum CodingKeys: String, CodingKey {
        case condition, kind, id, task, split, gold, raw, extracted, correct, seconds, members, error, cached, tokens
        case memberModels = "member_models", answerType = "answer_type", parseFailed = "parse_failed"
        case promptTokens = "prompt_tokens", completionTokens = "completion_tokens", judgeNote = "judge_note"
        case drawOf = "draw_of", chosenOnFirst = "chosen_on_first", taskIndex = "task_index"
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        condition = try c.decode(String.self, forKey: .condition)
        kind = try c.decode(EvalConditionKind.self, forKey: .kind)
        memberModels = try c.decodeIfPresent([String].self, forKey: .memberModels) ?? []
        id = try c.decode(String.self, forKey: .id)
        task = try c.decodeIfPresent(String.self, forKey: .task)
            ?? String(id.prefix { $0 != "/" })
        split = try c.decodeIfPresent(EvalSplit.self, forKey: .split) ?? .dev
        gold = try c.decode(String.self, forKey: .gold)
        answerType = try c.decode(AnswerType.self, forKey: .answerType)
        raw = try c.decodeIfPresent(String.self, forKey: .raw) ?? ""
        extracted = try c.decodeIfPresent(String.self, forKey: .extracted)
        correct = try c.decode(Bool.self, forKey: .correct)
        parseFailed = try c.decodeIfPresent(Bool.self, forKey: .parseFailed) ?? (extracted == nil)
        seconds = try c.decodeIfPresent(Double.self, forKey: .seconds) ?? 0
        promptTokens = try c.decodeIfPresent(Int.self, forKey: .promptTokens) ?? 0
        completionTokens = try c.decodeIfPresent(Int.self, forKey: .completionTokens) ?? 0
        members = try c.decodeIfPresent([MemberAnswer].self, forKey: .members) ?? []
        judgeNote = try c.decodeIfPresent(String.self, forKey: .judgeNote)
        error = try c.decodeIfPresent(String.self, forKey: .error)
        cached = try c.decodeIfPresent(Bool.self, forKey: .cached) ?? false
        drawOf = try c.decodeIfPresent(String.self, forKey: .drawOf)
        chosenOnFirst = try c.decodeIfPresent(Int.self, forKey: .chosenOnFirst)
        taskIndex = try c.decodeIfPresent(Int.self, forKey: .taskIndex)
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(condition, forKey: .condition)
        try c.encode(kind, forKey: .kind)
        try c.encode(memberModels, forKey: .memberModels)
        try c.encode(id, forKey: .id)
        try c.encode(task, forKey: .task)
        try c.encode(split, forKey: .split)
        try c.encode(gold, forKey: .gold)
        try c.encode(answerType, forKey: .answerType)
        try c.encode(raw, forKey: .raw)
        try c.encode(extracted, forKey: .extracted)
        try c.encode(correct, forKey: .correct)
        try c.encode(parseFailed, forKey: .parseFailed)
        try c.encode((seconds * 1000).rounded() / 1000, forKey: .seconds)
        try c.encode(promptTokens, forKey: .promptTokens)
        try c.encode(completionTokens, forKey: .completionTokens)
        try c.encode(tokens, forKey: .tokens)
        try c.encode(members, forKey: .members)
        try c.encodeIfPresent(judgeNote, forKey: .judgeNote)
        try c.encodeIfPresent(error, forKey: .error)
        try c.encode(cached, forKey: .cached)
        try c.encodeIfPresent(drawOf, forKey: .drawOf)
        try c.encodeIfPresent(chosenOnFirst, forKey: .chosenOnFirst)
        try c.encodeIfPresent(taskIndex, forKey: .taskIndex)
    }
}

/// Reading and writing results directories.
public enum EvalResultsFile {
    /// Writes one condition's lines to `path` (atomically: an interrupted write leaves the old file).
    public static func write(_ records: [EvalResultRecord], to path: String) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        var data = Data()
        for record in records {
            data.append(try encoder.encode(record))
            data.append(UInt8(ascii: "\n"))
        }
        try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent,
                                                withIntermediateDirectories: true)
        try data.write(to: URL(fileURLWithPath: path), options: .atomic)
    }

    /// Reads one `.jsonl` file.
    public static func read(path: String) throws -> [EvalResultRecord] {
        guard let data = FileManager.default.contents(atPath: path) else { throw EvalReportError.unreadable(path) }
        let decoder = JSONDecoder()
        var records: [EvalResultRecord] = []
        for (number, line) in data.split(separator: UInt8(ascii: "\n")).enumerated() {
            if line.allSatisfy({ $0 == UInt8(ascii: " ") || $0 == UInt8(ascii: "\r") }) { continue }
            do {
                records.append(try decoder.decode(EvalResultRecord.self, from: Data(line)))
            } catch {
                throw EvalReportError.malformed(path: path, line: number + 1, reason: "\(error)")
            }
        }
        return records
    }

    /// Every `*.jsonl` in `directory`, by condition name (the `condition` field, not the file name).
    public static func readDirectory(_ directory: String) throws -> [String: [EvalResultRecord]] {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: directory) else {
            throw EvalReportError.unreadable(directory)
        }
        var byCondition: [String: [EvalResultRecord]] = [:]
        for name in names.sorted() where name.hasSuffix(".jsonl") {
            for record in try read(path: directory + "/" + name) {
                byCondition[record.condition, default: []].append(record)
            }
        }
        return byCondition
    }
}

/// Why a results directory cannot be reported, or two result files cannot be compared.
public enum EvalReportError: Error, Equatable, CustomStringConvertible {
    case unreadable(String)
    case malformed(path: String, line: Int, reason: String)
    case empty(String)
    /// Two result files that do not pair up (no shared item, several conditions in one file).
    case notComparable(String)

    public var description: String {
        switch self {
        case .unreadable(let path): return "cannot read \(path)"
        case .malformed(let path, let line, let reason): return "\(path):\(line): not a result line (\(reason))"
        case .empty(let why), .notComparable(let why): return why
        }
    }
}
