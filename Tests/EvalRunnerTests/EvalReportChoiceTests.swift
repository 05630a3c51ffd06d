import Eval
import Foundation
import Testing
@testable import EvalRunner

/// A condition picked on its first results is checked on the items after them, apart.
///
/// The split follows each line's `task_index` (the rule `--limit` selects by), not its position:
/// here dev index i sits at position i + i/4 + 1, as if no position but the held-out ones were
/// skipped. arc has 20 dev items, gsm8k 10.
/// "picked" was chosen on the first 5 of each task. solo-a is right on arc 0–1 and 5–14 and on every
/// gsm8k item; picked is right on arc 0–4, 5–12 and 15 and on every gsm8k item. On the 10 items the
/// pick saw it rescues arc 2–4 (+30.0); on the 20 later ones it rescues arc 15 and loses arc 13–14
/// (−5.0).
@Suite("Eval report: a picked condition is checked after its pick")
struct EvalReportChoiceTests {
    static func position(devIndex i: Int) -> Int { i + i / 4 + 1 }

    static func records(_ condition: String, kind: EvalConditionKind, chosenOnFirst: Int? = nil,
                        arcRight: Set<Int>, indexed: Bool = true) -> [EvalResultRecord] {
        func lines(_ task: String, _ count: Int, _ right: (Int) -> Bool) -> [EvalResultRecord] {
            (0..<count).map { i in
                EvalResultRecord(condition: condition, kind: kind, memberModels: ["a"],
                                 id: String(format: "\(task)/%05d", position(devIndex: i)), task: task, split: .dev,
                                 gold: "1", answerType: .number, raw: "", extracted: right(i) ? "1" : "0", correct: right(i),
                                 parseFailed: false, seconds: 1, promptTokens: 10, completionTokens: 5, members: [],
                                 chosenOnFirst: chosenOnFirst, taskIndex: indexed ? i : nil)
            }
        }
        return lines("arc", 20, arcRight.contains) + lines("gsm8k", 10) { _ in true }
    }

    static let solo = records("solo-a", kind: .solo, arcRight: Set([0, 1] + Array(5..<15)))
    static let picked = records("picked", kind: .fusion, chosenOnFirst: 5, arcRight: Set(Array(0..<13) + [15]))

    @Test("the delta is split by dev index per task, and the record's chosen_on_first survives the results file")
    func split() throws {
        let report = try EvalReportDrawTests.report([Self.solo, Self.picked])
        let check = try #require(report.choiceChecks().first)
        #expect(report.choiceChecks().count == 1 && check.condition == "picked" && check.chosenOnFirst == 5)
        #expect(check.bestMember == "solo-a")
        let seen = try #require(check.seen)
        #expect(seen.delta.items == 10 && abs(seen.delta.delta - 0.3) < 1e-12)
        #expect(seen.counts.rescues.count == 3 && seen.counts.regressions.isEmpty && check.unplaced == 0)
        let later = try #require(check.later)
        #expect(later.delta.items == 20 && abs(later.delta.delta + 0.05) < 1e-12)
        #expect(later.counts.rescues == ["arc/00019"] && later.counts.regressions.sorted() == ["arc/00017", "arc/00018"])
        // Over all 30 items the pick looks like +6.7: the later items alone say otherwise.
        let overall = try #require(report.rows(task: nil).first { $0.condition == "picked" }?.delta)
        #expect(abs(overall.delta - 2.0 / 30) < 1e-12)

        let text = report.markdown(chartFile: nil, source: "results")
        #expect(text.contains("### After the choice"))
        #expect(text.contains("| picked | first 5 per task | solo-a | 10, ") && text.contains("+30.0 ["))
        #expect(text.contains(", 3 / 0 | 20, −5.0 ["))
    }

    @Test("a condition not run past its pick says so; unindexed lines are counted; held-out lines come after the pick")
    func edges() throws {
        let allSeen = Self.records("picked", kind: .fusion, chosenOnFirst: 20, arcRight: Set(0..<13))
        let report = try EvalReportDrawTests.report([Self.solo, allSeen])
        let check = try #require(report.choiceChecks().first)
        #expect(check.seen?.delta.items == 30 && check.later == nil)
        #expect(report.markdown(chartFile: nil, source: "results").contains("| not run past the items it was picked on |"))

        // Results written before task_index was recorded are in neither part, and the report says so.
        let old = Self.records("picked", kind: .fusion, chosenOnFirst: 5, arcRight: Set(0..<13), indexed: false)
        let unindexed = try EvalReportDrawTests.report([Self.solo, old])
        let none = try #require(unindexed.choiceChecks().first)
        #expect(none.seen == nil && none.later == nil && none.unplaced == 30)
        let text = unindexed.markdown(chartFile: nil, source: "results")
        #expect(text.contains("| none in the results | not run past the items it was picked on |"))
        #expect(text.contains("picked: 30 result lines have no `task_index`"))

        // A final check's held-out items were never seen by the pick: gsm8k's lines as held-out ones.
        func heldout(_ lines: [EvalResultRecord]) -> [EvalResultRecord] {
            lines.map { line in
                var line = line
                if line.task == "gsm8k" { line.split = .heldout }
                return line
            }
        }
        let final = try EvalReport(records: ["solo-a": heldout(Self.solo), "picked": heldout(Self.picked)], includeHeldout: true)
        let finalCheck = try #require(final.choiceChecks().first)
        #expect(finalCheck.seen?.delta.items == 5 && finalCheck.later?.delta.items == 25)

        let unpicked = Self.records("fused", kind: .fusion, arcRight: Set(0..<13))
        let plain = try EvalReportDrawTests.report([Self.solo, unpicked])
        #expect(plain.choiceChecks().isEmpty)
        #expect(!plain.markdown(chartFile: nil, source: "results").contains("After the choice"))
    }
}
