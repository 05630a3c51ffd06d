import Foundation

/// The answer read from one model response: a canonical value, or a parse failure.
///
/// Canonical means directly comparable: letters upper-case ("C"), numbers in `Decimal`'s plain
/// form ("1234", "3.5", "-3"), words lower-case with hyphenated compounds ("mother-in-law").
public enum ExtractedAnswer: Hashable, Sendable {
    case answer(String)
    case parseFailure

    /// The canonical value, nil for a parse failure.
    public var value: String? {
        if case .answer(let value) = self { return value }
        return nil
    }
}

/// Reads the final answer from a free-form model response.
///
/// Why "robust" matters here: small models follow the `Answer: X` format loosely (bold, brackets,
/// the option text after the letter, "The answer is C", units, thousands separators), and a
/// format slip scored as a wrong answer would mix formatting with knowledge. But it must not be
/// lenient either: a response with no answer, or a letter that is not an option, is a *parse
/// failure* — reported per condition — never a guess from the last number in the reasoning.
///
/// The rule: find the answer markers and read them from the last one backwards. The first marker
/// whose text holds an answer-shaped value decides: a valid value is the answer, an answer-shaped
/// value outside the item's choices is a parse failure, and a marker with nothing answer-shaped
/// ("Answer: see above", "the answer is based on …") is skipped. `Answer:` labels (any case,
/// markdown around them) are read first, because that is the format the prompt asks for; only
/// without a usable label do "the answer is …" and `\boxed{…}` count. With no usable marker at
/// all, a final line that is nothing but an answer ("C", "18", "Yes") counts, because some
/// models answer that tersely.
public enum AnswerExtractor {
    /// Reads `response` for `item` (its answer type, choices and option texts).
    public static func extract(from response: String, for item: EvalItem) -> ExtractedAnswer {
        extract(from: response, type: item.answerType, choices: item.choices, optionTexts: item.optionTexts)
    }

    /// Reads `response` for an answer of `type`; `choices` limits letters and words (nil: any),
    /// `optionTexts` maps option letters to their texts for matching a restated option.
    public static func extract(from response: String, type: AnswerType, choices: [String]?,
                               optionTexts: [String: String] = [:]) -> ExtractedAnswer {
        let reader = AnswerReader(type: type, choices: choices, optionTexts: optionTexts)
        let text = visibleText(response)
        let markers = markerPayloads(in: text)
        for payload in markers.labels.reversed() + markers.phrases.reversed() {
            switch reader.read(payload, strict: false) {
            case .valid(let value): return .answer(value)
            case .invalid: return .parseFailure
            case .none: continue
            }
        }
        if let last = text.split(separator: "\n").last(where: { !$0.allSatisfy(\.isWhitespace) }),
           case .valid(let value) = reader.read(String(last), strict: true) {
            return .answer(value)
        }
        return .parseFailure
    }

    /// The response without reasoning-model thinking: complete `<think>…</think>` blocks are
    /// removed, and after a stray `</think>` only what follows it counts.
    static func visibleText(_ response: String) -> String {
        var text = response
        while let open = text.range(of: "<think>"),
              let close = text.range(of: "</think>", range: open.upperBound..<text.endIndex) {
            text.removeSubrange(open.lowerBound..<close.upperBound)
        }
        if let close = text.range(of: "</think>", options: .backwards) {
            text = String(text[close.upperBound...])
        }
        return text
    }

    /// The text after each answer marker, each kind in order of position in the response:
    /// `labels` after `Answer:`, `phrases` after "the answer is" and inside `\boxed{}`.
    ///
    /// For an `Answer:` label the payload is the rest of its line, or the next non-empty line when
    /// the label stands alone ("**Answer:**" then "C" below it).
    static func markerPayloads(in text: String) -> (labels: [String], phrases: [String]) {
        var labels: [String] = []
        // Simple word boundaries: under the default Unicode rules "answer:C" is one word.
        let label = /(?i)\banswer[ \t]*[*_]*[ \t]*[:：]/.wordBoundaryKind(.simple)
        for match in text.matches(of: label) {
            var payload = restOfLine(text, from: match.range.upperBound)
            if AnswerReader.clean(payload).isEmpty {
                payload = nextNonEmptyLine(text, from: match.range.upperBound) ?? ""
            }
            labels.append(payload)
        }
        var phrases: [(position: String.Index, payload: String)] = []
        let phrase = /(?i)\b(?:final\s+|correct\s+|right\s+)?answer\s+(?:is|would\s+be|should\s+be)\b[ \t]*[:：]?/
            .wordBoundaryKind(.simple)
        for match in text.matches(of: phrase) {
            phrases.append((match.range.lowerBound, restOfLine(text, from: match.range.upperBound)))
        }
        let boxed = /\\boxed\{([^{}]*(?:\{[^{}]*\}[^{}]*)*)\}/
        for match in text.matches(of: boxed) {
            phrases.append((match.range.lowerBound, String(match.output.1)))
        }
        return (labels, phrases.sorted { $0.position < $1.position }.map(\.payload))
    }

    private static func restOfLine(_ text: String, from index: String.Index) -> String {
        let rest = text[index...]
        return String(rest.prefix { $0 != "\n" })
    }

    private static func nextNonEmptyLine(_ text: String, from index: String.Index) -> String? {
        let rest = text[index...]
        guard let newline = rest.firstIndex(of: "\n") else { return nil }
        return rest[rest.index(after: newline)...]
            .split(separator: "\n")
            .first { !AnswerReader.clean(String($0)).isEmpty }
            .map(String.init)
    }
}
