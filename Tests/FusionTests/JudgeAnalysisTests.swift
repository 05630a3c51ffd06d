import Foundation
import Testing
@testable import Fusion
import Llama

/// A fully populated analysis in labels, shared by the judge tests.
enum JudgeFixtures {
    static let analysis = FusionAnalysis(
        consensus: ["17 × 24 = 408", "split 24 into 20 + 4"],
        contradictions: [.init(topic: "the product", stances: [
            .init(model: "A", stance: "408, correct"), .init(model: "B", stance: "418, an addition slip")])],
        partialCoverage: [.init(models: ["A", "C"], point: "checks the result by reversing the factors")],
        uniqueInsights: [.init(model: "C", insight: "uses 24 × 17 = 240 + 168")],
        blindSpots: ["no one estimates the size first"])

    static let answers = [
        CandidateAnswer(model: "qwen2.5-coder-1.5b", text: "17 × 24 = 340 + 68 = 408. Answer: 408"),
        CandidateAnswer(model: "smollm2-135m", text: "17 × 24 = 418. Answer: 418"),
        CandidateAnswer(model: "gemma3-270m", text: "24 × 17 = 240 + 168 = 408. Answer: 408"),
    ]
    static let question = "What is 17 × 24? Show your reasoning."
}

@Suite("Judge: FusionAnalysis JSON")
struct JudgeAnalysisTests {
    @Test("encodes with OpenRouter's exact key names, in schema order")
    func exactKeys() throws {
        let json = JudgeFixtures.analysis.jsonString()
        #expect(json.hasPrefix("{\"consensus\":["))
        let order = ["\"consensus\":", "\"contradictions\":", "\"partial_coverage\":", "\"unique_insights\":", "\"blind_spots\":"]
        let positions = try order.map { key in try #require(json.range(of: key)).lowerBound }
        #expect(positions == positions.sorted())
        for key in ["\"topic\":", "\"stances\":", "\"model\":", "\"stance\":", "\"models\":", "\"point\":", "\"insight\":"] {
            #expect(json.contains(key), "missing \(key) in \(json)")
        }
        let object = try #require(JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any])
        let keys: Set<String> = ["consensus", "contradictions", "partial_coverage", "unique_insights", "blind_spots"]
        #expect(Set(object.keys) == keys)
        // JSONEncoder (no order promise) still uses exactly the same names.
        let encoded = try JSONEncoder().encode(JudgeFixtures.analysis)
        let viaEncoder = try #require(JSONSerialization.jsonObject(with: encoded) as? [String: Any])
        #expect(Set(viaEncoder.keys) == keys)
        let stance = try #require(((viaEncoder["contradictions"] as? [[String: Any]])?.first?["stances"] as? [[String: Any]])?.first)
        #expect(Set(stance.keys) == ["model", "stance"])
    }

    @Test("round-trips through JSONEncoder and JSONDecoder")
    func roundTrip() throws {
        let data = try JSONEncoder().encode(JudgeFixtures.analysis)
        #expect(try JSONDecoder().decode(FusionAnalysis.self, from: data) == JudgeFixtures.analysis)
        let fromString = try JSONDecoder().decode(FusionAnalysis.self, from: Data(JudgeFixtures.analysis.jsonString().utf8))
        #expect(fromString == JudgeFixtures.analysis)
        #expect(FusionAnalysis().isEmpty && !JudgeFixtures.analysis.isEmpty)
        let tricky = FusionAnalysis(consensus: ["quote \" backslash \\ newline \n tab \t bell \u{7} € 😀 </b>"],
                                    uniqueInsights: [.init(model: "A", insight: "{\"nested\": [1]}")])
        #expect(try JSONDecoder().decode(FusionAnalysis.self, from: Data(tricky.jsonString().utf8)) == tricky)
        #expect(FusionAnalysis().jsonString()
                == #"{"consensus":[],"contradictions":[],"partial_coverage":[],"unique_insights":[],"blind_spots":[]}"#)
    }

    @Test("decodes OpenRouter's documented example shape")
    func decodesWireShape() throws {
        let wire = """
            {"consensus": ["x"], "contradictions": [{"topic": "t", "stances": [{"model": "m1", "stance": "s1"}, \
            {"model": "m2", "stance": "s2"}]}], "partial_coverage": [{"models": ["m1"], "point": "p"}], \
            "unique_insights": [{"model": "m2", "insight": "i"}], "blind_spots": ["b"]}
            """
        let a = try JSONDecoder().decode(FusionAnalysis.self, from: Data(wire.utf8))
        #expect(a.contradictions.first?.stances.map(\.model) == ["m1", "m2"])
        #expect(a.partialCoverage.first?.point == "p")
        #expect(a.uniqueInsights.first?.insight == "i")
        #expect(a.blindSpots == ["b"])
    }

    @Test("labels map back to model ids; unknown labels stay visible")
    func labelMapping() {
        let mapped = JudgeFixtures.analysis.mapLabels(["A": "qwen-1.5b", "B": "smollm2-135m"])
        #expect(mapped.contradictions[0].stances.map(\.model) == ["qwen-1.5b", "smollm2-135m"])
        #expect(mapped.partialCoverage[0].models == ["qwen-1.5b", "C"])
        #expect(mapped.uniqueInsights[0].model == "C")
        #expect(mapped.consensus == JudgeFixtures.analysis.consensus)
        #expect(mapped.contradictions[0].stances[0].stance == "408, correct")
        #expect(JudgeFixtures.analysis.referencedModels == ["A", "B", "C"])
    }

    @Test("summary text names every section and label")
    func summaryText() {
        let text = JudgeFixtures.analysis.summaryText
        #expect(text.contains("Agreed: 17 × 24 = 408"))
        #expect(text.contains("- the product: A: 408, correct; B: 418, an addition slip"))
        #expect(text.contains("(A, C)"))
        #expect(text.contains("- C: uses 24 × 17"))
        #expect(text.contains("Missed by all:"))
        #expect(FusionAnalysis().summaryText.contains("nothing"))
    }

    @Test("deduplication removes the copies small greedy judges write, keeping order")
    func deduplication() {
        let noisy = FusionAnalysis(
            consensus: ["A", "Costs $1.80", "costs $1.80 ", "C", "Costs $1.80"],
            contradictions: [
                .init(topic: "price", stances: [.init(model: "A", stance: "180"), .init(model: "A", stance: "180"),
                                                .init(model: "C", stance: "135")]),
                .init(topic: "price", stances: [.init(model: "A", stance: "180"), .init(model: "C", stance: "135")]),
                .init(topic: "", stances: [.init(model: "B", stance: "B")]),
            ],
            partialCoverage: [.init(models: ["A", "A", "B"], point: "p"), .init(models: ["C"], point: "P")],
            uniqueInsights: [.init(model: "A", insight: "i"), .init(model: "A", insight: "i"), .init(model: "B", insight: "i")],
            blindSpots: ["x", "x"])
        let clean = noisy.deduplicated(labels: ["A", "B", "C"])
        #expect(clean.consensus == ["Costs $1.80"])
        #expect(clean.contradictions == [.init(topic: "price", stances: [.init(model: "A", stance: "180"),
                                                                         .init(model: "C", stance: "135")])])
        #expect(clean.partialCoverage == [.init(models: ["A", "B"], point: "p")])
        #expect(clean.uniqueInsights.map(\.model) == ["A", "B"])
        #expect(clean.blindSpots == ["x"])
        #expect(JudgeFixtures.analysis.deduplicated(labels: ["A", "B", "C"]) == JudgeFixtures.analysis)
    }

    @Test("a judge outcome without an analysis becomes the synthesizer's fallback basis")
    func outcomeBasis() throws {
        // GenerationSummary has no public initializer; it is Codable.
        let json = #"{"text":"nope","stopReason":"stop","usage":{"promptTokens":1,"completionTokens":1},"#
            + #""timings":{"prefillTokens":1,"cachedTokens":0,"prefillSeconds":0,"decodeSteps":1,"decodeSeconds":0},"seed":0}"#
        let summary = try JSONDecoder().decode(GenerationSummary.self, from: Data(json.utf8))
        var outcome = JudgeOutcome(analysis: nil, mappedAnalysis: nil, rawText: "nope", parseError: .noJSONObject(excerpt: "nope"),
                                   repaired: false, constrained: true, summary: summary)
        guard case .judgeFailed(let reason) = outcome.synthesisBasis else { Issue.record("expected a fallback"); return }
        #expect(reason.contains("no JSON object"))
        outcome.analysis = JudgeFixtures.analysis
        #expect(outcome.synthesisBasis == .analysis(JudgeFixtures.analysis))
    }
}
