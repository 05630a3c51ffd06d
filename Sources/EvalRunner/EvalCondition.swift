import Eval
import Foundation
import Fusion

/// One seat of a condition: a model answering the item, once (greedy by default) or several times.
public struct EvalSeat: Sendable, Equatable, Codable {
    /// Catalog id or `.gguf` path.
    public var model: String
    /// Samples decoded in one batch (self-fusion, sample votes).
    public var samples: Int
    /// 0 is greedy; samples need a temperature above 0 to differ.
    public var temperature: Double
    /// Seed of the first sample; nil derives one per item from the condition's seed.
    public var seed: UInt32?
    /// Shown to the judge as the strongest member's answer.
    public var reference: Bool

    public init(model: String, samples: Int = 1, temperature: Double = 0, seed: UInt32? = nil, reference: Bool = false) {
        self.model = model
        self.samples = samples
        self.temperature = temperature
        self.seed = seed
        self.reference = reference
    }

    enum CodingKeys: String, CodingKey { case model, samples, temperature, seed, reference }

    /// A seat is written either as a model id (`"qwen2.5-coder-0.5b"`: one greedy answer) or as
    /// an object with the fields above.
    public init(from decoder: Decoder) throws {
        if let id = try? decoder.singleValueContainer().decode(String.self) {
            self.init(model: id)
            return
        }
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.init(model: try c.decode(String.self, forKey: .model),
                  samples: try c.decodeIfPresent(Int.self, forKey: .samples) ?? 1,
                  temperature: try c.decodeIfPresent(Double.self, forKey: .temperature) ?? 0,
                  seed: try c.decodeIfPresent(UInt32.self, forKey: .seed),
                  reference: try c.decodeIfPresent(Bool.self, forKey: .reference) ?? false)
    }
}

/// What a condition does with its seats' answers.
public enum EvalConditionKind: String, Sendable, Codable, CaseIterable {
    /// One model, one greedy answer.
    case solo
    /// A judge model alone; run exactly like `solo` (its own row in the report).
    case judgeSolo = "judge-solo"
    /// Majority of the members' extracted answers (ties: the earlier member); no calls of its own.
    case vote
    /// "Any member correct": an upper bound for any way of combining the answers; no calls of its own.
    case ceiling
    /// Panel + judge (+ synthesizer), or panel + aggregator.
    case fusion
    /// N samples of one model, judged and fused by the same model (unless `judge` says otherwise).
    case `self`

    /// Whether the condition combines several answers (and so is compared with its best member).
    public var combines: Bool { self != .solo && self != .judgeSolo }
    /// Whether a judge/synthesizer runs.
    public var fuses: Bool { self == .fusion || self == .self }
}

/// One evaluated condition, as written in `configs/eval/*.json`.
///
/// ```json
/// {"name": "solo-qwen2.5-coder-1.5b", "kind": "solo", "model": "qwen2.5-coder-1.5b"}
/// {"name": "vote-top3", "kind": "vote", "members": ["qwen2.5-coder-1.5b", "qwen2.5-coder-0.5b", "smollm2-135m"]}
/// {"name": "fusion-mixed-judge-1.5b", "kind": "fusion", "judge": "qwen2.5-coder-1.5b",
///  "panel": [{"model": "qwen2.5-coder-1.5b", "reference": true}, "qwen2.5-coder-0.5b", "smollm2-135m"]}
/// {"name": "self-qwen2.5-coder-1.5b-x3", "kind": "self", "model": "qwen2.5-coder-1.5b", "samples": 3, "temperature": 0.7}
/// ```
/// `model`, `members` and `panel` are three spellings of the seats (`model` is one seat, with
/// `samples` and `temperature` beside it for `self`). Optional everywhere: `max_tokens` (each
/// answer, default 512), `judge_max_tokens` (384), `synthesis_max_tokens` (256), `context_size`
/// (4096), `repeat_penalty` (1.0, member answers), `seed` (42: per-item sampling seeds and the
/// judge's label shuffle derive from it), `synthesizer`, `mode` (`fusion` or `aggregate`), `description`,
/// `draw_of` (this condition is another draw of the named one: the same in everything but `seed`;
/// the report pools the draws, so that one lucky seed cannot decide a verdict), `chosen_on_first`
/// (N: this condition was picked, e.g. as a preset, by its result on the first N dev items of each
/// task; the report checks it on the later items apart, since the winner of a choice is flattered
/// by the items it was chosen on).
///
/// Why greedy members by default: the solo answers then *are* the panel answers, so a fusion
/// condition costs only its judge and synthesizer once the solo conditions ran (the cache key of
/// a member answer does not depend on the condition).
public struct EvalCondition: Sendable, Equatable, Codable {
    public var name: String
    public var kind: EvalConditionKind
    public var seats: [EvalSeat]
    public var judge: String?
    public var synthesizer: String?
    public var mode: FusionMode
    public var maxTokens: Int
    public var judgeMaxTokens: Int
    public var synthesisMaxTokens: Int
    public var contextSize: Int
    public var repeatPenalty: Double
    public var seed: UInt32
    public var description: String?
    /// The condition this one redraws with another seed (nil: a condition of its own).
    public var drawOf: String?
    /// Picked by its result on the first N dev items of each task (nil: never picked on results).
    public var chosenOnFirst: Int?

    public static let defaultMaxTokens = 512
    public static let defaultJudgeMaxTokens = 384
    public static let defaultSynthesisMaxTokens = 256
    public static let defaultContextSize = 4096
    public static let defaultSeed: UInt32 = 42

    public init(name: String, kind: EvalConditionKind, seats: [EvalSeat], judge: String? = nil, synthesizer: String? = nil,
                mode: FusionMode = .fusion, maxTokens: Int = defaultMaxTokens, judgeMaxTokens: Int = defaultJudgeMaxTokens,
                synthesisMaxTokens: Int = defaultSynthesisMaxTokens, contextSize: Int = defaultContextSize,
                repeatPenalty: Double = 1.0, seed: UInt32 = defaultSeed, description: String? = nil, drawOf: String? = nil,
                chosenOnFirst: Int? = nil) {
        self.name = name
        self.kind = kind
        self.seats = seats
        self.judge = judge
        self.synthesizer = synthesizer
        self.mode = mode
        self.maxTokens = maxTokens
        self.judgeMaxTokens = judgeMaxTokens
        self.synthesisMaxTokens = synthesisMaxTokens
        self.contextSize = contextSize
        self.repeatPenalty = repeatPenalty
        self.seed = seed
        self.description = description
        self.drawOf = drawOf
        self.chosenOnFirst = chosenOnFirst
    }

    /// The member models in seat order (a model with several samples once).
    public var memberModels: [String] {
        var seen = Set<String>()
        return seats.map(\.model).filter { seen.insert($0).inserted }
    }

    /// Every model the condition loads.
    public var allModels: [String] {
        var seen = Set<String>()
        return (seats.map(\.model) + [judge, synthesizer].compactMap { $0 }).filter { seen.insert($0).inserted }
    }

    enum CodingKeys: String, CodingKey {
        case name, kind, model, members, panel, samples, temperature, judge, synthesizer, mode, seed, description
        case maxTokens = "max_tokens", judgeMaxTokens = "judge_max_tokens", synthesisMaxTokens = "synthesis_max_tokens"
        case contextSize = "context_size", repeatPenalty = "repeat_penalty", seats, drawOf = "draw_of"
        case chosenOnFirst = "chosen_on_first"
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let name = try c.decode(String.self, forKey: .name)
        let kind = try c.decode(EvalConditionKind.self, forKey: .kind)
        var seats: [EvalSeat] = []
        if let model = try c.decodeIfPresent(String.self, forKey: .model) {
            let samples = try c.decodeIfPresent(Int.self, forKey: .samples) ?? (kind == .self ? 3 : 1)
            let temperature = try c.decodeIfPresent(Double.self, forKey: .temperature) ?? (kind == .self ? 0.7 : 0)
            seats = [EvalSeat(model: model, samples: samples, temperature: temperature)]
        }
        for key in [CodingKeys.members, .panel, .seats] {
            if let list = try c.decodeIfPresent([EvalSeat].self, forKey: key) { seats += list }
        }
        var judge = try c.decodeIfPresent(String.self, forKey: .judge)
        if kind == .self, judge == nil { judge = seats.first?.model }
        self.init(name: name, kind: kind, seats: seats, judge: judge,
                  synthesizer: try c.decodeIfPresent(String.self, forKey: .synthesizer),
                  mode: try c.decodeIfPresent(FusionMode.self, forKey: .mode) ?? .fusion,
                  maxTokens: try c.decodeIfPresent(Int.self, forKey: .maxTokens) ?? Self.defaultMaxTokens,
                  judgeMaxTokens: try c.decodeIfPresent(Int.self, forKey: .judgeMaxTokens) ?? Self.defaultJudgeMaxTokens,
                  synthesisMaxTokens: try c.decodeIfPresent(Int.self, forKey: .synthesisMaxTokens) ?? Self.defaultSynthesisMaxTokens,
                  contextSize: try c.decodeIfPresent(Int.self, forKey: .contextSize) ?? Self.defaultContextSize,
                  repeatPenalty: try c.decodeIfPresent(Double.self, forKey: .repeatPenalty) ?? 1.0,
                  seed: try c.decodeIfPresent(UInt32.self, forKey: .seed) ?? Self.defaultSeed,
                  description: try c.decodeIfPresent(String.self, forKey: .description),
                  drawOf: try c.decodeIfPresent(String.self, forKey: .drawOf),
                  chosenOnFirst: try c.decodeIfPresent(Int.self, forKey: .chosenOnFirst))
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(name, forKey: .name)
        try c.encode(kind, forKey: .kind)
        try c.encode(seats, forKey: .seats)
        try c.encodeIfPresent(judge, forKey: .judge)
        try c.encodeIfPresent(synthesizer, forKey: .synthesizer)
        try c.encode(mode, forKey: .mode)
        try c.encode(maxTokens, forKey: .maxTokens)
        try c.encode(judgeMaxTokens, forKey: .judgeMaxTokens)
        try c.encode(synthesisMaxTokens, forKey: .synthesisMaxTokens)
        try c.encode(contextSize, forKey: .contextSize)
        try c.encode(repeatPenalty, forKey: .repeatPenalty)
        try c.encode(seed, forKey: .seed)
        try c.encodeIfPresent(description, forKey: .description)
        try c.encodeIfPresent(drawOf, forKey: .drawOf)
        try c.encodeIfPresent(chosenOnFirst, forKey: .chosenOnFirst)
    }

    /// What is wrong with the condition, if anything (checked before any model loads).
    public func validate() throws(EvalConfigError) {
        func fail(_ why: String) -> EvalConfigError { .invalidCondition(name: name, reason: why) }
        guard name.range(of: #"^[A-Za-z0-9][A-Za-z0-9._-]*$"#, options: .regularExpression) != nil else {
            throw fail("the name must be letters, digits, '.', '_' or '-' (it names the results file)")
        }
        guard !seats.isEmpty else { throw fail("no model: give \"model\", \"members\" or \"panel\"") }
        for seat in seats {
            if seat.samples < 1 || seat.samples > 16 { throw fail("samples of \(seat.model) must be 1…16") }
            if seat.samples > 1 && seat.temperature <= 0 {
                throw fail("\(seat.samples) samples of \(seat.model) at temperature 0 would all be the same answer")
            }
            if !(seat.temperature >= 0) { throw fail("the temperature of \(seat.model) must be 0 or more") }
        }
        switch kind {
        case .solo, .judgeSolo:
            if seats.count != 1 || seats[0].samples != 1 { throw fail("\(kind.rawValue) is one model, one answer") }
        case .vote, .ceiling:
            if seats.reduce(0, { $0 + $1.samples }) < 2 { throw fail("\(kind.rawValue) needs at least two answers") }
        case .fusion, .self:
            if judge == nil { throw fail("a fusion needs a \"judge\"") }
            if kind == .self && (seats.count != 1 || seats[0].samples < 2) {
                throw fail("self-fusion is one model with samples ≥ 2")
            }
        }
        for (label, value) in [("max_tokens", maxTokens), ("judge_max_tokens", judgeMaxTokens),
                               ("synthesis_max_tokens", synthesisMaxTokens)] where value < 1 {
            throw fail("\(label) must be at least 1")
        }
        if contextSize < 256 { throw fail("context_size must be at least 256") }
        if !(repeatPenalty > 0) { throw fail("repeat_penalty must be above 0") }
        if drawOf == name { throw fail("draw_of names the condition itself") }
        if let chosenOnFirst, chosenOnFirst < 1 { throw fail("chosen_on_first must be at least 1 (items per task)") }
        if chosenOnFirst != nil && (!kind.combines || kind == .ceiling) {
            throw fail("chosen_on_first is for a vote or fusion picked over its best member; a \(kind.rawValue) condition is "
                       + (kind == .ceiling ? "a bound" : "a baseline"))
        }
    }

    /// What is wrong with `self` as another draw of `base`: a draw changes the seed and nothing
    /// else, or pooling it with `base` would average two different methods.
    public func validateDraw(of base: EvalCondition) throws(EvalConfigError) {
        func fail(_ why: String) -> EvalConfigError { .invalidCondition(name: name, reason: why) }
        if base.drawOf != nil {
            throw fail("draw_of \(base.name), which is itself a draw of \(base.drawOf!); name the first draw")
        }
        if !kind.combines {
            throw fail("only votes, ceilings and fusions can be draws; a \(kind.rawValue) condition is a best-member baseline")
        }
        if !kind.fuses && seats.allSatisfy({ $0.temperature == 0 }) {
            throw fail("nothing in \(base.name) is sampled, so another seed gives the same answers")
        }
        if seed == base.seed { throw fail("a draw of \(base.name) needs another seed (both are \(seed))") }
        if let fixed = seats.first(where: { $0.temperature > 0 && $0.seed != nil }) {
            throw fail("\(fixed.model) has a fixed seat seed, so this draw would reuse \(base.name)'s samples")
        }
        if chosenOnFirst != nil { throw fail("chosen_on_first belongs to the first draw, \(base.name): a pick is of one configuration") }
        var same = self
        same.chosenOnFirst = base.chosenOnFirst
        same.name = base.name
        same.seed = base.seed
        same.description = base.description
        same.drawOf = nil
        if same != base {
            throw fail("a draw of \(base.name) may differ from it only in seed (and name, description)")
        }
    }

    /// Reads conditions from a file holding one condition, an array of them, or `{"conditions": […]}`.
    public static func load(path: String) throws(EvalConfigError) -> [EvalCondition] {
        guard let data = FileManager.default.contents(atPath: path) else { throw .unreadable(path: path) }
        struct Wrapped: Decodable { var conditions: [EvalCondition] }
        let decoder = JSONDecoder()
        let conditions: [EvalCondition]
        do {
            let top = try JSONSerialization.jsonObject(with: data)
            if let object = top as? [String: Any], object["conditions"] != nil {
                conditions = try decoder.decode(Wrapped.self, from: data).conditions
            } else if top is [Any] {
                conditions = try decoder.decode([EvalCondition].self, from: data)
            } else {
                conditions = [try decoder.decode(EvalCondition.self, from: data)]
            }
        } catch {
            throw .malformed(path: path, reason: Self.describe(error))
        }
        for condition in conditions { try condition.validate() }
        return conditions
    }

    /// Reads several files; condition names must be unique across them.
    public static func load(paths: [String]) throws(EvalConfigError) -> [EvalCondition] {
        var all: [EvalCondition] = []
        var seen: [String: String] = [:]
        for path in paths {
            for condition in try load(path: path) {
                if let other = seen[condition.name] { throw .duplicateName(condition.name, first: other, second: path) }
                seen[condition.name] = path
                all.append(condition)
            }
        }
        for draw in all {
            guard let baseName = draw.drawOf else { continue }
            guard let base = all.first(where: { $0.name == baseName }) else {
                throw .invalidCondition(name: draw.name, reason: "draw_of \(baseName): no such condition in the files given")
            }
            try draw.validateDraw(of: base)
        }
        return all
    }

    private static func describe(_ error: Error) -> String {
        switch error {
        case DecodingError.keyNotFound(let key, let context):
            return "missing \"\(key.stringValue)\"" + where_(context)
        case DecodingError.typeMismatch(_, let context), DecodingError.valueNotFound(_, let context):
            return context.debugDescription + where_(context)
        case DecodingError.dataCorrupted(let context):
            return context.debugDescription + where_(context)
        default:
            return String(describing: error)
        }
    }

    private static func where_(_ context: DecodingError.Context) -> String {
        let path = context.codingPath.map { $0.intValue.map { "[\($0)]" } ?? "." + $0.stringValue }.joined()
        return path.isEmpty ? "" : " at \(path)"
    }
}

/// The held-out rule, in one place: the held-out split is for one final check, never for tuning.
public enum EvalSuitePolicy {
    /// Throws unless `split` is dev, or held-out with an explicit final check.
    public static func check(_ split: EvalSplit, finalCheck: Bool) throws(EvalConfigError) {
        if split == .heldout && !finalCheck { throw .heldoutWithoutFinalCheck }
    }
}

/// Why the condition files cannot be used.
public enum EvalConfigError: Error, Equatable, CustomStringConvertible {
    case unreadable(path: String)
    case malformed(path: String, reason: String)
    case invalidCondition(name: String, reason: String)
    case duplicateName(String, first: String, second: String)
    case heldoutWithoutFinalCheck

    public var description: String {
        switch self {
        case .unreadable(let path): return "cannot read condition file \(path)"
        case .malformed(let path, let reason): return "\(path): not a condition file (\(reason))"
        case .invalidCondition(let name, let reason): return "condition \(name): \(reason)"
        case .duplicateName(let name, let first, let second):
            return "condition \(name) is defined twice (\(first) and \(second))"
        case .heldoutWithoutFinalCheck:
            return "the held-out split is reserved for one final check and is never used for tuning; "
                + "add --final-check if this is that check"
        }
    }
}
