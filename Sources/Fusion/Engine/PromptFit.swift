import Foundation
import Llama

/// Fits a writer's prompt to its model's context in tokens, not only in estimated characters.
///
/// Prompt builders budget in characters at a guessed 3 characters per token (`PromptBudget`). That
/// holds for prose, not for numbers, code or non-Latin scripts: Qwen's and SmolLM2's tokenizers
/// spend one token per digit, so a question listing numbers takes about one token per character.
/// Once built, the prompt is counted with the tokenizer of the model that reads it; while the
/// prompt and the tokens kept for generation exceed the context, the guess is lowered by the
/// measured overshoot and the prompt built again. A prompt that fits the first time is the one
/// `FusionEngine.writerFingerprint` computes without a model.
struct PromptFit {
    /// Built prompts at most; a last one that still does not fit is returned unmeasured and the
    /// session reports the overflow (the budget's floors, such as 240 characters per answer, can
    /// stop the shrinking).
    static let attempts = 5
    /// Re-tokenizing a model's own output can give a few more tokens than it generated.
    static let slackTokens = 8

    let session: LlamaSession

    /// Builds with `budget`, then with tighter ones while `promptTokens` of the result plus
    /// `reservedTokens` (what the model will generate) exceed the context. `promptTokens` returns
    /// nil when it cannot count; the prompt is then used as built.
    ///
    /// A budget for context 0 (the model's default) is sized for the context the session got.
    func fit<Built>(_ budget: PromptBudget, reservedTokens: Int, build: (PromptBudget) -> Built,
                    promptTokens: (Built) -> Int?) -> Built {
        var budget = budget
        if budget.contextTokens == 0 { budget.contextTokens = session.contextSize }
        var built = build(budget)
        let room = session.contextSize - reservedTokens - Self.slackTokens
        guard room > 0 else { return built }
        for _ in 1..<Self.attempts {
            guard let tokens = promptTokens(built), tokens > room else { return built }
            // Instructions do not shrink with the budget, so aim below the measured ratio.
            budget.charactersPerToken *= Double(room) / Double(tokens) * 0.85
            built = build(budget)
        }
        return built
    }

    /// Tokens of `messages` as the session's model renders them.
    func tokens(_ messages: [ChatMessage]) -> Int? {
        try? session.tokens(for: .chat(messages)).tokens.count
    }
}
