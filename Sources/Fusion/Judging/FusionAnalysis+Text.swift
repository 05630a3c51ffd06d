extension FusionAnalysis {
    /// The analysis as short plain text, for the synthesizer's prompt and terminal output.
    /// Cheaper in tokens than JSON and easier for small models to read. Empty sections are omitted.
    ///
    /// ```
    /// Agreed: Paris is the capital of France
    /// Disagreements:
    /// - population: A: 2.1 million in the city proper; B: 12 million
    /// ```
    public var summaryText: String {
        var lines: [String] = []
        if !consensus.isEmpty { lines.append("Agreed: " + consensus.joined(separator: "; ")) }
        if !contradictions.isEmpty {
            lines.append("Disagreements:")
            for c in contradictions {
                let stances = c.stances.map { "\($0.model): \($0.stance)" }.joined(separator: "; ")
                lines.append("- " + [c.topic, stances].filter { !$0.isEmpty }.joined(separator: ": "))
            }
        }
        if !partialCoverage.isEmpty {
            lines.append("Made by only some answers:")
            for p in partialCoverage {
                lines.append("- " + p.point + (p.models.isEmpty ? "" : " (" + p.models.joined(separator: ", ") + ")"))
            }
        }
        if !uniqueInsights.isEmpty {
            lines.append("Only in one answer:")
            for u in uniqueInsights { lines.append("- \(u.model): \(u.insight)") }
        }
        if !blindSpots.isEmpty { lines.append("Missed by all: " + blindSpots.joined(separator: "; ")) }
        return lines.isEmpty ? "(the judge found nothing to report)" : lines.joined(separator: "\n")
    }
}
