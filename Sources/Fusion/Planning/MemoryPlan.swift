/// What ``MemoryPlanner`` decided for one request: which panel seats are loaded together, when the
/// judge and synthesizer load, how many seats decode at once, and the numbers behind it.
///
/// Seat indices refer to the order of the panel given to the planner. Encoded as JSON for traces
/// with snake_case keys; rendered for people by ``text``.
public struct MemoryPlan: Sendable, Hashable, Codable {
    /// How the panel's models are loaded.
    public enum Schedule: Sendable, Hashable, Codable {
        /// Every panel seat resident at once.
        case allAtOnce
        /// Groups of seats (indices), loaded one group at a time; each group fits the budget.
        case waves([[Int]])
        /// One seat at a time.
        case oneAtATime

        /// `all_at_once`, `waves` or `one_at_a_time`.
        public var kind: String {
            switch self {
            case .allAtOnce: return "all_at_once"
            case .waves: return "waves"
            case .oneAtATime: return "one_at_a_time"
            }
        }

        private enum CodingKeys: String, CodingKey { case kind, waves }

        /// Decodes `{"kind": "waves", "waves": [[0, 1], [2]]}` and the two plain kinds.
        public init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            switch try container.decode(String.self, forKey: .kind) {
            case "all_at_once": self = .allAtOnce
            case "one_at_a_time": self = .oneAtATime
            case "waves": self = .waves(try container.decode([[Int]].self, forKey: .waves))
            case let other:
                throw DecodingError.dataCorruptedError(forKey: .kind, in: container,
                                                       debugDescription: "unknown schedule kind '\(other)'")
            }
        }

        /// Encodes as `{"kind": …}` with `waves` only for `.waves`.
        public func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(kind, forKey: .kind)
            if case .waves(let waves) = self { try container.encode(waves, forKey: .waves) }
        }
    }

    /// When the judge is loaded.
    public enum JudgeResidency: String, Sendable, Hashable, Codable {
        /// No judge was planned.
        case none
        /// Loaded with the panel and kept (pinned) while the panel runs: no reload between requests.
        case resident
        /// Loaded only after the panel's models are released: memory is too tight to keep it.
        case afterPanel = "after_panel"
    }

    /// When the synthesizer is loaded.
    public enum SynthesizerResidency: String, Sendable, Hashable, Codable {
        /// No separate synthesizer: the judge writes the final answer, or none was planned.
        case none
        /// Same model as the judge: only its context is added, next to the judge's.
        case sharesJudgeModel = "shares_judge_model"
        /// A different model, loaded next to the judge after the panel.
        case alongsideJudge = "alongside_judge"
        /// A different model, loaded only after the judge is released.
        case afterJudge = "after_judge"
    }

    /// The panel seats, in input order.
    public let seats: [PlanningSeat]
    /// The judge, if planned.
    public let judge: PlanningSeat?
    /// The synthesizer, if planned separately.
    public let synthesizer: PlanningSeat?
    /// How the panel is loaded.
    public let schedule: Schedule
    /// The explicit waves behind ``schedule`` (one wave for `allAtOnce`).
    public let waves: [[Int]]
    /// Whether the judge stays resident during the panel.
    public let judgeResidency: JudgeResidency
    /// When the synthesizer loads.
    public let synthesizerResidency: SynthesizerResidency
    /// How many seats decode at once.
    public let concurrency: DecodeConcurrency
    /// The execution order: groups of seats that decode together, one group after another.
    public let decodeOrder: [[Int]]
    /// Bytes of every planned model at once (shared weights counted once).
    public let totalBytes: UInt64
    /// Bytes at the fullest moment of the schedule; never more than the budget.
    public let peakBytes: UInt64
    /// The budget the plan fits.
    public let budget: MemoryBudget

    /// Creates a plan from its parts (``MemoryPlanner`` is the way to make a valid one).
    public init(seats: [PlanningSeat], judge: PlanningSeat?, synthesizer: PlanningSeat?, schedule: Schedule,
                waves: [[Int]], judgeResidency: JudgeResidency, synthesizerResidency: SynthesizerResidency,
                concurrency: DecodeConcurrency, decodeOrder: [[Int]], totalBytes: UInt64, peakBytes: UInt64,
                budget: MemoryBudget) {
        self.seats = seats
        self.judge = judge
        self.synthesizer = synthesizer
        self.schedule = schedule
        self.waves = waves
        self.judgeResidency = judgeResidency
        self.synthesizerResidency = synthesizerResidency
        self.concurrency = concurrency
        self.decodeOrder = decodeOrder
        self.totalBytes = totalBytes
        self.peakBytes = peakBytes
        self.budget = budget
    }

    /// The wave (index into ``waves``) that loads seat `index`.
    public func wave(ofSeat index: Int) -> Int? {
        waves.firstIndex { $0.contains(index) }
    }

    /// Bytes resident while wave `index` runs, including a resident judge.
    public func bytes(ofWave index: Int) -> UInt64 {
        var members = waves[index].map { seats[$0] }
        if judgeResidency == .resident, let judge { members.append(judge) }
        return ResidentSet.bytes(of: members)
    }

    /// JSON keys in snake_case.
    enum CodingKeys: String, CodingKey {
        case seats, judge, synthesizer, schedule, waves, concurrency, budget
        case judgeResidency = "judge_residency", synthesizerResidency = "synthesizer_residency"
        case decodeOrder = "decode_order", totalBytes = "total_bytes", peakBytes = "peak_bytes"
    }
}
