import Foundation

/// The judge's structured comparison of the panel's answers, in OpenRouter Fusion's JSON shape:
///
/// ```json
/// {"consensus": ["…"],
///  "contradictions": [{"topic": "…", "stances": [{"model": "A", "stance": "…"}]}],
///  "partial_coverage": [{"models": ["A", "C"], "point": "…"}],
///  "unique_insights": [{"model": "B", "insight": "…"}],
///  "blind_spots": ["…"]}
/// ```
///
/// The judge sees anonymous labels ("A", "B", …); `mapLabels(_:)` turns them back into model ids
/// once the analysis has been parsed. `Codable` uses exactly these key names; `jsonString()`
/// also keeps their order (the grammar forces the same order on the judge).
public struct FusionAnalysis: Codable, Sendable, Equatable {
    /// One model's position on a contested topic.
    public struct Stance: Codable, Sendable, Equatable {
        /// The answer's label ("A") or, after `mapLabels`, the model id.
        public var model: String
        /// What that answer claims about the topic.
        public var stance: String

        public init(model: String, stance: String) {
            self.model = model
            self.stance = stance
        }
    }

    /// A topic on which the answers disagree, with who says what.
    public struct Contradiction: Codable, Sendable, Equatable {
        public var topic: String
        public var stances: [Stance]

        public init(topic: String, stances: [Stance]) {
            self.topic = topic
            self.stances = stances
        }
    }

    /// A point that some, but not all, answers make.
    public struct PartialCoverage: Codable, Sendable, Equatable {
        /// Labels (or model ids) of the answers that make the point.
        public var models: [String]
        public var point: String

        public init(models: [String], point: String) {
            self.models = models
            self.point = point
        }
    }

    /// A point that only one answer makes and that is worth keeping.
    public struct UniqueInsight: Codable, Sendable, Equatable {
        public var model: String
        public var insight: String

        public init(model: String, insight: String) {
            self.model = model
            self.insight = insight
        }
    }

    /// Points the answers agree on (and that hold up).
    public var consensus: [String]
    /// Topics on which the answers disagree.
    public var contradictions: [Contradiction]
    /// Points only some answers make.
    public var partialCoverage: [PartialCoverage]
    /// Points only one answer makes.
    public var uniqueInsights: [UniqueInsight]
    /// What every answer misses.
    public var blindSpots: [String]

    /// The JSON keys, in schema order (the order `jsonString()` and the grammar use).
    public enum CodingKeys: String, CodingKey, CaseIterable {
        case consensus
        case contradictions
        case partialCoverage = "partial_coverage"
        case uniqueInsights = "unique_insights"
        case blindSpots = "blind_spots"
    }

    public init(consensus: [String] = [], contradictions: [Contradiction] = [],
                partialCoverage: [PartialCoverage] = [], uniqueInsights: [UniqueInsight] = [],
                blindSpots: [String] = []) {
        self.consensus = consensus
        self.contradictions = contradictions
        self.partialCoverage = partialCoverage
        self.uniqueInsights = uniqueInsights
        self.blindSpots = blindSpots
    }

    /// True when the judge found nothing at all (every list empty).
    public var isEmpty: Bool {
        consensus.isEmpty && contradictions.isEmpty && partialCoverage.isEmpty
            && uniqueInsights.isEmpty && blindSpots.isEmpty
    }

    /// Every model reference in the analysis (stances, coverage, insights), in order of appearance,
    /// without duplicates.
    public var referencedModels: [String] {
        var seen = Set<String>()
        let all = contradictions.flatMap { $0.stances.map(\.model) }
            + partialCoverage.flatMap(\.models) + uniqueInsights.map(\.model)
        return all.filter { seen.insert($0).inserted }
    }

    /// Replaces anonymous labels by model ids (`["A": "qwen2.5-coder-1.5b", …]`).
    ///
    /// References without an entry in `mapping` are kept as written, so a label the judge
    /// invented stays visible in the trace instead of silently vanishing.
    public func mapLabels(_ mapping: [String: String]) -> FusionAnalysis {
        let map = { (label: String) in mapping[label] ?? label }
        return FusionAnalysis(
            consensus: consensus,
            contradictions: contradictions.map { c in
                Contradiction(topic: c.topic, stances: c.stances.map { Stance(model: map($0.model), stance: $0.stance) })
            },
            partialCoverage: partialCoverage.map { PartialCoverage(models: $0.models.map(map), point: $0.point) },
            uniqueInsights: uniqueInsights.map { UniqueInsight(model: map($0.model), insight: $0.insight) },
            blindSpots: blindSpots)
    }

    /// Compact JSON with keys in schema order and spelling, as the judge is asked to write it.
    ///
    /// Written by hand: `JSONEncoder` does not promise key order (on Linux it varies per run),
    /// and this form is what prompts, traces and golden files compare against.
    public func jsonString() -> String {
        func str(_ s: String) -> String { Self.jsonQuoted(s) }
        func list(_ items: [String]) -> String { "[" + items.joined(separator: ",") + "]" }
        let contradictions = list(self.contradictions.map { c in
            "{\"topic\":\(str(c.topic)),\"stances\":"
                + list(c.stances.map { "{\"model\":\(str($0.model)),\"stance\":\(str($0.stance))}" }) + "}"
        })
        let partial = list(partialCoverage.map { "{\"models\":\(list($0.models.map(str))),\"point\":\(str($0.point))}" })
        let insights = list(uniqueInsights.map { "{\"model\":\(str($0.model)),\"insight\":\(str($0.insight))}" })
        return "{\"consensus\":\(list(consensus.map(str))),\"contradictions\":\(contradictions),"
            + "\"partial_coverage\":\(partial),\"unique_insights\":\(insights),\"blind_spots\":\(list(blindSpots.map(str)))}"
    }

    /// A JSON string literal: quotes, backslashes and control characters escaped, the rest as is.
    static func jsonQuoted(_ text: String) -> String {
        var out = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            default:
                if scalar.value < 0x20 {
                    let hex = String(scalar.value, radix: 16)
                    out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        return out + "\""
    }
}
