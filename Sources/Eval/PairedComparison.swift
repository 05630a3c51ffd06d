/// A condition's accuracy minus a baseline's on the same items, with a bootstrap interval.
public struct PairedDelta: Hashable, Sendable, CustomStringConvertible {
    /// Items both sides were scored on.
    public let items: Int
    /// accuracy(condition) − accuracy(baseline), as a fraction (0.05 = 5 points).
    public let delta: Double
    public let low: Double
    public let high: Double
    public let resamples: Int
    public let seed: UInt64

    /// Whether the interval excludes zero: the condition is measurably better (or worse).
    public var isSignificant: Bool { low > 0 || high < 0 }

    public var description: String {
        func points(_ x: Double) -> String {
            let tenths = Int((x * 1000).rounded())
            let sign = tenths < 0 ? "-" : "+"
            return "\(sign)\(abs(tenths) / 10).\(abs(tenths) % 10)"
        }
        return "\(points(delta)) pts [\(points(low)), \(points(high))] (n=\(items))"
    }
}

/// Items one condition gets right and another wrong, named, and the agreements counted.
public struct PairedCounts: Hashable, Sendable {
    /// Right under the condition, wrong for the baseline (the best member): what fusion adds.
    public let rescues: [String]
    /// Wrong under the condition, right for the baseline: what fusion breaks.
    public let regressions: [String]
    public let bothRight: Int
    public let bothWrong: Int

    /// rescues − regressions; the accuracy delta in items.
    public var net: Int { rescues.count - regressions.count }
}

extension EvalStatistics {
    /// The default bootstrap seed ("LocalFus" in ASCII), recorded in every `PairedDelta`.
    public static let defaultBootstrapSeed: UInt64 = 0x4C6F_6361_6C46_7573

    /// Paired bootstrap of the accuracy delta between `condition` and `baseline`, item i of one
    /// paired with item i of the other.
    ///
    /// Why paired: both sides answer the same items, and most of the variance in accuracy is which
    /// items happen to be drawn; resampling items (not the two sides separately) cancels that and
    /// gives much tighter intervals for the same data. The interval is the percentile interval
    /// (linear interpolation between order statistics) of `resamples` deltas, each over n items
    /// drawn with replacement by `SplitMix64(seed)` — identical for identical inputs and seed.
    public static func pairedBootstrap(condition: [Bool], baseline: [Bool], resamples: Int = 2000,
                                       seed: UInt64 = defaultBootstrapSeed, confidence: Double = 0.95) -> PairedDelta {
        precondition(condition.count == baseline.count, "paired results need the same items")
        // Per item: +1 a rescue, -1 a regression, 0 an agreement.
        let differences = zip(condition, baseline).map { Double(($0 ? 1 : 0) - ($1 ? 1 : 0)) }
        return pairedBootstrap(differences: differences, resamples: resamples, seed: seed, confidence: confidence)
    }

    /// The same bootstrap over per-item differences that need not be whole: pooled draws give an
    /// item `mean over draws of correct − baseline correct` (−1…+1). Whole differences give exactly
    /// the Bool version's result (its sums are exact in `Double`).
    public static func pairedBootstrap(differences: [Double], resamples: Int = 2000, seed: UInt64 = defaultBootstrapSeed,
                                       confidence: Double = 0.95) -> PairedDelta {
        precondition(resamples > 0 && confidence > 0 && confidence < 1, "need resamples > 0 and 0 < confidence < 1")
        let n = differences.count
        guard n > 0 else {
            return PairedDelta(items: 0, delta: 0, low: 0, high: 0, resamples: resamples, seed: seed)
        }
        let delta = differences.reduce(0, +) / Double(n)
        var generator = SplitMix64(seed: seed)
        var deltas: [Double] = []
        deltas.reserveCapacity(resamples)
        for _ in 0..<resamples {
            var sum = 0.0
            for _ in 0..<n { sum += differences[generator.next(below: n)] }
            deltas.append(sum / Double(n))
        }
        deltas.sort()
        let alpha = 1 - confidence
        return PairedDelta(items: n, delta: delta, low: quantile(deltas, alpha / 2),
                           high: quantile(deltas, 1 - alpha / 2), resamples: resamples, seed: seed)
    }

    /// The same, with results keyed by item id: only ids present on both sides count, taken in
    /// sorted id order so that the resampling does not depend on dictionary order.
    public static func pairedBootstrap(condition: [String: Bool], baseline: [String: Bool], resamples: Int = 2000,
                                       seed: UInt64 = defaultBootstrapSeed, confidence: Double = 0.95) -> PairedDelta {
        let ids = condition.keys.filter { baseline[$0] != nil }.sorted()
        return pairedBootstrap(condition: ids.map { condition[$0]! }, baseline: ids.map { baseline[$0]! },
                               resamples: resamples, seed: seed, confidence: confidence)
    }

    /// Rescues and regressions of `condition` against `baseline` over the ids both have, sorted.
    public static func rescuesAndRegressions(condition: [String: Bool], baseline: [String: Bool]) -> PairedCounts {
        var rescues: [String] = [], regressions: [String] = []
        var bothRight = 0, bothWrong = 0
        for id in condition.keys.sorted() {
            guard let base = baseline[id], let cond = condition[id] else { continue }
            switch (cond, base) {
            case (true, false): rescues.append(id)
            case (false, true): regressions.append(id)
            case (true, true): bothRight += 1
            case (false, false): bothWrong += 1
            }
        }
        return PairedCounts(rescues: rescues, regressions: regressions, bothRight: bothRight, bothWrong: bothWrong)
    }

    /// The member with the highest accuracy — the baseline every fusion condition must beat.
    /// Ties go to the earlier member, so the choice is deterministic. Nil for no members.
    public static func bestMember(_ members: [(name: String, correct: [Bool])]) -> String? {
        var best: (name: String, accuracy: Double)?
        for member in members {
            let value = accuracy(member.correct).value
            if best == nil || value > best!.accuracy { best = (member.name, value) }
        }
        return best?.name
    }

    /// Linear interpolation between order statistics of a sorted sample (R's default, type 7).
    static func quantile(_ sorted: [Double], _ p: Double) -> Double {
        guard sorted.count > 1 else { return sorted.first ?? 0 }
        let position = p * Double(sorted.count - 1)
        let lower = Int(position.rounded(.down))
        let upper = min(lower + 1, sorted.count - 1)
        let fraction = position - Double(lower)
        return sorted[lower] + (sorted[upper] - sorted[lower]) * fraction
    }
}
