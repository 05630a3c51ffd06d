/// Statistics for evaluation reports: accuracy intervals, paired comparisons, votes, histograms.
///
/// Why intervals everywhere: with 80–1,000 items per task, a few points of accuracy are often
/// noise, and the design notes show fusion can *lose* 38 points; a report without intervals
/// invites tuning on noise. This file holds accuracy and its Wilson interval; paired comparisons,
/// votes and the letter histogram live in their own files as extensions.
public enum EvalStatistics {
    /// The z for a two-sided 95 % interval.
    public static let z95 = 1.959963984540054
}

/// A proportion (accuracy, parse-failure rate) with its Wilson score interval.
public struct Proportion: Hashable, Sendable, CustomStringConvertible {
    public let successes: Int
    public let total: Int
    /// successes / total (0 when total is 0).
    public let value: Double
    public let low: Double
    public let high: Double

    public var description: String {
        func percent(_ x: Double) -> String {
            let tenths = Int((x * 1000).rounded())
            return "\(tenths / 10).\(tenths % 10)"
        }
        return "\(percent(value)) % [\(percent(low)), \(percent(high))] (\(successes)/\(total))"
    }
}

extension EvalStatistics {
    /// The Wilson score interval for `successes` out of `total`.
    ///
    /// Why Wilson and not the normal ("Wald") interval: Wald collapses to zero width at 0 % and
    /// 100 % and undercovers for small n and extreme p — exactly where weak small models sit
    /// (3–15 % accuracy). Wilson stays inside [0, 1] and keeps close to nominal coverage.
    /// With no trials the interval is the whole [0, 1].
    public static func wilson(successes: Int, total: Int, z: Double = z95) -> Proportion {
        precondition(successes >= 0 && successes <= total, "need 0 <= successes <= total")
        guard total > 0 else { return Proportion(successes: 0, total: 0, value: 0, low: 0, high: 1) }
        let n = Double(total)
        let p = Double(successes) / n
        let z2 = z * z
        let denominator = 1 + z2 / n
        let center = (p + z2 / (2 * n)) / denominator
        let half = z * (p * (1 - p) / n + z2 / (4 * n * n)).squareRoot() / denominator
        // Clamp: at p = 0 or 1 rounding can leave the bound a hair outside [0, 1].
        let low = successes == 0 ? 0 : max(0, center - half)
        let high = successes == total ? 1 : min(1, center + half)
        return Proportion(successes: successes, total: total, value: p, low: low, high: high)
    }

    /// Accuracy of a list of per-item results, with its Wilson interval.
    public static func accuracy(_ correct: [Bool]) -> Proportion {
        wilson(successes: correct.lazy.filter { $0 }.count, total: correct.count)
    }

    /// Accuracy of scored outcomes.
    public static func accuracy(_ outcomes: [EvalOutcome]) -> Proportion {
        accuracy(outcomes.map(\.correct))
    }

    /// The share of responses with no readable answer; reported per condition because a fusion
    /// step that breaks the answer format looks like a knowledge loss otherwise.
    public static func parseFailureRate(_ outcomes: [EvalOutcome]) -> Proportion {
        wilson(successes: outcomes.lazy.filter(\.parseFailed).count, total: outcomes.count)
    }
}
