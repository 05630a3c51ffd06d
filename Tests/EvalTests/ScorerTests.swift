import Eval
import Testing

@Suite("Scoring")
struct ScorerTests {
    func item(_ answer: String, _ type: AnswerType, _ choices: [String]? = nil) -> EvalItem {
        EvalItem(id: "t/00001", task: "t", split: .dev, position: 1, question: "Q", answer: answer,
                 answerType: type, choices: choices)
    }

    @Test func numbersCompareNumerically() {
        #expect(Scorer.matches("3.5", gold: "3.50", type: .number))
        #expect(Scorer.matches("1234", gold: "1,234", type: .number))
        #expect(Scorer.matches("-3", gold: "-3", type: .number))
        #expect(!Scorer.matches("3", gold: "-3", type: .number))
        #expect(!Scorer.matches("18", gold: "180", type: .number))
        #expect(!Scorer.matches("abc", gold: "0", type: .number))
    }

    @Test func lettersAndWordsIgnoreCase() {
        #expect(Scorer.matches("c", gold: "C", type: .letter))
        #expect(!Scorer.matches("B", gold: "C", type: .letter))
        #expect(Scorer.matches("yes", gold: "Yes", type: .word))
        #expect(Scorer.matches("mother-in-law", gold: "mother-in-law", type: .word))
        #expect(!Scorer.matches("mother", gold: "mother-in-law", type: .word))
        #expect(!Scorer.matches("", gold: "", type: .word))
    }

    @Test func scoreExtractsThenCompares() {
        let gsm = item("70000", .number)
        let right = Scorer.score(response: "Profit is 200,000 - 130,000.\nAnswer: $70,000", item: gsm)
        #expect(right.correct && !right.parseFailed && right.extracted == .answer("70000"))
        let wrong = Scorer.score(response: "Answer: 130000", item: gsm)
        #expect(!wrong.correct && !wrong.parseFailed)
        let failed = Scorer.score(response: "I would need more information.", item: gsm)
        #expect(!failed.correct && failed.parseFailed)

        let yesNo = item("No", .word, ["Yes", "No"])
        #expect(Scorer.score(response: "Answer: no", item: yesNo).correct)
        #expect(!Scorer.isCorrect(.parseFailure, item: yesNo))
    }
}
