import Foundation
import Llama

/// The judge's prompt: the question and the anonymised, shuffled answers, with the instruction to
/// check each answer's reasoning (not to count votes) and to report a `FusionAnalysis` as JSON.
///
/// ```swift
/// let prompt = JudgePrompt(question: q, answers: answers, seed: 42)
/// let summary = try await session.complete(.chat(prompt.messages), parameters: prompt.parameters())
/// let analysis = try AnalysisParser.parse(summary.text, labels: prompt.panel.labels)
///     .mapLabels(prompt.panel.labelToModel)
/// ```
public struct JudgePrompt: Sendable, Equatable {
    /// The question as shown (possibly shortened).
    public let question: String
    /// The labelled answers and the label → model mapping.
    public let panel: AnonymizedPanel
    /// The chat to send to the judge.
    public let messages: [ChatMessage]
    /// Labels of answers that were shortened to fit the context.
    public let truncatedLabels: [String]
    /// Whether the question itself was shortened.
    public let questionTruncated: Bool
    /// The grammar that forces the analysis JSON for exactly these labels.
    public let grammar: JudgeGrammar

    /// The default budget: a 4k context with room for a full analysis.
    public static let defaultBudget = PromptBudget(contextTokens: 4096, reservedOutputTokens: 800)

    /// Builds the prompt; the answers are labelled and shuffled by `seed`.
    public init(question: String, answers: [CandidateAnswer], seed: UInt64,
                budget: PromptBudget = JudgePrompt.defaultBudget, limits: JudgeGrammar.Limits = JudgeGrammar.Limits()) {
        self.init(question: question, panel: AnonymizedPanel(answers: answers, seed: seed), budget: budget, limits: limits)
    }

    /// Builds the prompt for an already labelled panel (so judge and synthesizer share labels).
    public init(question: String, panel: AnonymizedPanel,
                budget: PromptBudget = JudgePrompt.defaultBudget, limits: JudgeGrammar.Limits = JudgeGrammar.Limits()) {
        let shownQuestion = TextTruncation.truncate(question.trimmingCharacters(in: .whitespacesAndNewlines),
                                                    to: budget.maxQuestionCharacters)
        let system = Self.system
        let instructions = Self.instructions(panel: panel)
        let fixed = system.count + shownQuestion.text.count + instructions.count + 40 * panel.entries.count
        let perAnswer = budget.charactersPerAnswer(count: panel.entries.count, fixedCharacters: fixed)
        let rendered = panel.render(maxCharactersPerAnswer: perAnswer)
        self.question = shownQuestion.text
        self.questionTruncated = shownQuestion.truncated
        self.panel = panel
        self.truncatedLabels = rendered.truncatedLabels
        self.grammar = JudgeGrammar(labels: panel.labels, limits: limits)
        self.messages = [
            .system(system),
            .user("Question:\n\(shownQuestion.text)\n\n\(rendered.text)\n\n\(instructions)"),
        ]
    }

    /// Greedy decoding constrained by `grammar` (pass `constrained: false` for a judge that cannot
    /// take a grammar, e.g. a remote endpoint; `AnalysisParser` still reads its output).
    ///
    /// A mild repetition penalty over the last 256 tokens is on by default: greedy 0.5B judges
    /// otherwise copy one item until the list bound. The grammar still forces the JSON syntax, so
    /// the penalty only moves the choice between valid continuations (often: close the list).
    public func parameters(maxTokens: Int = 768, constrained: Bool = true,
                           repeatPenalty: Double = 1.1) -> GenerationParameters {
        var p = GenerationParameters.greedy(maxTokens: maxTokens)
        p.repeatPenalty = repeatPenalty
        p.repeatLastN = 256
        if constrained { p.grammar = grammar.text }
        return p
    }

    static let system = "You are a strict judge. You compare several answers to one question and check "
        + "whether their reasoning is correct. You do not answer the question yourself."

    static func instructions(panel: AnonymizedPanel) -> String {
        var text = "Check each answer's reasoning and claims step by step."
        // Samples of one model are not "weaker models": the mixed-panel wording is false for them.
        text += panel.isOneModel
            ? " The answers are separate attempts by one model: an attempt is not right because others repeat "
                + "its conclusion, nor wrong because it stands alone; only its steps decide."
            : " A claim is not correct just because several answers repeat it: weaker models often share the same mistake."
        if let reference = panel.referenceLabels.first {
            text += " Answer \(reference) is the reference" + (panel.isOneModel ? "" : " from the strongest model")
                + ": keep it unless you find a concrete error in it."
        }
        let letters = panel.labels.joined(separator: ", ")
        text += "\n" + """

            Report in JSON:
            consensus: correct points the answers agree on
            contradictions: topics where the answers disagree, each answer's stance and whether it holds up
            partial_coverage: correct points only some answers make
            unique_insights: a valuable point only one answer makes
            blind_spots: what every answer misses
            Each item is one short sentence in your own words; use [] when there is nothing to report.
            Name answers only in "model" fields, by letter (\(letters)). Output only this JSON object:
            {"consensus":[string],"contradictions":[{"topic":string,"stances":[{"model":letter,"stance":string}]}],\
            "partial_coverage":[{"models":[letter],"point":string}],"unique_insights":[{"model":letter,"insight":string}],\
            "blind_spots":[string]}
            """
        return text
    }
}
