import Eval
import Testing

/// Responses written the way small local models actually answer: verbose, formatted, sometimes
/// off-format. The extractor must read the real answer and refuse to guess when there is none.
@Suite("Answer extraction")
struct AnswerExtractorTests {
    let arc = EvalItem(id: "arc/00001", task: "arc", split: .dev, position: 1, question: """
        Which will most likely result from testing different building designs?

        A. building designs will look nicer
        B. buildings will be made safer
        C. buildings will be built faster
        D. building materials will be cheaper
        """, answer: "B", answerType: .letter, choices: ["A", "B", "C", "D"])
    let gsm = EvalItem(id: "gsm8k/00002", task: "gsm8k", split: .dev, position: 2, question: "How much profit?",
                       answer: "70000", answerType: .number, choices: nil)
    let family = EvalItem(id: "family/00001", task: "family", split: .dev, position: 1, question: "What is Isabella to Edward?",
                          answer: "mother-in-law", answerType: .word,
                          choices: ["mother", "father", "sister", "brother", "grandmother", "grandfather",
                                    "mother-in-law", "father-in-law"])
    let syllogism = EvalItem(id: "syllogism/00002", task: "syllogism", split: .dev, position: 2, question: "Does it follow?",
                             answer: "No", answerType: .word, choices: ["Yes", "No"])

    func letter(_ text: String) -> ExtractedAnswer { AnswerExtractor.extract(from: text, for: arc) }
    func number(_ text: String) -> ExtractedAnswer { AnswerExtractor.extract(from: text, for: gsm) }

    @Test func verboseReasoningThenAnswerLine() {
        let response = """
            Let's think about what testing building designs does. Engineers build models and shake them \
            to see which ones survive an earthquake. Option A is about looks, which testing does not \
            measure. Option C is about speed of construction. The tests tell engineers which designs \
            hold up, so buildings will be made safer.

            Answer: B
            """
        #expect(letter(response) == .answer("B"))
    }

    @Test func lastAnswerLineWins() {
        let response = """
            Answer: A
            Wait, looks are not what an earthquake test measures. Let me reconsider.
            The models are tested for their ability to withstand the earthquake.
            Answer: B
            """
        #expect(letter(response) == .answer("B"))
    }

    @Test func letterFormats() {
        #expect(letter("Reasoning...\n**Answer:** C") == .answer("C"))
        #expect(letter("Reasoning...\n**Answer: C**") == .answer("C"))
        #expect(letter("Reasoning...\n**Answer**: (C)") == .answer("C"))
        #expect(letter("Answer: C) buildings will be built faster") == .answer("C"))
        #expect(letter("Answer: (b) buildings will be made safer") == .answer("B"))
        #expect(letter("answer: d.") == .answer("D"))
        #expect(letter("Final Answer: Option D") == .answer("D"))
        #expect(letter("So the correct option is B.\n\nThe answer is B.") == .answer("B"))
        #expect(letter("### Final Answer\nAnswer:\n\n**C**") == .answer("C"))
        #expect(letter("The answer is $\\boxed{B}$") == .answer("B"))
        #expect(letter("Answer: The correct option is D") == .answer("D"))
    }

    @Test func restatedOptionMapsToItsLetter() {
        #expect(letter("Answer: Buildings will be made safer.") == .answer("B"))
        // Signs and case tell options apart; a letter-like option text is matched too.
        let ion = EvalItem(id: "arc/00263", task: "arc", split: .dev, position: 263, question: """
            If an ion has three more electrons than protons, it has a

            A. charge of -3.
            B. mass of +3.
            C. charge of +3.
            D. mass of -3.
            """, answer: "A", answerType: .letter, choices: ["A", "B", "C", "D"])
        #expect(AnswerExtractor.extract(from: "Answer: charge of -3", for: ion) == .answer("A"))
        #expect(AnswerExtractor.extract(from: "Answer: Charge of +3.", for: ion) == .answer("C"))
        let alleles = EvalItem(id: "arc/01004", task: "arc", split: .dev, position: 1004,
                               question: "Which allele combination?\n\nA. R\nB. RR\nC. rr\nD. Rr", answer: "D",
                               answerType: .letter, choices: ["A", "B", "C", "D"])
        #expect(AnswerExtractor.extract(from: "Answer: Rr", for: alleles) == .answer("D"))
        #expect(AnswerExtractor.extract(from: "Answer: rr", for: alleles) == .answer("C"))
        #expect(AnswerExtractor.extract(from: "Answer: R", for: alleles) == .answer("A"))
        #expect(AnswerExtractor.extract(from: "Answer: B", for: alleles) == .answer("B"))
    }

    @Test func answerLabelOutranksLooserPhrases() {
        #expect(number("Answer: 18\nThe answer is based on 9 eggs sold at $2 each.") == .answer("18"))
        #expect(letter("The answer is B.\nAnswer: A") == .answer("A"))
        #expect(letter("Answer: see the reasoning above; the answer is C.") == .answer("C"))
    }

    @Test func letterOutsideTheChoicesIsAFailure() {
        #expect(letter("All four options look plausible, but the best is the fifth.\nAnswer: E") == .parseFailure)
        // Even when an earlier line named a valid letter: the final answer is what counts.
        #expect(letter("Answer: A\nOn reflection:\nAnswer: F") == .parseFailure)
    }

    @Test func noAnswerIsAFailure() {
        let response = """
            To answer this, consider what engineers learn from earthquake tests. They learn which \
            structures survive shaking, which leads to better building codes over time.
            """
        #expect(letter(response) == .parseFailure)
        #expect(letter("") == .parseFailure)
        #expect(letter("Answer: I am not sure, it could be several of these.") == .parseFailure)
        #expect(letter("Answer: B and C") == .parseFailure)
        #expect(number("She sells 9 eggs at $2 each, so she makes 18 dollars.") == .parseFailure)
    }

    @Test func proseIsNotALetter() {
        // "I" and "A" starting a sentence are words, not options.
        #expect(letter("Answer: I think it is probably safer buildings") == .parseFailure)
        #expect(letter("Answer: A good design is safer, so B") == .parseFailure)
    }

    @Test func bareFinalLineCountsOnlyWhenItIsJustTheAnswer() {
        #expect(letter("B") == .answer("B"))
        #expect(letter("The tests show which designs survive.\n(B)") == .answer("B"))
        #expect(number("16 - 3 - 4 = 9\n9 * 2 = 18\n18") == .answer("18"))
        #expect(number("$18.") == .answer("18"))
        #expect(letter("The best choice here is B because safety is measured") == .parseFailure)
    }

    @Test func thinkingIsIgnored() {
        #expect(letter("<think>Answer: A seems right... no.</think>\nAnswer: B") == .answer("B"))
        #expect(letter("<think>Answer: A</think>\nI cannot decide.") == .parseFailure)
    }

    @Test func numbers() {
        #expect(number("Josh spent 80,000 + 50,000 = 130,000. Profit = 200,000 - 130,000.\nAnswer: $70,000") == .answer("70000"))
        #expect(number("Answer: $1,234.00") == .answer("1234"))
        #expect(number("Answer: -3") == .answer("-3"))
        #expect(number("Answer: −3") == .answer("-3"))
        #expect(number("Answer: 3.50") == .answer("3.5"))
        #expect(number("Answer: 18 dollars per day.") == .answer("18"))
        #expect(number("Answer: 16 - 3 - 4 = 9 eggs, 9 * 2 = 18") == .answer("18"))
        #expect(number("Answer: 3/4") == .answer("0.75"))
        #expect(number("Answer: \\boxed{\\frac{3}{4}}") == .answer("0.75"))
        #expect(number("Answer: 12.5%") == .answer("12.5"))
        #expect(number("Answer: twelve") == .answer("12"))
        #expect(number("Answer: 0.0") == .answer("0"))
        #expect(number("The final answer is \\boxed{42}.") == .answer("42"))
        #expect(number("Answer: 5\nAnswer: 7 (corrected)") == .answer("7"))
        #expect(number("Answer: unknown") == .parseFailure)
        #expect(number("Answer: 1/0") == .parseFailure)
    }

    @Test func words() {
        let sample = "Isabella is the mother of Edward's wife, Victoria.\n**Answer:** Mother-in-law."
        #expect(AnswerExtractor.extract(from: sample, for: family) == .answer("mother-in-law"))
        #expect(AnswerExtractor.extract(from: "Answer: mother in law", for: family) == .answer("mother-in-law"))
        #expect(AnswerExtractor.extract(from: "Answer: Isabella is Edward's grandmother.", for: family) == .answer("grandmother"))
        #expect(AnswerExtractor.extract(from: "Answer: Grandma", for: family) == .answer("grandmother"))
        #expect(AnswerExtractor.extract(from: "Answer: cousin", for: family) == .parseFailure)
        #expect(AnswerExtractor.extract(from: "Answer: No, it does not follow.", for: syllogism) == .answer("no"))
        #expect(AnswerExtractor.extract(from: "Answer: **YES**", for: syllogism) == .answer("yes"))
        #expect(AnswerExtractor.extract(from: "Answer: False", for: syllogism) == .answer("no"))
        #expect(AnswerExtractor.extract(from: "No.", for: syllogism) == .answer("no"))
        #expect(AnswerExtractor.extract(from: "Answer: maybe", for: syllogism) == .parseFailure)
    }

    @Test func wordWithoutVocabularyTakesTheFirstWord() {
        #expect(AnswerExtractor.extract(from: "Answer: Paris.", type: .word, choices: nil) == .answer("paris"))
    }
}
