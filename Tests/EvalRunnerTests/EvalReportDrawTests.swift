import Eval
import Foundation
import Testing
@testable import EvalRunner

/// Repeated draws in the report: one lucky seed must not decide a verdict or the target.
///
/// arc/1–20 (gold "A") and gsm8k/1–10 (gold "10"). solo-a is right on arc 1–10 and gsm8k 1–5
/// (15/30). self-a's first draw: arc 1–14, gsm8k 1–5 (19/30, +13.3: alone it "reaches" the +5
/// target). Its second draw (`draw_of` self-a): arc 1–7, gsm8k 1–6 (13/30, −6.7). Pooled: +3.3,
/// the target is not reached, and 8 items (arc 8–14, gsm8k 6) split the draws.
@Suite("Eval report: repeated draws are pooled")
struct EvalReportDrawTests {
    /// One condition's lines; `right[task]` is how many of that task's first items it gets right.
    static func records(_ condition: String, kind: EvalConditionKind = .self, drawOf: String? = nil,
                        arc: Int, gsm8k: Int, arcItems: Int = 20, gsmItems: Int = 10) -> [EvalResultRecord] {
        func lines(_ task: String, _ count: Int, _ right: Int, _ gold: String) -> [EvalResultRecord] {
            (0..<count).map { i in
                let correct = i < right
                return EvalResultRecord(condition: condition, kind: kind, memberModels: ["a"], id: String(format: "\(task)/%05d", i + 1),
                                        task: task, split: .dev, gold: gold, answerType: task == "arc" ? .letter : .number, raw: "",
                                        extracted: correct ? gold : "0", correct: correct, parseFailed: false, seconds: 1,
                                        promptTokens: 10, completionTokens: 5, members: [], drawOf: drawOf)
            }
        }
        return lines("arc", arcItems, arc, "A") + lines("gsm8k", gsmItems, gsm8k, "10")
    }

    static let solo = records("solo-a", kind: .solo, arc: 10, gsm8k: 5)
    static let firstDraw = records("self-a", arc: 14, gsm8k: 5)
    static let secondDraw = records("self-a-draw2", drawOf: "self-a", arc: 7, gsm8k: 6)

    /// Writes the conditions to a results directory and reports it (so `draw_of` goes through the file format).
    static func report(_ conditions: [[EvalResultRecord]]) throws -> EvalReport {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("evaldraws-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: directory) }
        for lines in conditions { try EvalResultsFile.write(lines, to: directory + "/\(lines[0].condition).jsonl") }
        return try EvalReport(records: try EvalResultsFile.readDirectory(directory))
    }

    @Test("the draws form one group; the pooled delta is the mean of the draws' deltas, overall and per task")
    func pooled() throws {
        // A vote that claims to be a draw of self-a is a different method and is not pooled with it.
        let stray = Self.records("vote-a", kind: .vote, drawOf: "self-a", arc: 20, gsm8k: 10)
        let report = try Self.report([Self.solo, Self.firstDraw, Self.secondDraw, stray])
        #expect(report.condition(named: "self-a-draw2")?.drawOf == "self-a")
        #expect(report.drawGroups() == [EvalReport.DrawGroup(base: "self-a", draws: ["self-a", "self-a-draw2"])])
        let group = report.drawGroups()[0]
        let p = try #require(report.pooledDraws(group, task: nil))
        #expect(p.bestMember == "solo-a" && p.bestMemberAccuracy == 0.5 && p.pooled.items == 30 && p.largestDrawItems == 30)
        let expectedAccuracies: [Double] = [19.0 / 30, 13.0 / 30]
        #expect(p.perDraw.map(\.accuracy) == expectedAccuracies)
        #expect(abs(p.perDraw[0].delta - 4.0 / 30) < 1e-12 && abs(p.perDraw[1].delta + 2.0 / 30) < 1e-12)
        #expect(abs(p.pooled.delta - 1.0 / 30) < 1e-12)
        #expect(abs(p.spread - 0.2) < 1e-12 && p.disagreements == 8)
        #expect(p.perDraw.map(\.rescues) == [4, 1] && p.perDraw.map(\.regressions) == [0, 3])
        // Per task: arc (+20, −15) pools to +2.5, gsm8k (±0, +10) to +5.
        #expect(abs((report.pooledDraws(group, task: "arc")?.pooled.delta ?? 0) - 0.025) < 1e-12)
        #expect(abs((report.pooledDraws(group, task: "gsm8k")?.pooled.delta ?? 0) - 0.05) < 1e-12)
        // One verdict for the group per scope, from the pooled delta; none for the second draw alone.
        let verdicts = report.verdicts().filter { $0.kind == .self }
        #expect(verdicts.map(\.condition) == ["self-a", "self-a", "self-a"] && verdicts.allSatisfy { $0.draws == 2 })
        let overall = try #require(verdicts.first { $0.task == nil })
        #expect(overall.outcome == .notMeasurably && overall.rescues == 5 && overall.regressions == 3)
        #expect(overall.delta == p.pooled && overall.label == "self-a (2 draws pooled)")
    }

    @Test("the Markdown names the pooled draws in the verdict, the target line, a draws table and the draw rows")
    func markdown() throws {
        let alone = try Self.report([Self.solo, Self.firstDraw]).markdown(chartFile: nil, source: "results")
        #expect(alone.contains("reached by self-a (+13.3 pts"), "one draw alone reaches the target")
        #expect(!alone.contains("### Repeated draws") && !alone.contains("draw 1 of"))

        let text = try Self.report([Self.solo, Self.firstDraw, Self.secondDraw]).markdown(chartFile: nil, source: "results")
        #expect(text.contains("not reached; the best fusion condition is self-a (2 draws pooled) at +3.3 pts."))
        #expect(!text.contains("reached by"))
        #expect(text.contains("**self-a** (2 draws pooled) does not beat its best member (solo-a) on all tasks (within noise, +3.3 pts"))
        #expect(text.contains("### Repeated draws"))
        #expect(text.contains("| self-a | 2 | 30 | 63.3 / 43.3 | +13.3 / −6.7 vs solo-a (50.0) | +3.3 ["))
        #expect(text.contains("| 20.0 | 8 |"))
        // Each draw keeps its own row in the accuracy tables, marked as one draw.
        #expect(text.contains("| self-a | self, draw 1 of 2 | 30 | 63.3 ["))
        #expect(text.contains("| self-a-draw2 | self, draw 2 of 2 | 30 | 43.3 ["))
    }

    @Test("a partial draw limits the pooled delta to the shared items, and says so")
    func partialDraw() throws {
        let partial = Self.records("self-a-draw2", drawOf: "self-a", arc: 7, gsm8k: 0, arcItems: 10, gsmItems: 0)
        let report = try Self.report([Self.solo, Self.firstDraw, partial])
        let overall = try #require(report.verdicts().first { $0.task == nil && $0.kind == .self })
        #expect(overall.delta.items == 10 && overall.label == "self-a (2 draws pooled on the 10 of 30 items they share)")
        // gsm8k has no shared item: the first draw keeps its own verdict there instead of losing it.
        let gsm = try #require(report.verdicts().first { $0.task == "gsm8k" && $0.kind == .self })
        #expect(gsm.condition == "self-a" && gsm.draws == 1 && gsm.delta.items == 10)
        let text = report.markdown(chartFile: nil, source: "results")
        #expect(text.contains("**self-a** (2 draws pooled on the 10 of 30 items they share) does not beat"))
        #expect(text.contains("| self-a | 2 | 10 of 30 |"))
    }

    @Test("draws whose first draw has no results are named by the first one present")
    func missingBase() throws {
        let third = Self.records("self-a-draw3", drawOf: "self-a", arc: 12, gsm8k: 5)
        let report = try Self.report([Self.solo, Self.secondDraw, third])
        #expect(report.drawGroups() == [EvalReport.DrawGroup(base: "self-a", draws: ["self-a-draw2", "self-a-draw3"])])
        let overall = try #require(report.verdicts().first { $0.task == nil && $0.kind == .self })
        #expect(overall.condition == "self-a-draw2" && overall.draws == 2)
        let text = report.markdown(chartFile: nil, source: "results")
        #expect(text.contains("| self-a-draw2 (draws of self-a, which has no results) | 2 | 30 |"))
        #expect(!text.contains("**self-a** "))
    }
}
