import Eval
import Foundation
import Testing
@testable import EvalRunner

/// Fusion methods compared with each other: the numbers a user reads to choose a preset.
///
/// The items and draws of `EvalReportDrawTests`: self-a's draws are right on arc 1–14 / gsm8k 1–5
/// and arc 1–7 / gsm8k 1–6, so pooled an item scores 1 (arc 1–7, gsm8k 1–5), 0.5 (arc 8–14,
/// gsm8k 6) or 0: 16 of 30. fusion-b is right on arc 1–12 and gsm8k 1–5: 17 of 30, ahead by one
/// item's worth (+3.3 points): higher on arc 8–12, lower on arc 13–14 and gsm8k 6.
@Suite("Eval report: fusion methods head to head")
struct EvalReportHeadToHeadTests {
    static let fusionB = EvalReportDrawTests.records("fusion-b", kind: .fusion, arc: 12, gsm8k: 5)

    @Test("the pooled draws against another fusion; the draws against each other in their own table")
    func pairs() throws {
        let report = try EvalReportDrawTests.report([EvalReportDrawTests.solo, EvalReportDrawTests.firstDraw,
                                                     EvalReportDrawTests.secondDraw, Self.fusionB])
        let pairs = report.headToHead()
        #expect(pairs.count == 1)
        let methods = try #require(pairs.first)
        #expect(methods.ahead == "fusion-b" && methods.behind == "self-a (2 draws pooled)")
        #expect(methods.delta.items == 30 && abs(methods.delta.delta - 1.0 / 30) < 1e-12)
        #expect(methods.itemsAhead == 5 && methods.itemsBehind == 3)
        #expect(methods.delta.low < 0 && methods.delta.high > 0, "one item's worth on 30 items is within noise")
        // On gsm8k the pooled draws are ahead (5.5 against 5 of 10): the later method comes first.
        let gsmMethods = report.headToHead(task: "gsm8k").first
        #expect(gsmMethods?.ahead == "self-a (2 draws pooled)" && gsmMethods?.behind == "fusion-b")
        #expect(abs((gsmMethods?.delta.delta ?? 0) - 0.05) < 1e-12 && gsmMethods?.itemsAhead == 1 && gsmMethods?.itemsBehind == 0)

        // Seed to seed: the second draw against the first, signed, in its own table and never bold.
        let draws = report.drawPairs()
        #expect(draws.count == 1 && draws[0].first == "self-a" && draws[0].other == "self-a-draw2")
        #expect(abs(draws[0].delta.delta + 6.0 / 30) < 1e-12 && draws[0].gains == 1 && draws[0].losses == 7)
        #expect(draws[0].delta.isSignificant, "7 items against 1 on 30: the seed moves the result beyond item noise")
        // Per task: on gsm8k the second draw is ahead (6 against 5 right).
        let gsm = report.drawPairs(task: "gsm8k").first
        #expect(gsm?.delta.items == 10 && abs((gsm?.delta.delta ?? 0) - 0.1) < 1e-12)

        let text = report.markdown(chartFile: nil, source: "results")
        #expect(text.contains("### Fusion methods head to head"))
        #expect(text.contains("| fusion-b | self-a (2 draws pooled) | 30 | +3.3 ["))
        #expect(text.contains("| self-a | self-a-draw2 | 30 | −20.0 ["))
        #expect(!text.contains("**−20.0"))
    }

    @Test("without the first draw's results the next draw names the group; a partial draw says on how many items it pools")
    func missingBaseAndPartialDraw() throws {
        // A third draw on the arc items only, right where the first draw was (arc 1–14).
        let third = EvalReportDrawTests.records("self-a-draw3", drawOf: "self-a", arc: 14, gsm8k: 0, gsmItems: 0)
        let report = try EvalReportDrawTests.report([EvalReportDrawTests.solo, EvalReportDrawTests.secondDraw, third,
                                                     Self.fusionB])
        let pair = try #require(report.headToHead().first)
        // Pooled on arc 1–20: 1 on arc 1–7, 0.5 on arc 8–14: 10.5 against fusion-b's 12.
        #expect(pair.ahead == "fusion-b" && pair.behind == "self-a-draw2 (2 draws pooled on the 20 of 30 items they share)")
        #expect(pair.delta.items == 20 && abs(pair.delta.delta - 1.5 / 20) < 1e-12)
        let draws = report.drawPairs()
        #expect(draws.count == 1 && draws[0].first == "self-a-draw2" && draws[0].other == "self-a-draw3")
        #expect(draws[0].delta.items == 20 && abs(draws[0].delta.delta - 7.0 / 20) < 1e-12 && draws[0].gains == 7)
    }

    @Test("one fusion method without draws has nothing to be compared with, and the section is left out")
    func single() throws {
        let report = try EvalReportDrawTests.report([EvalReportDrawTests.solo, Self.fusionB])
        #expect(report.headToHead().isEmpty && report.drawPairs().isEmpty)
        #expect(!report.markdown(chartFile: nil, source: "results").contains("head to head"))
    }
}
