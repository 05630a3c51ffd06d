/// What kind of final answer an item expects; decides how a response is read and compared.
public enum AnswerType: String, Codable, Sendable, CaseIterable {
    /// An option letter of a multiple-choice question ("C").
    case letter
    /// A number, compared numerically ("3.50" == "3.5", "1,234" == "1234").
    case number
    /// One word from a closed vocabulary ("yes", "mother-in-law"), compared case-insensitively.
    case word
}

/// The two disjoint splits of the evaluation items.
///
/// Why a held-out split at all: presets and judge prompts are tuned on measured accuracy, and a
/// number tuned on is optimistic. Items whose position in their source is a multiple of 5 are held
/// out; they are never used for tuning and never reported until a final, one-off check.
public enum EvalSplit: String, Codable, Sendable, CaseIterable {
    case dev
    case heldout

    /// The split rule, stated once: position 0, 5, 10, … is held out.
    public static func of(position: Int) -> EvalSplit {
        position % 5 == 0 ? .heldout : .dev
    }
}

/// One evaluation item, exactly as a line of `items.jsonl` written by `scripts/eval/build_items.py`.
///
/// `question` is the full prompt body, including the lettered options of a multiple-choice item
/// (already reshuffled with a fixed seed, so the key is not always "A"). `choices` is the closed
/// set of acceptable answers: the option letters of a letter item, the vocabulary of a word item
/// (`["Yes", "No"]`, the family relationships), and nil for numbers. The extractor rejects answers
/// outside it, so "E" on a four-option question counts as a parse failure, not as a wrong letter.
public struct EvalItem: Codable, Sendable, Hashable, Identifiable {
    /// "<task>/<position, 5 digits>", e.g. "arc/00017"; stable across machines.
    public let id: String
    /// One of `EvalItemSet.taskNames`.
    public let task: String
    public let split: EvalSplit
    /// 0-based line in the source JSONL, or the index in reasoning-gym's generated sequence.
    public let position: Int
    public let question: String
    /// The canonical gold answer: "C", "1234", "-3", "Yes", "mother-in-law".
    public let answer: String
    public let answerType: AnswerType
    public let choices: [String]?
    /// 0-based index among the items of its task and split, in file order (set by
    /// `EvalItemSet.load`; not in the file): `--limit N` runs exactly the items below N. Not the
    /// position: reasoning-gym tasks skip positions, so positions have gaps.
    public var taskIndex: Int? = nil

    public init(id: String, task: String, split: EvalSplit, position: Int, question: String, answer: String,
                answerType: AnswerType, choices: [String]?) {
        self.id = id
        self.task = task
        self.split = split
        self.position = position
        self.question = question
        self.answer = answer
        self.answerType = answerType
        self.choices = choices
    }

    enum CodingKeys: String, CodingKey {
        case id, task, split, position, question, answer, choices
        case answerType = "answer_type"
    }

    /// The option texts of a letter item, parsed from its "A. text" lines, keyed by letter.
    ///
    /// Why: a model sometimes restates the option instead of its letter ("Answer: Planetary days
    /// will become shorter."); matching that text back to its letter is a fairer reading than a
    /// parse failure.
    public var optionTexts: [String: String] {
        guard answerType == .letter, let choices else { return [:] }
        let letters = Set(choices)
        var options: [String: String] = [:]
        for line in question.split(separator: "\n", omittingEmptySubsequences: true) {
            guard line.count > 3, let first = line.first,
                  line.dropFirst().hasPrefix(". ") else { continue }
            let letter = String(first)
            guard letters.contains(letter) else { continue }
            options[letter] = String(line.dropFirst(3))
        }
        return options
    }
}
