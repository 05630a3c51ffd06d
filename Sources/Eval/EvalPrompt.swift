/// The user prompt for an evaluation item.
///
/// Why one fixed instruction: scores must be comparable across members, samples and fusion
/// conditions, so every condition sees the same wording; and the answer must sit on a final
/// `Answer:` line so that `AnswerExtractor` reads it without guessing from the reasoning. Brief
/// reasoning helps small models on arithmetic without spending the whole token budget on it.
/// Measured on 80 dev items: asking for "at most five short sentences" instead made
/// qwen2.5-coder-1.5b drop the `Answer:` line on 19 of 80 (family, syllogism) and lose 11 points,
/// so the wording stays and the answer budget grew instead (`EvalCondition.defaultMaxTokens`).
public enum EvalPrompt {
    /// The instruction appended to every question of the given type.
    public static func instruction(for type: AnswerType, choices: [String]?) -> String {
        let lead = "Reason briefly, step by step. Then end your reply with a final line in exactly this form:\n"
        switch type {
        case .letter:
            let letters = (choices ?? ["A", "B", "C", "D"]).joined(separator: ", ")
            return lead + "Answer: <letter>\nwhere <letter> is one of \(letters)."
        case .number:
            return lead + "Answer: <number>\nwhere <number> is only the final number, without units or words."
        case .word:
            guard let choices, !choices.isEmpty else {
                return lead + "Answer: <word>\nwhere <word> is a single word."
            }
            return lead + "Answer: <word>\nwhere <word> is one of: \(choices.joined(separator: ", "))."
        }
    }

    /// The question followed by the instruction.
    public static func user(for item: EvalItem) -> String {
        item.question + "\n\n" + instruction(for: item.answerType, choices: item.choices)
    }
}
