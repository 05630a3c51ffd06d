import Foundation

/// What the text after one answer marker holds.
enum AnswerReading: Equatable {
    /// A canonical answer within the item's choices.
    case valid(String)
    /// Answer-shaped but not allowed (a letter that is not an option): a parse failure.
    case invalid
    /// Nothing answer-shaped; the extractor looks at an earlier marker.
    case none
}

/// Interprets the text after an answer marker as a letter, number or word, and canonicalizes it.
///
/// `strict` is for a bare final line without any marker: then the whole line must be the answer
/// ("C", "$18.", "Yes"), so that a closing sentence of reasoning is never mistaken for one.
struct AnswerReader {
    let type: AnswerType
    let choices: [String]?
    let optionTexts: [String: String]

    func read(_ payload: String, strict: Bool) -> AnswerReading {
        let text = Self.clean(payload)
        guard !text.isEmpty else { return .none }
        switch type {
        case .letter: return readLetter(text, strict: strict)
        case .number: return readNumber(text, strict: strict)
        case .word: return readWord(text, strict: strict)
        }
    }

    /// Strips markdown, LaTeX wrappers, quotes and surrounding punctuation.
    static func clean(_ payload: String) -> String {
        var text = payload.replacing(/\\d?frac\{\s*(\d+)\s*\}\{\s*(\d+)\s*\}/) { "\($0.output.1)/\($0.output.2)" }
        // Unwrap \boxed{…}, \text{…} and friends, innermost first.
        while let wrapped = text.firstMatch(of: /\\(?:boxed|text|textbf|mathrm|mathbf)\{([^{}]*)\}/) {
            text.replaceSubrange(wrapped.range, with: wrapped.output.1)
        }
        for noise in ["**", "__", "`", "$", "\\(", "\\)", "\\[", "\\]", "\"", "“", "”"] {
            text = text.replacingOccurrences(of: noise, with: "")
        }
        // Not "-": it is the sign of "-3".
        let edge = CharacterSet.whitespacesAndNewlines.union(CharacterSet(charactersIn: "*_:：–—>#"))
        return text.trimmingCharacters(in: edge)
    }

    // MARK: letters

    private func readLetter(_ text: String, strict: Bool) -> AnswerReading {
        let allowed = Set((choices ?? []).map { $0.uppercased() })
        func verdict(_ letter: Substring) -> AnswerReading {
            let upper = letter.uppercased()
            return allowed.isEmpty || allowed.contains(upper) ? .valid(upper) : .invalid
        }
        var body = Substring(text)
        if let prefix = body.firstMatch(of: /^(?i)(?:option|choice|letter)\s+/) {
            body = body[prefix.range.upperBound...]
        }
        // The whole text is the letter: "C", "(C)", "[c]", "C.", "c)".
        var wholeLetter: AnswerReading?
        if let whole = body.wholeMatch(of: /[(\[]?([A-Za-z])[)\]]?[.!]?/) {
            wholeLetter = verdict(whole.output.1)
            if case .valid = wholeLetter { return wholeLetter! }
        }
        // A restated option ("Planetary days will become shorter.", or "R" when option A is "R").
        if let letter = optionLetter(restating: text) { return verdict(Substring(letter)) }
        if let wholeLetter { return wholeLetter }
        if strict { return .none }
        // A letter that starts the text and is set off from what follows: "C) text", "(C) text",
        // "C. text", "C: text", "C - text". An upper-case letter followed by a plain word ("I think",
        // "A planet") is prose, not an answer; a lower-case one only counts in brackets ("(b) text").
        if let lead = body.prefixMatch(of: /([A-Z])(?:[.):,;]|\s+[-–—(])/) {
            return verdict(lead.output.1)
        }
        if let lead = body.prefixMatch(of: /[(\[]([A-Za-z])[)\]]/) ?? body.prefixMatch(of: /([a-z])\)/) {
            return verdict(lead.output.1)
        }
        // "The correct option is C", "I pick choice (B)".
        let namedOption = /(?i:option|choice|letter)\s+(?:is\s+)?[(\[]?([A-Z])\b/.wordBoundaryKind(.simple)
        if let named = body.firstMatch(of: namedOption) {
            return verdict(named.output.1)
        }
        return .none
    }

    /// The letter of the option whose text `text` repeats: exactly first (both cleaned like a
    /// payload, ignoring spacing and a final period), then ignoring case if that picks a single
    /// option. Signs and symbols count, so "charge of -3" and "charge of +3" stay different
    /// options, as do "Rr" and "rr".
    private func optionLetter(restating text: String) -> String? {
        func loose(_ s: String) -> String {
            AnswerReader.clean(s).split(whereSeparator: \.isWhitespace).joined(separator: " ")
                .trimmingCharacters(in: CharacterSet(charactersIn: ".!;, "))
        }
        let said = loose(text)
        guard !said.isEmpty else { return nil }
        let sorted = optionTexts.sorted { $0.key < $1.key }
        if let exact = sorted.first(where: { loose($0.value) == said }) { return exact.key }
        let folded = sorted.filter { loose($0.value).lowercased() == said.lowercased() }
        return folded.count == 1 ? folded[0].key : nil
    }

    // MARK: numbers

    private func readNumber(_ text: String, strict: Bool) -> AnswerReading {
        var body = Substring(text.replacingOccurrences(of: "−", with: "-"))
        // "16 - 3 - 4 = 9 eggs, 9 * 2 = 18": the result is after the last "=".
        if !strict, let equals = body.lastIndex(of: "=") { body = body[body.index(after: equals)...] }
        let number = /(-)?\s?\$?\s?(-)?(\d{1,3}(?:,\d{3})+|\d+)(\.\d+)?(?:\s*\/\s*(\d+))?/
        if strict {
            // The line is only a number, maybe with a currency sign, percent or unit-free period.
            guard let whole = body.wholeMatch(of: /\s*(-?\s?\$?\s?-?[\d.,\/ ]+?)\s*%?\.?\s*/),
                  let match = whole.output.1.wholeMatch(of: number) else { return .none }
            return Self.canonical(match.output).map(AnswerReading.valid) ?? .none
        }
        if let match = body.firstMatch(of: number) {
            return Self.canonical(match.output).map(AnswerReading.valid) ?? .none
        }
        if let word = body.prefixMatch(of: /(?i)\s*([a-z]+)/),
           let value = Self.numberWords[word.output.1.lowercased()] {
            return .valid(String(value))
        }
        return .none
    }

    private static func canonical(
        _ parts: (Substring, Substring?, Substring?, Substring, Substring?, Substring?)
    ) -> String? {
        let negative = parts.1 != nil || parts.2 != nil
        let digits = parts.3.replacingOccurrences(of: ",", with: "") + (parts.4.map(String.init) ?? "")
        guard var value = parseDecimal(digits) else { return nil }
        if let denominator = parts.5 {
            // Only simple fractions: integer over a non-zero integer ("3/4"), nothing like "1.5/2".
            guard parts.4 == nil, let divisor = parseDecimal(String(denominator)), divisor != 0 else { return nil }
            value /= divisor
        }
        if negative { value.negate() }
        return canonicalNumber(value)
    }

    /// "3.50" -> 3.5, "1234.00" -> 1234; only plain digit strings (Decimal(string:) would also
    /// accept a prefix of "12abc").
    static func parseDecimal(_ text: String) -> Decimal? {
        guard text.wholeMatch(of: /-?\d+(\.\d+)?/) != nil else { return nil }
        return Decimal(string: text, locale: Locale(identifier: "en_US_POSIX"))
    }

    static func canonicalNumber(_ value: Decimal) -> String {
        value.isZero ? "0" : "\(value)"
    }

    private static let numberWords: [String: Int] = [
        "zero": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
        "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14, "fifteen": 15,
        "sixteen": 16, "seventeen": 17, "eighteen": 18, "nineteen": 19, "twenty": 20,
    ]

    // MARK: words

    private func readWord(_ text: String, strict: Bool) -> AnswerReading {
        let words = Self.words(text)
        guard let first = words.first else { return .none }
        guard let choices, !choices.isEmpty else {
            return strict && words.count != 1 ? .none : .valid(first)
        }
        let vocabulary = Set(choices.map { Self.words($0).joined(separator: "-") })
        if strict, words.count > 1 { return .none }
        for word in words {
            if vocabulary.contains(word) { return .valid(word) }
            if let synonym = Self.synonyms[word], vocabulary.contains(synonym) { return .valid(synonym) }
        }
        // "Does it logically follow?" is often answered in its own words.
        if !strict, vocabulary.isSuperset(of: ["yes", "no"]) {
            let phrase = words.joined(separator: " ")
            if phrase.contains(/(does|do|can) ?n ?o?t (logically |necessarily )?follow/) { return .valid("no") }
            let follows = /(^|[^a-z])((logically )?follows|does (logically )?follow)([^a-z]|$)/
            if phrase.contains(follows) { return .valid("yes") }
        }
        return .none
    }

    /// Lower-case words, punctuation except inner hyphens removed, "in law" compounds joined:
    /// "Mother in law." -> ["mother-in-law"], "Edward's grandmother" -> ["edward", "s", "grandmother"].
    static func words(_ text: String) -> [String] {
        var lowered = text.lowercased()
        lowered = lowered.replacing(/([a-z])\s+in\s+law\b/.wordBoundaryKind(.simple)) { "\($0.output.1)-in-law" }
        let kept = lowered.unicodeScalars.map { scalar -> Character in
            CharacterSet.alphanumerics.contains(scalar) || scalar == "-" ? Character(scalar) : " "
        }
        return String(kept).split(separator: " ")
            .map { $0.trimmingCharacters(in: CharacterSet(charactersIn: "-")) }
            .filter { !$0.isEmpty }
    }

    /// Only used when the target is in the item's vocabulary.
    private static let synonyms: [String: String] = [
        "true": "yes", "false": "no", "mom": "mother", "mum": "mother", "dad": "father",
        "grandma": "grandmother", "grandpa": "grandfather", "granny": "grandmother",
    ]
}
