import Eval
import Foundation
import Testing
@testable import EvalRunner

/// Repeated draws in the report: one lucky seed must not decide a verdict or the target.
///
/// 20 arc items, gold "A". solo-a is right on 1–10 (50 %). self-a's first draw is right on 1–14
/// (+20 points: alone it "reaches" the +5 target); its second draw (`draw_of` self-a) on 1–7
/// (−15). Pooled: +2.5, the target is not reached, and 7 items (8–14) split the draws.
@Suite("Eval report: repeated draws are pooled")
struct EvalReportDrawTests {
    static func records(_ condition: String, kind: EvalConditionKind, drawOf: String? = nil,
                        rightUpTo: Int) -> [EvalResultRecord] {
        (1...20).map { i in
            let correct = i <= rightUpTo
            return EvalResultRecord(condition: condition, kind: kind, memberModels: ["a"], id: String(format: "arc/%05d", i),
                                    task: "arc", split: .dev, gold: "A", answerType: .letter, raw: "",
                                    extracted: correct ? "A" : "B", correct: correct, parseFailed: false, seconds: 1,
                                    promptTokens: 10, completionTokens: 5, members: [], drawOf: drawOf)
        }
    }

    /// Writes the conditions to a results directory and reports it (so `draw_of` goes through the file format).
    static func report(secondDraw: Bool) throws -> EvalReport {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("evaldraws-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: directory) }
        var conditions = [records("solo-a", kind: .solo, rightUpTo: 10), records("self-a", kind: .self, rightUpTo: 14)]
        if secondDraw { conditions.append(records("self-a-draw2", kind: .self, drawOf: "self-a", rightUpTo: 7)) }
        for lines in conditions { try EvalResultsFile.write(lines, to: directory + "/\(lines[0].condition).jsonl") }
        return try EvalReport(records: try EvalResultsFile.readDirectory(directory))
    }

    @Test("the draws form one group; the pooled delta is the mean of the draws' deltas")
    func pooled() throws {
        let report = try Self.report(secondDraw: true)
        #expect(report.condition(named: "self-a-draw2")?.drawOf == "self-a")
        let group = try #require(report.drawGroups().first)
        #expect(report.drawGroups() == [EvalReport.DrawGroup(base: "self-a", draws: ["self-a", "self-a-draw2"])])
        let p = try #require(report.pooledDraws(group, task: nil))
        #expect(p.bestMember == "solo-a" && p.bestMemberAccuracy == 0.5 && p.pooled.items == 20)
        #expect(p.perDraw.map(\.accuracy) == [0.7, 0.35])
        #expect(abs(p.perDraw[0].delta - 0.20) < 1e-12 && abs(p.perDraw[1].delta + 0.15) < 1e-12)
        #expect(abs(p.pooled.delta - 0.025) < 1e-12 && p.pooled.low < 0 && p.pooled.high > 0.025)
        #expect(abs(p.spread - 0.35) < 1e-12 && p.disagreements == 7)
        #expect(p.perDraw.map(\.rescues) == [4, 0] && p.perDraw.map(\.regressions) == [0, 3])
        // One verdict for the group, from the pooled delta; none for the second draw alone.
        let verdicts = report.verdicts().filter { $0.task == nil }
        #expect(verdicts.map(\.condition) == ["self-a"])
        #expect(verdicts.first?.draws == 2 && verdicts.first?.outcome == .notMeasurably)
        #expect(verdicts.first.map { $0.rescues == 4 && $0.regressions == 3 } == true)
    }

    @Test("the Markdown names the pooled draws in the verdict, the target line and a draws table")
    func markdown() throws {
        let alone = try Self.report(secondDraw: false).markdown(chartFile: nil, source: "results")
        #expect(alone.contains("reached by self-a (+20.0 pts"), "one draw alone reaches the target")
        #expect(!alone.contains("### Repeated draws"))

        let text = try Self.report(secondDraw: true).markdown(chartFile: nil, source: "results")
        #expect(text.contains("not reached; the best fusion condition is self-a (2 draws pooled) at +2.5 pts."))
        #expect(!text.contains("reached by"))
        #expect(text.contains("**self-a** (2 draws pooled) does not beat its best member (solo-a) on all tasks (within noise, +2.5 pts"))
        #expect(text.contains("### Repeated draws"))
        #expect(text.contains("| self-a | 2 | 20 | 70.0 / 35.0 | +20.0 / −15.0 vs solo-a (50.0) | +2.5 ["))
        #expect(text.contains("| 35.0 | 7 |"))
        // Each draw keeps its own row in the accuracy table.
        #expect(text.contains("| self-a-draw2 | self | 20 | 35.0 ["))
    }
}
