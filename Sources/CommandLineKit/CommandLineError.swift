// Usage errors: what went wrong on the command line, worded for the person who typed it.

/// A usage error found while parsing a command line or reading a value from it.
/// Its ``description`` is one sentence for the person who typed the command; exit with
/// ``ExitCode/usage`` (64). ``CommandLineParser/errorReport(for:spec:)`` adds the usage line.
public struct CommandLineError: Error, Equatable, Sendable, CustomStringConvertible {
    /// What was wrong.
    public enum Reason: Equatable, Sendable {
        /// An option that the command does not declare; `suggestion` is a close known one.
        case unknownOption(String, suggestion: String?)
        /// A word where a subcommand was expected; `suggestion` is a close known one.
        case unknownSubcommand(String, suggestion: String?, available: [String])
        /// A command that only groups subcommands was given none.
        case missingSubcommand(available: [String])
        /// An option that needs a value came last, or was followed by another option.
        case missingValue(option: String, valueName: String)
        /// A flag was written with a value (`--json=yes`).
        case unexpectedValue(option: String, value: String)
        /// A value that does not have the expected form (`--threads four`).
        case invalidValue(option: String, value: String, expected: String)
        /// A required option was not given.
        case missingOption(option: String, valueName: String)
        /// A required positional argument was not given.
        case missingArgument(name: String)
        /// More positional arguments than the command accepts.
        case unexpectedArgument(String)
    }

    /// What was wrong.
    public var reason: Reason
    /// The command whose arguments were wrong, from the program name: `["fusion", "generate"]`.
    public var commandPath: [String]

    /// Creates an error for the command at `commandPath`.
    public init(_ reason: Reason, commandPath: [String]) {
        self.reason = reason
        self.commandPath = commandPath
    }

    /// Always ``ExitCode/usage``.
    public var exitCode: ExitCode { .usage }

    /// One sentence naming the option or argument and the expected form.
    public var description: String {
        let command = commandPath.joined(separator: " ")
        switch reason {
        case .unknownOption(let option, let suggestion):
            let base = "unknown option '\(option)' for '\(command)'"
            return suggestion.map { base + "; did you mean '\($0)'?" } ?? base
        case .unknownSubcommand(let word, let suggestion, let available):
            let base = "unknown subcommand '\(word)' for '\(command)'"
            if let suggestion { return base + "; did you mean '\(suggestion)'?" }
            return base + " (expected one of: " + available.joined(separator: ", ") + ")"
        case .missingSubcommand(let available):
            return "'\(command)' needs a subcommand: " + available.joined(separator: ", ")
        case .missingValue(let option, let valueName):
            return "option '\(option)' needs a value: \(option) <\(valueName)> (or \(option)=<\(valueName)>)"
        case .unexpectedValue(let option, let value):
            return "option '\(option)' is a flag and takes no value (got '\(value)')"
        case .invalidValue(let option, let value, let expected):
            return "invalid value '\(value)' for '\(option)': expected \(expected)"
        case .missingOption(let option, let valueName):
            return "missing required option '\(option) <\(valueName)>'"
        case .missingArgument(let name):
            return "missing argument <\(name)>"
        case .unexpectedArgument(let word):
            return "unexpected argument '\(word)' for '\(command)'"
        }
    }
}

/// "Did you mean …?" for misspelled options and subcommands.
enum Suggestion {
    /// The candidate closest to `word`: a unique candidate that `word` is a prefix of, otherwise
    /// the one with the smallest edit distance if that distance is small for the word's length.
    static func closest(to word: String, among candidates: [String]) -> String? {
        let typed = word.lowercased()
        guard !typed.isEmpty else { return nil }
        let prefixed = candidates.filter { $0.lowercased().hasPrefix(typed) }
        if prefixed.count == 1 { return prefixed[0] }
        let limit = max(1, min(3, typed.count / 2))
        var best: (candidate: String, distance: Int)?
        for candidate in candidates {
            let distance = editDistance(typed, candidate.lowercased())
            if distance <= limit, distance < (best?.distance ?? Int.max) { best = (candidate, distance) }
        }
        return best?.candidate
    }

    /// Levenshtein distance (insertions, deletions and substitutions each cost 1).
    static func editDistance(_ a: String, _ b: String) -> Int {
        let a = Array(a), b = Array(b)
        if a.isEmpty { return b.count }
        if b.isEmpty { return a.count }
        var previous = Array(0...b.count)
        var current = [Int](repeating: 0, count: b.count + 1)
        for i in 1...a.count {
            current[0] = i
            for j in 1...b.count {
                let substitution = previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1)
                current[j] = min(previous[j] + 1, current[j - 1] + 1, substitution)
            }
            swap(&previous, &current)
        }
        return previous[b.count]
    }
}
