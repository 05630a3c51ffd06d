import Eval
import Foundation
import Testing
@testable import EvalRunner

/// `fusion eval --compare`: did a change (a prompt's wording, a build) help, on the items both runs answered?
@Suite("Eval comparison of two result files")
struct EvalComparisonTests {
    /// One line; `raw` defaults to the answer, so equal answers mean unchanged output.
    static func line(_ condition: String, _ id: String, task: String, correct: Bool, parseFailed: Bool = false,
                     raw: String? = nil, seconds: Double = 1, split: EvalSplit = .dev) -> EvalResultRecord {
        EvalResultRecord(condition: condition, kind: .fusion, memberModels: ["a", "b"], id: id, task: task, split: split,
                         gold: "A", answerType: .letter, raw: raw ?? (correct ? "Answer: A" : "Answer: B"),
                         extracted: parseFailed ? nil : (correct ? "A" : "B"), correct: correct, parseFailed: parseFailed,
                         seconds: seconds, promptTokens: 10, completionTokens: 5, members: [])
    }

    /// A (the previous wording): right on gsm8k 1–6 and arc 1–10 of 20. B (the new wording): loses
    /// arc 10, gains gsm8k 7–10 (two of them were parse failures under A), and answers arc 1–10
    /// in other words. A also holds an item B lacks, and B one A lacks.
    static let before: [EvalResultRecord] =
        (1...10).map { line("duo", "gsm8k/\($0)", task: "gsm8k", correct: $0 <= 6, parseFailed: $0 == 7 || $0 == 8, seconds: 10) }
        + (1...20).map { line("duo", "arc/\($0)", task: "arc", correct: $0 <= 10, seconds: 10) }
        + [line("duo", "arc/99", task: "arc", correct: true)]
    static let after: [EvalResultRecord] =
        (1...10).map { line("duo", "gsm8k/\($0)", task: "gsm8k", correct: true, seconds: 12) }
        + (1...20).map { line("duo", "arc/\($0)", task: "arc", correct: $0 <= 9, raw: $0 <= 10 ? "Reworded. Answer: \($0 <= 9 ? "A" : "B")" : nil,
                              seconds: 12) }
        + [line("duo", "gsm8k/99", task: "gsm8k", correct: false)]

    @Test("B − A paired on the shared items, overall and per task in report order, with what changed")
    func pairedRows() throws {
        let c = try EvalComparison(a: Self.before, b: Self.after, labelA: "old.jsonl", labelB: "new.jsonl")
        #expect(c.labelA == "old.jsonl (duo)" && c.labelB == "new.jsonl (duo)")
        #expect(c.unpairedA == 1 && c.unpairedB == 1, "arc/99 and gsm8k/99 are on one side only and left out")
        #expect(c.rows.map(\.task) == [nil, "arc", "gsm8k"], "all first, then the report's task order (arc before gsm8k)")

        let all = c.rows[0]
        #expect(all.items == 30 && all.a.successes == 16 && all.b.successes == 19)
        #expect(abs(all.delta.delta - 3.0 / 30) < 1e-12 && all.delta.items == 30)
        #expect(all.rightOnlyB == 4 && all.rightOnlyA == 1)
        #expect(all.changedOutputs == 14, "arc 1–10 reworded, gsm8k 7–10 now right")
        #expect(all.parseFailuresA == 2 && all.parseFailuresB == 0 && all.failedA == 0 && all.failedB == 0)
        #expect(all.secondsA == 10 && all.secondsB == 12)

        let arc = c.rows[1], gsm = c.rows[2]
        #expect(arc.items == 20 && abs(arc.delta.delta + 0.05) < 1e-12 && arc.rightOnlyB == 0 && arc.rightOnlyA == 1)
        #expect(gsm.items == 10 && abs(gsm.delta.delta - 0.4) < 1e-12 && gsm.rightOnlyB == 4 && gsm.rightOnlyA == 0)
        #expect(gsm.delta.isSignificant, "4 items gained and none lost on 10: the 2.5 % quantile is above zero")
        #expect(!arc.delta.isSignificant)

        // The same bootstrap as the report's, so the numbers agree with the report's tables.
        let reportDelta = EvalStatistics.pairedBootstrap(condition: Dictionary(uniqueKeysWithValues: Self.after.map { ($0.id, $0.correct) }),
                                                         baseline: Dictionary(uniqueKeysWithValues: Self.before.map { ($0.id, $0.correct) }))
        #expect(all.delta == reportDelta)

        let text = c.markdown()
        #expect(text.contains("A: old.jsonl (duo)\nB: new.jsonl (duo)"))
        #expect(text.contains("On the 30 items both hold (left out: 1 only in A, 1 only in B)."))
        #expect(text.contains("| all | 30 | 53.3 % | 63.3 % | +10.0 ["))
        #expect(text.contains("| gsm8k | 10 | 60.0 % | 100.0 % | **+40.0 ["))
        #expect(text.contains("| 4 / 0 | 4 | 2 / 0 | 10.0 / 12.0 |"))
    }

    @Test("--tasks narrows both sides before they are paired")
    func tasks() throws {
        let c = try EvalComparison(a: Self.before, b: Self.after, labelA: "old.jsonl", labelB: "new.jsonl", tasks: ["gsm8k"])
        #expect(c.rows.map(\.task) == [nil, "gsm8k"] && c.rows[0].items == 10 && c.rows[0].rightOnlyB == 4)
        #expect(c.unpairedA == 0 && c.unpairedB == 1, "arc/99 is not a gsm8k item; gsm8k/99 is in B only")
        #expect(throws: EvalReportError.empty("old.jsonl holds no result lines of truthfulqa")) {
            try EvalComparison(a: Self.before, b: Self.after, labelA: "old.jsonl", labelB: "new.jsonl", tasks: ["truthfulqa"])
        }
    }

    @Test("files that cannot be compared say why")
    func refusals() {
        #expect(throws: EvalReportError.notComparable("a.jsonl and b.jsonl share no item: nothing to compare")) {
            try EvalComparison(a: [Self.line("x", "arc/1", task: "arc", correct: true)],
                               b: [Self.line("x", "arc/2", task: "arc", correct: true)], labelA: "a.jsonl", labelB: "b.jsonl")
        }
        #expect(throws: EvalReportError.notComparable("a.jsonl holds 2 conditions (x, y); compare one condition's file")) {
            try EvalComparison(a: [Self.line("x", "arc/1", task: "arc", correct: true), Self.line("y", "arc/1", task: "arc", correct: true)],
                               b: Self.after, labelA: "a.jsonl", labelB: "b.jsonl")
        }
        #expect(throws: EvalReportError.empty("b.jsonl holds no result lines")) {
            try EvalComparison(a: Self.before, b: [], labelA: "a.jsonl", labelB: "b.jsonl")
        }
    }

    @Test("held-out lines stay out unless the final check asks for them")
    func heldout() throws {
        let a = [Self.line("x", "arc/5", task: "arc", correct: false, split: .heldout)]
        let b = [Self.line("x", "arc/5", task: "arc", correct: true, split: .heldout)]
        #expect(throws: EvalReportError.empty("a.jsonl holds only held-out results; they are not compared without --final-check")) {
            try EvalComparison(a: a, b: b, labelA: "a.jsonl", labelB: "b.jsonl")
        }
        let final = try EvalComparison(a: a, b: b, labelA: "a.jsonl", labelB: "b.jsonl", includeHeldout: true)
        #expect(final.rows[0].items == 1 && final.rows[0].rightOnlyB == 1 && final.heldoutLeftOut == 0)

        // Beside dev lines, held-out ones are left out and counted, as the report counts them.
        let mixed = try EvalComparison(a: Self.before + a, b: Self.after + b, labelA: "a.jsonl", labelB: "b.jsonl")
        #expect(mixed.heldoutLeftOut == 2 && mixed.rows[0].items == 30)
        #expect(mixed.markdown().contains("(left out: 1 only in A, 1 only in B, 2 held-out lines)."))
    }

    @Test("a failed model call is named, not only scored wrong; a repeated id keeps its last line")
    func failedAndRepeated() throws {
        var crashed = Self.line("duo", "gsm8k/1", task: "gsm8k", correct: false)
        crashed.error = "model_failed: out of memory"
        let c = try EvalComparison(a: Self.before, b: Self.after + [crashed], labelA: "old.jsonl", labelB: "new.jsonl")
        #expect(c.rows[0].failedB == 1 && c.rows[0].failedA == 0 && c.rows[0].rightOnlyA == 2,
                "the later line for gsm8k/1 replaces B's right answer")
        #expect(c.markdown().contains("A model call failed on 0 items of A and 1 of B (scored wrong; see their \"error\")."))
    }
}
