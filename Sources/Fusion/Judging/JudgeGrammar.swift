/// A GBNF grammar (llama.cpp's grammar format, start rule `root`) that admits exactly one compact
/// `FusionAnalysis` JSON object and nothing else.
///
/// Built per request from the labels in play, so a stance can only name an answer that exists.
/// Keys come in schema order with no whitespace; strings are 1…`maxStringLength` characters with
/// no raw control characters (JSON escapes allowed); every array holds at most `maxItems` items.
/// The total output is therefore bounded, and a 0.5B judge cannot write invalid or endless JSON.
/// Bounded repetition (`x{0,n}`) is what llama.cpp's grammar docs recommend over nested `x?`.
///
/// ```swift
/// var p = GenerationParameters.greedy(maxTokens: 768)
/// p.grammar = JudgeGrammar(labels: ["A", "B", "C"]).text
/// ```
public struct JudgeGrammar: Sendable, Equatable {
    /// Size limits that bound the judge's output.
    public struct Limits: Sendable, Equatable {
        /// Most items in any one array (consensus, stances, …). At least 1.
        public var maxItems: Int
        /// Most characters in any one string (an escape sequence counts as one). At least 1.
        public var maxStringLength: Int

        /// llama.cpp refuses grammars whose repetitions expand to more than 2000 rules.
        public static let maxStringLengthSupported = 1000

        public init(maxItems: Int = 6, maxStringLength: Int = 300) {
            self.maxItems = min(max(1, maxItems), 50)
            self.maxStringLength = min(max(1, maxStringLength), Self.maxStringLengthSupported)
        }
    }

    /// The labels a model reference may take, e.g. `["A", "B", "C"]`.
    public let labels: [String]
    public let limits: Limits
    /// The grammar text, ready for `GenerationParameters.grammar`.
    public let text: String

    /// Builds the grammar. Empty or duplicate labels are dropped; with fewer than two labels no
    /// contradiction is possible, and with none every list that names a model must stay empty.
    public init(labels: [String], limits: Limits = Limits()) {
        var seen = Set<String>()
        let labels = labels.filter { !$0.isEmpty && seen.insert($0).inserted }
        self.labels = labels
        self.limits = limits
        self.text = Self.build(labels: labels, limits: limits)
    }

    private static func build(labels: [String], limits: Limits) -> String {
        let n = limits.maxItems
        // `x{0,0}` is not worth the parser's edge cases: write the optional tail only when needed.
        func list(_ item: String, min: Int, max: Int) -> String {
            let max = Swift.max(min, max)
            if max == 0 { return "\"[]\"" }
            let tail = max > 1 ? " (\",\" \(item)){\(Swift.max(0, min - 1)),\(max - 1)}" : ""
            let body = item + tail
            return min == 0 ? "\"[\" (\(body))? \"]\"" : "\"[\" \(body) \"]\""
        }
        func key(_ k: FusionAnalysis.CodingKeys) -> String { "\"\\\"\(k.rawValue)\\\":\"" }

        let count = labels.count
        var rules: [String] = []
        rules.append("root ::= \"{\" " + [
            key(.consensus) + " points",
            key(.contradictions) + " contras",
            key(.partialCoverage) + " partials",
            key(.uniqueInsights) + " insights",
            key(.blindSpots) + " points",
        ].joined(separator: " \",\" ") + " \"}\"")
        rules.append("points ::= " + list("str", min: 0, max: n))

        if count >= 2 {
            rules.append("contras ::= " + list("contra", min: 0, max: n))
            rules.append("contra ::= \"{\\\"topic\\\":\" str \",\\\"stances\\\":\" stances \"}\"")
            rules.append("stances ::= " + list("stance", min: 2, max: min(n, count)))
            rules.append("stance ::= \"{\\\"model\\\":\" label \",\\\"stance\\\":\" str \"}\"")
            rules.append("partials ::= " + list("partial", min: 0, max: n))
            rules.append("partial ::= \"{\\\"models\\\":\" models \",\\\"point\\\":\" str \"}\"")
            rules.append("models ::= " + list("label", min: 1, max: min(n, count - 1)))
        } else {
            rules.append("contras ::= \"[]\"")
            rules.append("partials ::= \"[]\"")
        }
        if count >= 1 {
            rules.append("insights ::= " + list("insight", min: 0, max: n))
            rules.append("insight ::= \"{\\\"model\\\":\" label \",\\\"insight\\\":\" str \"}\"")
            rules.append("label ::= " + labels.map { "\"\\\"" + gbnfEscape($0) + "\\\"\"" }.joined(separator: " | "))
        } else {
            rules.append("insights ::= \"[]\"")
        }
        // A string: quote, 1…max JSON characters, quote. The first character may not be a space,
        // which keeps small models from padding strings with whitespace.
        let rest = limits.maxStringLength > 1 ? " chr{0,\(limits.maxStringLength - 1)}" : ""
        rules.append("str ::= \"\\\"\" first\(rest) \"\\\"\"")
        rules.append("first ::= [^\"\\\\\\x7F\\x00-\\x20] | esc")
        rules.append("chr ::= [^\"\\\\\\x7F\\x00-\\x1F] | esc")
        rules.append("esc ::= \"\\\\\" ([\"\\\\/bfnrt] | \"u\" [0-9a-fA-F]{4})")
        return rules.joined(separator: "\n") + "\n"
    }

    /// Escapes text for use inside a GBNF double-quoted literal.
    static func gbnfEscape(_ text: String) -> String {
        var out = ""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            default:
                if scalar.value < 0x20 || scalar.value == 0x7F {
                    out += "\\x" + String(scalar.value, radix: 16).leftPadded(to: 2)
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        return out
    }
}

private extension String {
    func leftPadded(to width: Int) -> String {
        count >= width ? self : String(repeating: "0", count: width - count) + self
    }
}
