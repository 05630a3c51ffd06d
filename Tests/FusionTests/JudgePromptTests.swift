import Foundation
import Testing
@testable import Fusion
import Llama

@Suite("Judge: prompts")
struct JudgePromptTests {
    let question = JudgeFixtures.question
    let answers = JudgeFixtures.answers

    private func userText(_ messages: [ChatMessage]) -> String { messages.last { $0.role == .user }?.content ?? "" }

    @Test("the judge prompt holds the question, every answer under its label, and the JSON instruction")
    func judgeContainsEverything() throws {
        let prompt = JudgePrompt(question: question, answers: answers, seed: 7)
        let text = userText(prompt.messages)
        #expect(text.contains(question))
        for entry in prompt.panel.entries {
            #expect(text.contains("Answer \(entry.label):\n" + entry.answer.text))
        }
        #expect(Set(prompt.panel.labelToModel.values) == Set(answers.map(\.model)))
        #expect(prompt.panel.labels == ["A", "B", "C"])
        #expect(text.contains("\"partial_coverage\""))
        #expect(text.contains("not correct just because several answers repeat it"))
        #expect(prompt.messages.first?.role == .system)
        // Model ids never reach the judge.
        for answer in answers { #expect(!text.contains(answer.model)) }
        #expect(prompt.truncatedLabels.isEmpty && !prompt.questionTruncated)
        #expect(prompt.grammar.labels == ["A", "B", "C"])
        #expect(prompt.parameters().temperature == 0 && prompt.parameters().grammar == prompt.grammar.text)
        #expect(prompt.parameters(constrained: false).grammar == nil)
    }

    @Test("the shuffle is deterministic for a seed and varies across seeds")
    func deterministicShuffle() {
        let a = JudgePrompt(question: question, answers: answers, seed: 42)
        let b = JudgePrompt(question: question, answers: answers, seed: 42)
        #expect(a == b)
        #expect(a.messages == b.messages)
        let orders = Set((0..<20).map { seed in
            JudgePrompt(question: question, answers: answers, seed: UInt64(seed)).panel.entries.map(\.answer.model)
        })
        #expect(orders.count >= 4, "20 seeds gave only \(orders.count) orders of 3 answers")
        // Pinned: the generator is ours, so the order must not change across platforms or releases.
        // (Values from an independent SplitMix64 + Fisher–Yates implementation.)
        #expect(AnonymizedPanel(answers: answers, seed: 42).entries.map(\.answer.model)
                == ["gemma3-270m", "qwen2.5-coder-1.5b", "smollm2-135m"])
        #expect(Array(0..<10).seededShuffle(seed: 1) == [4, 2, 8, 1, 9, 3, 0, 6, 7, 5])
    }

    @Test("long answers are cut head + tail to the budget, and the prompt says so")
    func truncation() throws {
        let long = "Step one. " + String(repeating: "This line of reasoning goes on and on. ", count: 400) + "Answer: 408"
        let many = answers + [CandidateAnswer(model: "rambler", text: long)]
        let budget = PromptBudget(contextTokens: 2048, reservedOutputTokens: 512)
        let prompt = JudgePrompt(question: question, answers: many, seed: 3, budget: budget)
        let text = userText(prompt.messages)
        let label = try #require(prompt.panel.entries.first { $0.answer.model == "rambler" }?.label)
        #expect(prompt.truncatedLabels == [label])
        #expect(text.contains("Answer \(label) [shortened to fit:"))
        #expect(text.contains("characters cut …]"))
        #expect(text.contains("Step one."))
        #expect(text.contains("Answer: 408"), "the tail (where the final answer usually is) must survive")
        #expect(Double(text.count) < Double(budget.totalCharacters) * 1.05)
        for answer in answers { #expect(text.contains(answer.text)) }

        let cut = TextTruncation.truncate(long, to: 500)
        #expect(cut.truncated && cut.text.count <= 500)
        #expect(TextTruncation.truncate("short", to: 500) == ("short", false))
    }

    @Test("reference and measured quality are shown; the reference comes first")
    func weights() {
        let weighted = [
            CandidateAnswer(model: "small-1", text: "418", quality: 0.07),
            CandidateAnswer(model: "big", text: "408", quality: 0.53, isReference: true),
            CandidateAnswer(model: "small-2", text: "418", quality: 0.15),
        ]
        for seed in 0..<8 {
            let prompt = JudgePrompt(question: question, answers: weighted, seed: UInt64(seed))
            #expect(prompt.panel.entries[0].answer.model == "big")
            let text = userText(prompt.messages)
            #expect(text.contains("Answer A (reference: strongest model, measured accuracy 53%):\n408"))
            #expect(text.contains("(weaker model, measured accuracy 7%)"))
            #expect(text.contains("Answer A is the reference from the strongest model"))
        }
        let plain = AnonymizedPanel(answers: [CandidateAnswer(model: "x", text: "t", quality: 0.5)], seed: 1)
        #expect(plain.header(for: plain.entries[0]) == "Answer A (measured accuracy 50%)")
    }

    @Test("the synthesis prompt carries answers, analysis and the anti-majority instruction")
    func synthesis() {
        let panel = AnonymizedPanel(answers: answers, seed: 9)
        let prompt = SynthesisPrompt(question: question, panel: panel, basis: .analysis(JudgeFixtures.analysis))
        let text = userText(prompt.messages)
        #expect(text.contains(question))
        for answer in answers { #expect(text.contains(answer.text)) }
        #expect(text.contains("Analysis by a judge"))
        #expect(text.contains("B: 418, an addition slip"))
        #expect(text.contains("not the majority"))
        #expect(prompt.usedAnalysis && prompt.note == nil)
        #expect(prompt == SynthesisPrompt(question: question, panel: panel, basis: .analysis(JudgeFixtures.analysis)))
    }

    @Test("without an analysis the synthesizer works from the raw answers and the note says so")
    func synthesisFallback() {
        let panel = AnonymizedPanel(answers: answers, seed: 9)
        let prompt = SynthesisPrompt(question: question, panel: panel, basis: .judgeFailed(reason: "no JSON"))
        let text = userText(prompt.messages)
        #expect(!prompt.usedAnalysis)
        #expect(text.contains("No analysis of the answers is available"))
        #expect(!text.contains("Analysis by a judge"))
        for answer in answers { #expect(text.contains(answer.text)) }
        #expect(prompt.note?.contains("no JSON") == true)
        #expect(prompt.note?.contains("without an analysis") == true)
    }

    @Test("the synthesis that continues the judge's chat restates the question, head and tail of a long one")
    func synthesisContinuation() {
        let panel = AnonymizedPanel(answers: answers, seed: 9)
        let text = SynthesisPrompt.continuation(question: question, panel: panel)
        let ending = "\n\n" + SynthesisPrompt.formatInstruction
        #expect(text.hasSuffix(question + ending),
                "the question comes last, then only the reminder to follow its format rules")
        #expect(text.contains("Do not write JSON"))
        let long = "Context: " + String(repeating: "filler words here ", count: 400) + "End with a line 'Answer: X'."
        let cut = SynthesisPrompt.continuation(question: long, panel: panel)
        #expect(cut.hasSuffix("End with a line 'Answer: X'." + ending), "the tail (where format rules usually sit) is kept")
        #expect(cut.contains("characters cut"))
        #expect(cut.count < long.count)
    }

    @Test("samples of one model are called attempts of one model, never stronger and weaker models")
    func oneModelPanel() {
        let samples = [
            CandidateAnswer(model: "qwen", text: "408", isReference: true),
            CandidateAnswer(model: "qwen#1", text: "418"),
            CandidateAnswer(model: "qwen#2", text: "408"),
        ]
        let panel = AnonymizedPanel(answers: samples, seed: 3)
        #expect(panel.isOneModel)
        #expect(panel.header(for: panel.entries[0]) == "Answer A (reference)")
        let judge = userText(JudgePrompt(question: question, panel: panel).messages)
        let synthesis = userText(SynthesisPrompt(question: question, panel: panel,
                                                 basis: .analysis(JudgeFixtures.analysis)).messages)
        let continuation = SynthesisPrompt.continuation(question: question, panel: panel)
        let aggregate = userText(AggregatePrompt(question: question, panel: panel).messages)
        for text in [judge, synthesis, continuation, aggregate] {
            #expect(text.contains("attempts by one model"))
            #expect(!text.contains("weaker model") && !text.contains("strongest model") && !text.contains("different models"))
        }
        #expect(judge.contains("Answer A is the reference"))
        #expect(synthesis.contains("Keep answer A (the reference)") && continuation.contains("Keep answer A (the reference)"))
        #expect(synthesis.contains("End with one of the attempts' conclusions"))
        #expect(aggregate.contains("Answer A is the reference: keep it"))

        // Different models, or a model id that merely contains '#', are a mixed panel.
        #expect(!AnonymizedPanel(answers: answers, seed: 3).isOneModel)
        #expect(!AnonymizedPanel(answers: [CandidateAnswer(model: "a#b", text: "1"), CandidateAnswer(model: "a", text: "2")],
                                 seed: 3).isOneModel)
        #expect(!AnonymizedPanel(answers: [CandidateAnswer(model: "qwen", text: "1")], seed: 3).isOneModel,
                "one answer is not a panel of attempts")
    }

    @Test("the engine's names for a seat's samples make a one-model panel, with or without a greedy seat beside them")
    func engineSampleNamesAreOneModel() {
        let request = FusionRequest(question: question, panel: [
            SeatSpec(model: "qwen", reference: true),
            SeatSpec(model: "qwen", samples: 3, temperature: 0.7),
        ], judge: "qwen")
        let responses = [SeatResponse(seat: 0, sample: 0, model: "qwen", text: "408")]
            + (0..<3).map { SeatResponse(seat: 1, sample: $0, model: "qwen", text: "41\($0)") }
        let (anchored, _) = FusionExecution.anonymize(request: request, responses: responses)
        #expect(anchored.isOneModel)
        #expect(anchored.entries.count == 4)
        let (samplesOnly, _) = FusionExecution.anonymize(request: request, responses: Array(responses.dropFirst()))
        #expect(samplesOnly.isOneModel)
        let mixed = responses + [SeatResponse(seat: 2, sample: 0, model: "smollm2", text: "418")]
        var mixedRequest = request
        mixedRequest.panel.append(SeatSpec(model: "smollm2"))
        #expect(!FusionExecution.anonymize(request: mixedRequest, responses: mixed).0.isOneModel)
    }

    @Test("the aggregate prompt is Together-MoA style: answers in, one answer out, no analysis")
    func aggregate() {
        let a = AggregatePrompt(question: question, answers: answers, seed: 5)
        let text = userText(a.messages)
        #expect(text.contains(question))
        for answer in answers { #expect(text.contains(answer.text)) }
        #expect(text.contains("Evaluate them critically"))
        #expect(!text.contains("Analysis"))
        #expect(a == AggregatePrompt(question: question, answers: answers, seed: 5))
        let withReference = AggregatePrompt(question: question, answers: [
            CandidateAnswer(model: "m", text: "408", isReference: true), CandidateAnswer(model: "n", text: "418"),
        ], seed: 5)
        #expect(userText(withReference.messages).contains("Answer A is from the strongest model"))
    }
}
