import Foundation
import Testing
@testable import Fusion

@Suite("Judge: AnalysisParser")
struct JudgeParserTests {
    let full = JudgeFixtures.analysis.jsonString()

    @Test("parses compact JSON exactly")
    func exact() throws {
        let parsed = try AnalysisParser.parseDetailed(full)
        #expect(parsed.analysis == JudgeFixtures.analysis)
        #expect(!parsed.wasTruncated && !parsed.hadSurroundingText)
    }

    @Test("finds JSON embedded in prose and Markdown fences")
    func embedded() throws {
        let text = "Sure! Here is my analysis {of sorts}:\n```json\n\(full)\n```\nHope this helps {really}."
        let parsed = try AnalysisParser.parseDetailed(text)
        #expect(parsed.analysis == JudgeFixtures.analysis)
        #expect(parsed.hadSurroundingText)
        #expect(try AnalysisParser.parseDetailed("```json\n\(full)\n```").hadSurroundingText == false)
    }

    @Test("every cut-off prefix either parses to a prefix of the analysis or fails with a typed error")
    func everyTruncation() throws {
        // Generated text never splits a character (the detokenizer buffers), so cut at scalars.
        let scalars = Array(full.unicodeScalars)
        var parsedCount = 0
        for length in 1..<scalars.count {
            var prefix = ""
            prefix.unicodeScalars.append(contentsOf: scalars[..<length])
            do {
                let parsed = try AnalysisParser.parseDetailed(prefix)
                parsedCount += 1
                #expect(parsed.wasTruncated)
                // Whatever survived is a prefix of the real content, never invented.
                let a = parsed.analysis
                #expect(a.consensus.count <= 2)
                for (i, s) in a.consensus.enumerated() { #expect(JudgeFixtures.analysis.consensus[i].hasPrefix(s)) }
            } catch {
                #expect(length < 14, "prefix of \(length) characters failed: \(error)")
            }
        }
        #expect(parsedCount == scalars.count - 14)
    }

    @Test("a cut inside a string keeps the text written so far")
    func cutInsideString() throws {
        let text = #"{"consensus":["the answer is 408","both multiply corr"#
        let a = try AnalysisParser.parse(text)
        #expect(a.consensus == ["the answer is 408", "both multiply corr"])
        let nested = #"{"consensus":[],"contradictions":[{"topic":"product","stances":[{"model":"A","stance":"408 is ri"#
        let b = try AnalysisParser.parse(nested)
        #expect(b.contradictions == [.init(topic: "product", stances: [.init(model: "A", stance: "408 is ri")])])
        // A key that was cut off is dropped with its object, not turned into garbage.
        let key = #"{"consensus":["x"],"contradictions":[{"topic":"t","stan"#
        #expect(try AnalysisParser.parse(key).contradictions == [.init(topic: "t", stances: [])])
    }

    @Test("a cut inside an escape or a multi-byte character is trimmed cleanly")
    func cutInsideEscape() throws {
        #expect(try AnalysisParser.parse(#"{"consensus":["say \"hi\" then \u00"#).consensus == [#"say "hi" then"#])
        #expect(try AnalysisParser.parse(#"{"consensus":["tab\"#).consensus == ["tab"])
        // Raw bytes cut inside "€" (3 bytes): the partial character is dropped, not turned into U+FFFD.
        let euro = Array(#"{"consensus":["5 €"#.utf8)
        for drop in 1...2 {
            #expect(JSONRepair.scan(Array(euro.dropLast(drop)), from: 0) == .truncated(repaired: #"{"consensus":["5 "]}"#))
        }
        #expect(JSONRepair.scan(euro, from: 0) == .truncated(repaired: #"{"consensus":["5 €"]}"#))
    }

    @Test("lenient forms: missing keys, single strings, camelCase keys, label spellings")
    func lenient() throws {
        let text = #"{"consensus":"one point","partialCoverage":[{"models":"Answer C","point":"p"}],"#
            + #""uniqueInsights":[{"model":"b","insight":"i"},{"model":"A","insight":""}],"#
            + #""contradictions":[{"topic":"t","stances":{"A":"yes","B":"no"}}]}"#
        let a = try AnalysisParser.parse(text, labels: ["A", "B", "C"])
        #expect(a.consensus == ["one point"])
        #expect(a.partialCoverage == [.init(models: ["C"], point: "p")])
        #expect(a.uniqueInsights == [.init(model: "B", insight: "i")])
        #expect(a.contradictions[0].stances.map(\.model) == ["A", "B"])
        #expect(a.blindSpots.isEmpty)
        #expect(AnalysisParser.normalizeLabel("Model D", labels: ["A"]) == "Model D")
    }

    @Test("typed errors for empty output, no object, invalid JSON and the wrong object")
    func errors() {
        #expect(throws: AnalysisParseError.empty) { try AnalysisParser.parse("  \n") }
        #expect { try AnalysisParser.parse("I think A is right.") } throws: { error in
            if case AnalysisParseError.noJSONObject = error { return true }
            return false
        }
        #expect { try AnalysisParser.parse(#"{"consensus": [1, 2,, ]}"#) } throws: { error in
            if case AnalysisParseError.invalidJSON = error { return true }
            return false
        }
        #expect(throws: AnalysisParseError.notAnAnalysis(keys: ["answer"])) {
            try AnalysisParser.parse(#"{"answer": "408"}"#)
        }
        #expect { try AnalysisParser.parse(#"{"consensus": [}"#) } throws: { error in
            if case AnalysisParseError.invalidJSON = error { return true }
            return false
        }
    }
}
