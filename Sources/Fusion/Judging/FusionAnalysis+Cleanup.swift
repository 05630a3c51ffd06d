import Foundation

extension FusionAnalysis {
    /// The analysis without the debris small greedy judges leave: repeated items (a 0.5B model
    /// tends to fill a list to its bound with copies), points that are only a label ("A"), and
    /// stances repeated within one contradiction. Comparison ignores case and outer whitespace;
    /// the first occurrence is kept, so the order is stable.
    public func deduplicated(labels: [String] = []) -> FusionAnalysis {
        let labelSet = Set(labels.map { $0.lowercased() })
        func key(_ parts: String...) -> String {
            parts.map { $0.trimmingCharacters(in: .whitespacesAndNewlines).lowercased() }.joined(separator: "\u{1F}")
        }
        func isContent(_ text: String) -> Bool {
            let k = key(text)
            return !k.isEmpty && !labelSet.contains(k)
        }
        func unique<T>(_ items: [T], _ keyOf: (T) -> String) -> [T] {
            var seen = Set<String>()
            return items.filter { seen.insert(keyOf($0)).inserted }
        }
        let contradictions = unique(self.contradictions.map { c in
            Contradiction(topic: c.topic, stances: unique(c.stances.filter { isContent($0.stance) }) { key($0.model, $0.stance) })
        }.filter { !$0.stances.isEmpty || isContent($0.topic) }) { c in key(c.topic) + "\u{1E}" + c.stances.map { key($0.model, $0.stance) }.joined() }
        return FusionAnalysis(
            consensus: unique(consensus.filter(isContent)) { key($0) },
            contradictions: contradictions,
            partialCoverage: unique(partialCoverage.filter { isContent($0.point) }) { key($0.point) }
                .map { PartialCoverage(models: unique($0.models) { $0 }, point: $0.point) },
            uniqueInsights: unique(uniqueInsights.filter { isContent($0.insight) }) { key($0.model, $0.insight) },
            blindSpots: unique(blindSpots.filter(isContent)) { key($0) })
    }
}
