import Foundation
import Llama

/// A Together-MoA style aggregation prompt: one aggregator reads the labelled answers and writes
/// the final one directly, with no judge and no analysis. Cheaper than judge + synthesizer; on
/// the measured mix of weak and strong members it blends in errors, so it critically reviews
/// instead of averaging and marks the reference answer when the request names one.
public struct AggregatePrompt: Sendable, Equatable {
    public let question: String
    public let panel: AnonymizedPanel
    /// The chat to send to the aggregator.
    public let messages: [ChatMessage]
    /// Labels of answers that were shortened to fit the context.
    public let truncatedLabels: [String]

    /// Builds the prompt; the answers are labelled and shuffled by `seed`.
    public init(question: String, answers: [CandidateAnswer], seed: UInt64,
                budget: PromptBudget = SynthesisPrompt.defaultBudget) {
        self.init(question: question, panel: AnonymizedPanel(answers: answers, seed: seed), budget: budget)
    }

    /// Builds the prompt for an already labelled panel.
    public init(question: String, panel: AnonymizedPanel, budget: PromptBudget = SynthesisPrompt.defaultBudget) {
        let shownQuestion = TextTruncation.truncate(question.trimmingCharacters(in: .whitespacesAndNewlines),
                                                    to: budget.maxQuestionCharacters)
        // Samples of one model are neither "different models" nor stronger and weaker: say what they are.
        var instructions = panel.isOneModel
            ? "The answers above are separate attempts by one model; some may be wrong. "
            : "The answers above come from different models; some may be wrong or biased. "
        instructions += "Evaluate them critically and write one accurate, complete answer to the question. Do not "
            + "average or copy them, and do not follow a majority without checking its reasoning."
        if let reference = panel.referenceLabels.first {
            instructions += " Answer \(reference) is " + (panel.isOneModel ? "the reference" : "from the strongest model")
                + ": keep it unless its reasoning is clearly wrong."
        }
        instructions += " Answer the user directly; do not mention the candidate answers."
        let fixed = Self.system.count + shownQuestion.text.count + instructions.count + 40 * panel.entries.count
        let rendered = panel.render(maxCharactersPerAnswer: budget.charactersPerAnswer(count: panel.entries.count,
                                                                                        fixedCharacters: fixed))
        self.question = shownQuestion.text
        self.panel = panel
        self.truncatedLabels = rendered.truncatedLabels
        self.messages = [
            .system(Self.system),
            .user("Question:\n\(shownQuestion.text)\n\n\(rendered.text)\n\n\(instructions)"),
        ]
    }

    static let system = "You combine several candidate answers into one final answer of the highest quality."
}
