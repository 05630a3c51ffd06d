import Eval
import Foundation

/// Fusion methods against each other, not only against their best member.
///
/// Why: choosing the default preset is a choice between fusion methods, and two methods that are
/// each "within noise of the best member" may still differ from each other (or not). Draws of one
/// sampled condition are pooled as in "Repeated draws" (an item scores its mean over the draws), and
/// the draws are also compared with each other: how far two seeds of one method land apart.
extension EvalReport {
    /// One paired comparison of two fusion methods, oriented so that `ahead` scores at least as
    /// much as `behind` (a tie keeps condition order).
    public struct HeadToHead: Sendable {
        /// Report labels: a condition's name, or "name (n draws pooled)".
        public var ahead: String
        public var behind: String
        /// ahead − behind on the items both answered, paired bootstrap over items.
        public var delta: PairedDelta
        /// Items on which `ahead` scores more than `behind`, and fewer.
        public var itemsAhead: Int
        public var itemsBehind: Int
    }

    /// A later draw of a drawn fusion condition against its first draw present: not a contest
    /// between seeds but a measure of how much the seed moves the result.
    public struct DrawPair: Sendable {
        public var first: String
        public var other: String
        /// other − first on the items both answered, paired bootstrap over items.
        public var delta: PairedDelta
        /// Items right only in `other`, and only in `first`.
        public var gains: Int
        public var losses: Int
    }

    /// Each fusion method's per-item score (1 right, 0 wrong; pooled draws: the mean over the draws
    /// on the items they all answered), in condition order, under its report label.
    func fusionMethodScores(task: String?) -> [(label: String, scores: [String: Double])] {
        let groups = drawGroups()
        var methods: [(label: String, scores: [String: Double])] = []
        var pooled: Set<String> = []
        for condition in conditions where condition.kind.fuses {
            guard let group = groups.first(where: { $0.draws.contains(condition.name) }) else {
                methods.append((condition.name, Self.correctness(condition.records, task: task).mapValues { $0 ? 1 : 0 }))
                continue
            }
            guard pooled.insert(group.base).inserted else { continue }
            let draws = group.draws.compactMap(self.condition(named:)).map { Self.correctness($0.records, task: task) }
            let scores = Self.pooledScores(draws)
            // Named as the verdicts name it, partial draws included.
            methods.append((Self.pooledLabel(group.draws[0], draws: draws.count, shared: scores.count,
                                             largest: draws.map(\.count).max() ?? 0), scores))
        }
        return methods
    }

    /// Every pair of fusion methods on the items both answered (pairs sharing no item are left out).
    public func headToHead(task: String? = nil) -> [HeadToHead] {
        let methods = fusionMethodScores(task: task)
        var results: [HeadToHead] = []
        for i in methods.indices {
            for j in methods.indices where j > i {
                let (a, b) = (methods[i], methods[j])
                // Sorted ids: the bootstrap must not depend on dictionary order.
                let ids = a.scores.keys.filter { b.scores[$0] != nil }.sorted()
                guard !ids.isEmpty else { continue }
                let aMinusB = ids.map { a.scores[$0]! - b.scores[$0]! }
                // Pooled scores are thirds and the like: a tie must not flip on rounding.
                let aFirst = aMinusB.reduce(0, +) > -1e-9
                let differences = aFirst ? aMinusB : aMinusB.map { -$0 }
                results.append(HeadToHead(ahead: aFirst ? a.label : b.label, behind: aFirst ? b.label : a.label,
                                          delta: EvalStatistics.pairedBootstrap(differences: differences,
                                                                                resamples: resamples, seed: seed),
                                          itemsAhead: differences.filter { $0 > 0 }.count,
                                          itemsBehind: differences.filter { $0 < 0 }.count))
            }
        }
        return results
    }

    /// Every later draw of a drawn fusion condition against its first draw present.
    public func drawPairs(task: String? = nil) -> [DrawPair] {
        var results: [DrawPair] = []
        for group in drawGroups() {
            let draws = group.draws.compactMap(condition(named:))
            guard let first = draws.first, first.kind.fuses else { continue }
            let firstRight = Self.correctness(first.records, task: task)
            for draw in draws.dropFirst() {
                let right = Self.correctness(draw.records, task: task)
                let delta = EvalStatistics.pairedBootstrap(condition: right, baseline: firstRight, resamples: resamples, seed: seed)
                guard delta.items > 0 else { continue }
                let counts = EvalStatistics.rescuesAndRegressions(condition: right, baseline: firstRight)
                results.append(DrawPair(first: first.name, other: draw.name, delta: delta,
                                        gains: counts.rescues.count, losses: counts.regressions.count))
            }
        }
        return results
    }

    /// The "Fusion methods head to head" section (empty with fewer than two methods and no draws).
    func headToHeadMarkdown() -> [String] {
        let pairs = headToHead()
        let draws = drawPairs()
        guard !pairs.isEmpty || !draws.isEmpty else { return [] }
        var out = ["### Fusion methods head to head", ""]
        if !pairs.isEmpty {
            out += ["Each pair of fusion methods on the items both answered, the one ahead first: the paired delta "
                    + "with a bootstrap over items (pooled draws score an item by its mean over the draws, as above), and "
                    + "the items on which each side scores more. Each interval is for its own pair: with many pairs, one "
                    + "may exclude zero by chance.", "",
                    "| ahead | behind | n | Δ, pts [95 % CI] | items ahead / behind |",
                    "|---|---|---:|---|---|"]
            for h in pairs {
                out.append("| \(h.ahead) | \(h.behind) | \(h.delta.items) | \(Self.markedInterval(h.delta)) | "
                           + "\(h.itemsAhead) / \(h.itemsBehind) |")
            }
            out.append("")
        }
        if !draws.isEmpty {
            out += ["Seed to seed: a later draw of a fusion condition against its first draw, on the same items. Not a "
                    + "contest between seeds: an interval that excludes zero says the seed alone moves the result by "
                    + "more than the items explain, so one draw of a sampled method cannot be compared with anything.", "",
                    "| first draw | other draw | n | Δ other − first, pts [95 % CI] | right only in the other / only in the first |",
                    "|---|---|---:|---|---|"]
            for d in draws {
                out.append("| \(d.first) | \(d.other) | \(d.delta.items) | \(Self.interval(d.delta)) | \(d.gains) / \(d.losses) |")
            }
            out.append("")
        }
        return out
    }
}
