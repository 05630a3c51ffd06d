import Foundation

/// The score of one response to one item.
public struct EvalOutcome: Hashable, Sendable {
    public let itemID: String
    public let extracted: ExtractedAnswer
    public let correct: Bool

    public init(itemID: String, extracted: ExtractedAnswer, correct: Bool) {
        self.itemID = itemID
        self.extracted = extracted
        self.correct = correct
    }

    /// A parse failure is scored wrong and also counted on its own, per condition.
    public var parseFailed: Bool { extracted == .parseFailure }
}

/// Exact-match scoring per answer type.
///
/// Why exact match and not a model grader: these tasks have one right answer, and a grader model
/// would be one more source of noise in exactly the numbers used to pick presets. Numbers compare
/// numerically (so "3.50" equals "3.5" and "1,234" equals "1234"), letters and words
/// case-insensitively after the extractor's normalization.
public enum Scorer {
    /// Extracts the answer from `response` and scores it against `item`.
    public static func score(response: String, item: EvalItem) -> EvalOutcome {
        let extracted = AnswerExtractor.extract(from: response, for: item)
        return EvalOutcome(itemID: item.id, extracted: extracted, correct: isCorrect(extracted, item: item))
    }

    /// Scores an already extracted answer (for instance a majority vote over several extractions).
    public static func isCorrect(_ extracted: ExtractedAnswer, item: EvalItem) -> Bool {
        guard let value = extracted.value else { return false }
        return matches(value, gold: item.answer, type: item.answerType)
    }

    /// Whether a canonical predicted value equals the gold answer under `type`'s comparison.
    public static func matches(_ predicted: String, gold: String, type: AnswerType) -> Bool {
        switch type {
        case .letter:
            return normalizedLetter(predicted) == normalizedLetter(gold)
        case .number:
            guard let a = number(predicted), let b = number(gold) else { return false }
            return a == b
        case .word:
            let a = AnswerReader.words(predicted).joined(separator: "-")
            return !a.isEmpty && a == AnswerReader.words(gold).joined(separator: "-")
        }
    }

    private static func normalizedLetter(_ text: String) -> String {
        text.trimmingCharacters(in: .whitespacesAndNewlines).uppercased()
    }

    /// A gold or canonical number: commas dropped, then a plain decimal.
    private static func number(_ text: String) -> Decimal? {
        AnswerReader.parseDecimal(text.trimmingCharacters(in: .whitespaces).replacingOccurrences(of: ",", with: ""))
    }
}
