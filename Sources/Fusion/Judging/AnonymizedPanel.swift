import Foundation

/// The panel's answers as the judge and the synthesizer see them: anonymous labels ("A", "B", …)
/// in a deterministic shuffled order, with the label → model mapping kept for the trace.
///
/// Reference answers (the strongest member, `CandidateAnswer.isReference`) come first so that
/// small readers, which favour what they read first, never lose them; the others follow in an
/// order shuffled by `seed`. Shuffling the rest removes position bias between members.
public struct AnonymizedPanel: Sendable, Equatable {
    /// One labelled answer.
    public struct Entry: Sendable, Equatable {
        public var label: String
        public var answer: CandidateAnswer
    }

    /// Entries in presentation order; labels are "A", "B", … in that order.
    public let entries: [Entry]
    /// The seed that fixed the order.
    public let seed: UInt64

    public init(answers: [CandidateAnswer], seed: UInt64) {
        let references = answers.filter(\.isReference).seededShuffle(seed: seed)
        let others = answers.filter { !$0.isReference }.seededShuffle(seed: seed ^ 0x5DEE_CE66_D1CE_5EED)
        entries = (references + others).enumerated().map { Entry(label: Self.label(for: $0.offset), answer: $0.element) }
        self.seed = seed
    }

    /// Labels in presentation order.
    public var labels: [String] { entries.map(\.label) }
    /// Label → model id, for `FusionAnalysis.mapLabels` and the trace.
    public var labelToModel: [String: String] {
        Dictionary(entries.map { ($0.label, $0.answer.model) }, uniquingKeysWith: { first, _ in first })
    }
    /// Labels of reference answers.
    public var referenceLabels: [String] { entries.filter(\.answer.isReference).map(\.label) }

    /// Whether every answer comes from one model (its samples are named "qwen", "qwen#2", …):
    /// then the answers are attempts of equal standing, not stronger and weaker members.
    public var isOneModel: Bool {
        Set(entries.map { Self.baseModel($0.answer.model) }).count == 1 && entries.count > 1
    }

    /// The model id without a sample suffix: "qwen#2" → "qwen".
    static func baseModel(_ id: String) -> Substring {
        guard let hash = id.lastIndex(of: "#"), !id[id.index(after: hash)...].isEmpty,
              id[id.index(after: hash)...].allSatisfy(\.isNumber) else { return id[...] }
        return id[..<hash]
    }

    /// "A"…"Z", then "AA", "AB", ….
    public static func label(for index: Int) -> String {
        let letters = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZ")
        return index < 26 ? String(letters[index]) : String(letters[index / 26 - 1]) + String(letters[index % 26])
    }

    /// How an answer is introduced: "Answer A (reference: strongest model, measured accuracy 53%)".
    public func header(for entry: Entry) -> String {
        var notes: [String] = []
        let qualities = entries.compactMap(\.answer.quality)
        if entry.answer.isReference {
            notes.append(isOneModel ? "reference" : "reference: strongest model")
        } else if let q = entry.answer.quality, qualities.count >= 2, let best = qualities.max() {
            notes.append(q >= best ? "stronger model" : "weaker model")
        }
        if let q = entry.answer.quality { notes.append("measured accuracy \(Int((q * 100).rounded()))%") }
        return "Answer \(entry.label)" + (notes.isEmpty ? "" : " (" + notes.joined(separator: ", ") + ")")
    }

    /// The answers as prompt text, each cut to `maxCharactersPerAnswer`; a cut answer says so in
    /// its header. Returns the labels that were cut.
    public func render(maxCharactersPerAnswer: Int) -> (text: String, truncatedLabels: [String]) {
        var blocks: [String] = []
        var truncated: [String] = []
        for entry in entries {
            let body = entry.answer.text.trimmingCharacters(in: .whitespacesAndNewlines)
            let cut = TextTruncation.truncate(body, to: maxCharactersPerAnswer)
            var header = header(for: entry)
            if cut.truncated {
                truncated.append(entry.label)
                header += " [shortened to fit: \(cut.text.count) of \(body.count) characters shown]"
            }
            blocks.append(header + ":\n" + (cut.text.isEmpty ? "(empty answer)" : cut.text))
        }
        return (blocks.joined(separator: "\n\n"), truncated)
    }
}
