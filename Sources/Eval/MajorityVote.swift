extension EvalStatistics {
    /// The most frequent answer among `answers`, ignoring parse failures.
    ///
    /// Why this baseline matters: a plain vote over samples of the best model was a strong result
    /// in the design measurements (58 % against 53 % for one sample); a judge must beat it to earn
    /// its cost. Ties go to the answer that appears first in member order — deterministic, and it
    /// favours the member listed first (put the strongest first). All failures: a parse failure.
    public static func majorityVote(_ answers: [ExtractedAnswer]) -> ExtractedAnswer {
        weightedVote(answers.map { ($0, 1.0) })
    }

    /// Like `majorityVote`, with a weight per member (for instance its measured dev accuracy), so a
    /// weak member's vote counts for less. Non-positive weights are ignored; ties in total weight go
    /// to the answer that appears first.
    public static func weightedVote(_ votes: [(answer: ExtractedAnswer, weight: Double)]) -> ExtractedAnswer {
        var totals: [String: Double] = [:]
        var order: [String] = []
        for vote in votes {
            guard let value = vote.answer.value, vote.weight > 0 else { continue }
            if totals[value] == nil { order.append(value) }
            totals[value, default: 0] += vote.weight
        }
        var winner: String?
        for value in order where winner == nil || totals[value]! > totals[winner!]! {
            winner = value
        }
        return winner.map(ExtractedAnswer.answer) ?? .parseFailure
    }
}
