/// How often each option letter was answered, to catch a condition that "always says A".
///
/// Why: a model stuck on one letter scores about 1/k on k-option questions and can look like a
/// weak-but-working model in an accuracy table. The options were reshuffled with a fixed seed, so
/// the gold letters are near uniform; a dominant share far above that is a format failure.
public struct LetterHistogram: Hashable, Sendable, CustomStringConvertible {
    /// Answers per letter (canonical upper-case letters only).
    public let counts: [String: Int]
    /// Responses without a readable letter.
    public let failures: Int

    /// Responses with a readable letter.
    public var answered: Int { counts.values.reduce(0, +) }

    /// The most frequent letter and its share of the answered responses (ties: alphabetical).
    public var dominant: (letter: String, share: Double)? {
        guard answered > 0,
              let top = counts.sorted(by: { $0.value != $1.value ? $0.value > $1.value : $0.key < $1.key }).first
        else { return nil }
        return (top.key, Double(top.value) / Double(answered))
    }

    /// "A:30 B:25 C:25 D:20 fail:3"
    public var description: String {
        let letters = counts.keys.sorted().map { "\($0):\(counts[$0]!)" }
        return (letters + ["fail:\(failures)"]).joined(separator: " ")
    }
}

extension EvalStatistics {
    /// The letter histogram of some extracted answers.
    public static func letterHistogram(_ answers: [ExtractedAnswer]) -> LetterHistogram {
        var counts: [String: Int] = [:]
        var failures = 0
        for answer in answers {
            if let value = answer.value { counts[value, default: 0] += 1 } else { failures += 1 }
        }
        return LetterHistogram(counts: counts, failures: failures)
    }
}
