import Foundation
import Llama

/// The synthesizer's prompt: the question, the labelled answers and the judge's analysis, with the
/// instruction to write the final answer and to settle disagreements by checking the reasoning,
/// never by a majority of weak members.
///
/// When the judge failed (no parseable analysis), the variant `.judgeFailed` works from the raw
/// answers and the prompt's `note` says so, for the result and the trace.
public struct SynthesisPrompt: Sendable, Equatable {
    /// What the synthesizer works from.
    public enum Basis: Sendable, Equatable {
        /// The judge's analysis, still in labels ("A", "B"), not mapped to model ids.
        case analysis(FusionAnalysis)
        /// The judge failed; `reason` is recorded in `note`.
        case judgeFailed(reason: String)
    }

    public let question: String
    public let panel: AnonymizedPanel
    public let basis: Basis
    /// The chat to send to the synthesizer.
    public let messages: [ChatMessage]
    /// Labels of answers that were shortened to fit the context.
    public let truncatedLabels: [String]
    /// Set when the final answer was written without an analysis; attach it to the result.
    public let note: String?

    /// Whether the prompt contains a judge's analysis.
    public var usedAnalysis: Bool {
        if case .analysis = basis { return true }
        return false
    }

    /// The default budget: a 4k context with room for a full final answer.
    public static let defaultBudget = PromptBudget(contextTokens: 4096, reservedOutputTokens: 1024)

    /// Builds the prompt. Use the same `panel` as the judge so the analysis' labels match.
    public init(question: String, panel: AnonymizedPanel, basis: Basis,
                budget: PromptBudget = SynthesisPrompt.defaultBudget) {
        let shownQuestion = TextTruncation.truncate(question.trimmingCharacters(in: .whitespacesAndNewlines),
                                                    to: budget.maxQuestionCharacters)
        var analysisBlock: String
        switch basis {
        case .analysis(let analysis):
            // The analysis may take at most a quarter of the budget; the answers matter more.
            let cut = TextTruncation.truncate(analysis.summaryText, to: max(400, budget.totalCharacters / 4))
            analysisBlock = "Analysis by a judge (it can be wrong):\n" + cut.text
            note = nil
        case .judgeFailed(let reason):
            analysisBlock = "No analysis of the answers is available; compare them yourself."
            note = "The judge failed (\(reason)); the final answer was written from the raw member answers without an analysis."
        }
        let instructions = Self.instructions(panel: panel, withAnalysis: note == nil)
        let fixed = Self.system.count + shownQuestion.text.count + analysisBlock.count + instructions.count
            + 40 * panel.entries.count
        let rendered = panel.render(maxCharactersPerAnswer: budget.charactersPerAnswer(count: panel.entries.count,
                                                                                        fixedCharacters: fixed))
        self.question = shownQuestion.text
        self.panel = panel
        self.basis = basis
        self.truncatedLabels = rendered.truncatedLabels
        self.messages = [
            .system(Self.system),
            .user("Question:\n\(shownQuestion.text)\n\n\(rendered.text)\n\n\(analysisBlock)\n\n\(instructions)"),
        ]
    }

    /// The longest restated question in `continuation`, in characters (head and tail are kept).
    static let maxRestatedQuestionCharacters = 1200
    /// Tokens the judge's character budget first keeps free for `continuation`'s message; the
    /// writer stages then count the real message with the judge's tokenizer (`PromptFit`).
    public static let continuationReservedTokens = 420

    /// The user turn that follows the judge's analysis when one model judges and writes, so the
    /// synthesis continues the judge's chat (and its KV cache).
    ///
    /// Why the question is restated: at the end of a long JSON turn a 1.5B writer forgot the
    /// question's own format instructions — measured on evaluation items, it answered with one plain
    /// sentence and no `Answer:` line on 14 of 40 items although the instructions asked for it;
    /// with the question restated here, on 0 of the same 40.
    ///
    /// Why the format sentence comes once more, last: with the question restated but the sentence
    /// only before it, the writer still ended with a plain sentence on 41 of the 330 GSM8K and
    /// family-relationship dev items; with it repeated here, on 21 (see docs/EVAL.md, "The writer's
    /// last line").
    ///
    /// The question is restated in at most `maxQuestionCharacters` (default and upper bound
    /// `maxRestatedQuestionCharacters`); the writer stages lower it when the question's tokens
    /// would not fit the context (numbers take about a token per character).
    public static func continuation(question: String, panel: AnonymizedPanel, maxQuestionCharacters: Int? = nil) -> String {
        let limit = min(maxQuestionCharacters ?? maxRestatedQuestionCharacters, maxRestatedQuestionCharacters)
        let restated = TextTruncation.truncate(question.trimmingCharacters(in: .whitespacesAndNewlines), to: limit).text
        return "Now write the final answer for the user. "
            + instructions(panel: panel, withAnalysis: true)
            + " Do not write JSON; do not mention the judge, the analysis or the candidate labels."
            + "\n\nThe question, again:\n" + restated
            + "\n\n" + formatInstruction
    }

    static let system = "You write the final answer to a user's question, using several candidate answers. "
        + "You check their reasoning and keep only what holds up."

    static func instructions(panel: AnonymizedPanel, withAnalysis: Bool) -> String {
        var text = "Write the best final answer to the question."
        if panel.isOneModel {
            // The mixed-panel wording is false here (no member is weaker). Measured on 64 evaluation
            // items (greedy reference + 3 samples): 1 rescue / 5 breaks with it, 2 / 5 with this one.
            text += " The answers are separate attempts by one model. Where they disagree, check the steps"
                + (withAnalysis ? " yourself" : "") + " and follow the attempt that holds up. End with one of the "
                + "attempts' conclusions unless you find an error in every one of them."
        } else {
            text += withAnalysis
                ? " Where the answers disagree, check the reasoning yourself and follow the answer that holds up, not the majority"
                : " Where the answers disagree, check the reasoning and follow the answer that holds up, not the majority"
            text += ": weaker models often agree on the same mistake."
        }
        if let reference = panel.referenceLabels.first {
            // Measured on 120 evaluation items: spelling the anchoring out more strongly ("keep its
            // conclusion unless you find a concrete error; disagreement is not an error") scored
            // 49.2 % against 50.8 % with this wording, and lost the Answer line more often (9 vs 3).
            text += " Keep answer \(reference) (the reference) unless its reasoning is clearly wrong."
        }
        text += " Add correct points that only some answers make. Answer the user directly; do not mention "
            + "the candidate answers, the models or the analysis."
        // Measured: without this the synthesizer dropped the question's own output format (e.g. a
        // final "Answer: X" line) on 29 of 40 evaluation items.
        text += " " + formatInstruction
        return text
    }

    static let formatInstruction = "Follow every instruction the question gives about the form of the answer, "
        + "such as the format or the last line it asks for."
}
