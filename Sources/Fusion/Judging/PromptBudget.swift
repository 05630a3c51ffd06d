/// How much text fits in a prompt for a small-context model, and how long answers are cut.
///
/// Budgets are in characters, estimated from tokens with a conservative characters-per-token
/// ratio (English prose is about 4), so builders stay pure and fast. Digits take a token each in
/// Qwen's and SmolLM2's tokenizers, so the engine counts a built prompt with the reading model's
/// tokenizer and rebuilds it with a lower ratio when it does not fit (`PromptFit`).
public struct PromptBudget: Sendable, Equatable {
    /// The context size of the model that reads the prompt.
    public var contextTokens: Int
    /// Tokens kept free for the model's output.
    public var reservedOutputTokens: Int
    /// Estimated characters per token.
    public var charactersPerToken: Double
    /// No answer is cut below this, even when many answers share a small context.
    public var minCharactersPerAnswer: Int
    /// An optional hard cap per answer (short inputs help small models).
    public var maxCharactersPerAnswer: Int?

    /// The guess for English prose with some numbers; `PromptFit` lowers it for a prompt that
    /// does not fit in tokens.
    public static let defaultCharactersPerToken = 3.0

    public init(contextTokens: Int = 4096, reservedOutputTokens: Int = 1024,
                charactersPerToken: Double = PromptBudget.defaultCharactersPerToken,
                minCharactersPerAnswer: Int = 240, maxCharactersPerAnswer: Int? = nil) {
        self.contextTokens = contextTokens
        self.reservedOutputTokens = reservedOutputTokens
        self.charactersPerToken = charactersPerToken
        self.minCharactersPerAnswer = minCharactersPerAnswer
        self.maxCharactersPerAnswer = maxCharactersPerAnswer
    }

    /// Characters the whole prompt may hold (template overhead is covered by a small margin).
    public var totalCharacters: Int {
        let tokens = max(0, contextTokens - reservedOutputTokens - 64)
        return Int(Double(tokens) * charactersPerToken)
    }

    /// The share of each of `count` answers once `fixedCharacters` (instructions, question,
    /// analysis) are taken.
    public func charactersPerAnswer(count: Int, fixedCharacters: Int) -> Int {
        guard count > 0 else { return 0 }
        var share = max(minCharactersPerAnswer, (totalCharacters - fixedCharacters) / count)
        if let cap = maxCharactersPerAnswer { share = min(share, cap) }
        return share
    }

    /// The longest question that still leaves half the budget for the answers.
    public var maxQuestionCharacters: Int { max(400, totalCharacters / 3) }
}

/// Cuts long text to a character budget, keeping the beginning and the end (where reasoning
/// usually states its final answer) and marking the cut in the text.
public enum TextTruncation {
    /// Returns `text` unchanged when it fits; otherwise about two thirds head, one third tail, cut
    /// at whitespace, joined by a marker such as `[… 1234 characters cut …]`.
    public static func truncate(_ text: String, to limit: Int) -> (text: String, truncated: Bool) {
        let total = text.count
        guard total > limit else { return (text, false) }
        let room = max(0, limit - 32)
        guard room >= 24 else { return (String(text.prefix(max(0, limit))), true) }
        let headLength = room * 2 / 3
        var head = String(text.prefix(headLength))
        var tail = String(text.suffix(room - headLength))
        if let space = head.lastIndex(where: \.isWhitespace), head.distance(from: head.startIndex, to: space) > headLength / 2 {
            head = String(head[..<space])
        }
        if let space = tail.firstIndex(where: \.isWhitespace), tail.distance(from: tail.startIndex, to: space) < tail.count / 2 {
            tail = String(tail[tail.index(after: space)...])
        }
        let cut = total - head.count - tail.count
        return (head + " [… \(cut) characters cut …] " + tail, true)
    }
}
