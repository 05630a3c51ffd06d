import Foundation
import Testing
@testable import Fusion

@Suite("Judge: grammar text")
struct JudgeGrammarTests {
    @Test("keys in schema order, labels restricted, bounds written as repetitions")
    func shape() {
        let g = JudgeGrammar(labels: ["A", "B", "C"]).text
        let root = g.split(separator: "\n").first { $0.hasPrefix("root ::=") }.map(String.init) ?? ""
        let keys = ["consensus", "contradictions", "partial_coverage", "unique_insights", "blind_spots"]
        let positions = keys.map { root.range(of: "\\\"\($0)\\\":")?.lowerBound }
        #expect(positions.allSatisfy { $0 != nil }, "root: \(root)")
        #expect(positions.compactMap { $0 } == positions.compactMap { $0 }.sorted())
        #expect(g.contains(#"label ::= "\"A\"" | "\"B\"" | "\"C\"""#))
        #expect(g.contains("chr{0,299}"))
        #expect(g.contains(#"points ::= "[" (str ("," str){0,5})? "]""#))
        #expect(g.contains(#"stances ::= "[" stance ("," stance){1,2} "]""#), "at least two sides, at most one per label")
        #expect(g.contains(#"models ::= "[" label ("," label){0,1} "]""#), "partial coverage names some, not all")
        #expect(!g.contains(" ws"), "compact JSON: no optional whitespace")
    }

    @Test("fewer labels remove what cannot exist")
    func fewLabels() {
        let one = JudgeGrammar(labels: ["A"]).text
        #expect(one.contains(#"contras ::= "[]""#) && one.contains(#"partials ::= "[]""#))
        #expect(one.contains("insight ::="))
        let none = JudgeGrammar(labels: []).text
        #expect(none.contains(#"insights ::= "[]""#) && !none.contains("label ::="))
        #expect(JudgeGrammar(labels: ["A", "A", ""]).labels == ["A"])
    }

    @Test("limits are clamped to what llama.cpp accepts")
    func limits() {
        let l = JudgeGrammar.Limits(maxItems: 0, maxStringLength: 100_000)
        #expect(l.maxItems == 1 && l.maxStringLength == JudgeGrammar.Limits.maxStringLengthSupported)
        let g = JudgeGrammar(labels: ["A", "B"], limits: JudgeGrammar.Limits(maxItems: 1, maxStringLength: 1)).text
        #expect(g.contains(#"points ::= "[" (str)? "]""#))
        #expect(!g.contains("chr{"))
        #expect(JudgeGrammar.gbnfEscape("a\"b\\c\n") == #"a\"b\\c\n"#)
    }
}
