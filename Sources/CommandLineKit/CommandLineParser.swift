// Turns `[String]` arguments into a ParsedCommand, following the conventions people expect:
// `--name value`, `--name=value`, `-n value`, `-nvalue`, bundled flags `-vq`, `--` ends options,
// `-h`/`--help` anywhere, and `help <subcommand>` at the top level.
import Foundation

/// What a successful parse produced.
public enum ParseOutcome: Sendable {
    /// Run this command.
    case command(ParsedCommand)
    /// The user asked for help (`--help`, `-h`, `help …`): print the text on stdout, exit 0.
    case help(HelpRequest)
    /// The user asked for `--version` (only when the root declares one): print it, exit 0.
    case version(String)
}

/// A request for help about one command.
public struct HelpRequest: Sendable, Equatable {
    /// The subcommand chain the help is about, without the program name (`["models", "pull"]`).
    public var path: [String]
    /// The generated help text, ready to print.
    public var text: String
}

/// Parses command lines against a ``CommandSpec``.
///
/// ```swift
/// let spec = CommandSpec("fusion", abstract: "Local model fusion.", subcommands: [
///     CommandSpec("generate", abstract: "Generate text with one model.",
///                 options: [.option("model", short: "m", value: "id", required: true, help: "Model id."),
///                           .option("threads", value: "n", type: .integer, default: "2", help: "CPU threads."),
///                           .repeated("stop", value: "text", help: "Stop at this text."),
///                           .flag("json", help: "Print JSON.")],
///                 positionals: [.required("prompt", help: "The prompt.")]),
/// ])
/// let parsed = CommandLineParser.parseOrExit(spec: spec)
/// if parsed.path == ["generate"] {
///     let threads = try parsed.int("threads")!   // 2 unless given
///     let stops = parsed.strings("stop")
///     let prompt = parsed.string("prompt")!
/// }
/// ```
public enum CommandLineParser {
    /// Parses `arguments` (without the program name) against `spec`.
    /// - Returns: the command to run, or a help/version request (which are not errors).
    /// - Throws: ``CommandLineError`` for any usage error, unless `-h`/`--help` is also present,
    ///   in which case help wins.
    public static func parse(_ arguments: [String], spec: CommandSpec) throws(CommandLineError) -> ParseOutcome {
        var parser = Parser(root: spec, arguments: arguments)
        do {
            return try parser.run()
        } catch {
            // "fusion generate --bogus --help" should show help, not complain about --bogus.
            if parser.remainingTokensAskForHelp() {
                return .help(parser.helpRequest())
            }
            throw error
        }
    }

    /// Parses `arguments` (default: this process's arguments) and returns the command to run.
    /// On a help or version request it prints to stdout and exits 0; on a usage error it prints
    /// ``errorReport(for:spec:)`` to stderr and exits 64.
    public static func parseOrExit(_ arguments: [String] = Array(CommandLine.arguments.dropFirst()),
                                   spec: CommandSpec) -> ParsedCommand {
        do {
            switch try parse(arguments, spec: spec) {
            case .command(let command):
                return command
            case .help(let request):
                print(request.text, terminator: request.text.hasSuffix("\n") ? "" : "\n")
            case .version(let version):
                print(version)
            }
            exit(ExitCode.success.rawValue)
        } catch {
            FileHandle.standardError.write(Data(errorReport(for: error, spec: spec).utf8))
            exit(ExitCode.usage.rawValue)
        }
    }

    /// The text to print for a usage error: `error: …`, the usage line of the command concerned,
    /// and where to find more help. A missing subcommand also lists the subcommands.
    public static func errorReport(for error: CommandLineError, spec: CommandSpec) -> String {
        var lines = ["error: \(error.description)"]
        if let chain = spec.chain(for: Array(error.commandPath.dropFirst())) {
            let command = chain[chain.count - 1]
            lines.append("Usage: " + HelpFormatter.usage(chain: chain))
            if case .missingSubcommand = error.reason {
                lines.append("")
                lines.append(contentsOf: HelpFormatter.subcommandLines(command))
                lines.append("")
            }
        }
        lines.append("See '\(error.commandPath.joined(separator: " ")) --help' for more information.")
        return lines.joined(separator: "\n") + "\n"
    }
}

/// The state of one parse.
private struct Parser {
    let root: CommandSpec
    let arguments: [String]
    var index = 0
    var chain: [CommandSpec]
    var values: [String: [String]] = [:]
    var words: [String] = []            // positional words for the deepest command
    var optionsEnded = false

    init(root: CommandSpec, arguments: [String]) {
        self.root = root
        self.arguments = arguments
        self.chain = [root]
    }

    var current: CommandSpec { chain[chain.count - 1] }
    var commandPath: [String] { chain.map(\.name) }

    /// Options accepted at the current depth: the command's own plus its ancestors' global ones.
    var visibleOptions: [OptionSpec] {
        chain.dropLast().flatMap { $0.options.filter(\.isGlobal) } + current.options
    }

    func error(_ reason: CommandLineError.Reason) -> CommandLineError {
        CommandLineError(reason, commandPath: commandPath)
    }

    func helpRequest() -> HelpRequest {
        HelpRequest(path: Array(commandPath.dropFirst()), text: HelpFormatter.help(chain: chain))
    }

    /// Whether `-h`/`--help` appears among the arguments not yet consumed (before any `--`).
    func remainingTokensAskForHelp() -> Bool {
        let start = max(0, index - 1)
        guard start < arguments.count, !optionsEnded else { return false }
        let userShortH = visibleOptions.contains { $0.short == "h" }
        for token in arguments[start...] {
            if token == "--" { return false }
            if token == "--help" || (token == "-h" && !userShortH) { return true }
        }
        return false
    }

    mutating func run() throws(CommandLineError) -> ParseOutcome {
        while index < arguments.count {
            let token = arguments[index]
            index += 1
            if optionsEnded {
                words.append(token)
            } else if token == "--" {
                optionsEnded = true
            } else if token.hasPrefix("--") {
                if let outcome = try parseLong(String(token.dropFirst(2))) { return outcome }
            } else if token.hasPrefix("-"), token.count > 1, !isNegativeNumberWord(token) {
                if let outcome = try parseShort(token) { return outcome }
            } else if let outcome = try parseWord(token) {
                return outcome
            }
        }
        return .command(try finish())
    }

    /// A negative number is a positional word, unless the command declares a digit as a short option.
    func isNegativeNumberWord(_ token: String) -> Bool {
        guard Self.looksLikeNegativeNumber(token) else { return false }
        return !visibleOptions.contains { $0.short?.isNumber == true }
    }

    static func looksLikeNegativeNumber(_ token: String) -> Bool {
        guard token.hasPrefix("-"), let first = token.dropFirst().first, first.isNumber || first == "." else {
            return false
        }
        return Double(token) != nil
    }

    /// Whether `token` can be the value of the option before it: anything but another option.
    /// `-1` and `-` (stdin) are values; `--json` is not (so `--model --json` reports a missing value).
    static func canBeValue(_ token: String) -> Bool {
        !token.hasPrefix("-") || token == "-" || looksLikeNegativeNumber(token)
    }

    mutating func parseLong(_ body: String) throws(CommandLineError) -> ParseOutcome? {
        let parts = body.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
        let name = String(parts[0])
        let inline = parts.count == 2 ? String(parts[1]) : nil
        let options = visibleOptions
        guard let option = options.first(where: { $0.name == name }) else {
            if name == "help" { return .help(helpAfterFlag()) }
            if name == "version", chain.count == 1, let version = root.version { return .version(version) }
            var names = options.map(\.longForm) + ["--help"]
            if chain.count == 1, root.version != nil { names.append("--version") }
            let suggestion = Suggestion.closest(to: "--" + name, among: names)
            throw error(.unknownOption("--" + name, suggestion: suggestion))
        }
        try take(option, written: "--" + name, inline: inline)
        return nil
    }

    mutating func parseShort(_ token: String) throws(CommandLineError) -> ParseOutcome? {
        var letters = Substring(token.dropFirst())
        while let letter = letters.first {
            letters = letters.dropFirst()
            let options = visibleOptions
            guard let option = options.first(where: { $0.short == letter }) else {
                if letter == "h" { return .help(helpAfterFlag()) }
                throw error(.unknownOption("-\(letter)", suggestion: nil))
            }
            if option.kind == .flag {
                if letters.first == "=" { throw error(.unexpectedValue(option: "-\(letter)", value: String(letters.dropFirst()))) }
                try take(option, written: "-\(letter)", inline: nil)
                continue
            }
            // `-m ID`, `-mID` and `-m=ID` all give the value ID.
            let rest = letters.first == "=" ? letters.dropFirst() : letters
            try take(option, written: "-\(letter)", inline: rest.isEmpty ? nil : String(rest))
            return nil
        }
        return nil
    }

    /// Records one occurrence of `option`, reading its value from `inline` or the next argument.
    mutating func take(_ option: OptionSpec, written: String, inline: String?) throws(CommandLineError) {
        if option.kind == .flag {
            if let inline { throw error(.unexpectedValue(option: written, value: inline)) }
            values[option.name, default: []].append("true")
            return
        }
        let value: String
        if let inline {
            value = inline
        } else if index < arguments.count, Self.canBeValue(arguments[index]) {
            value = arguments[index]
            index += 1
        } else {
            throw error(.missingValue(option: written, valueName: option.valueName))
        }
        guard option.valueType.accepts(value) else {
            throw error(.invalidValue(option: written, value: value, expected: option.valueType.expectation))
        }
        if option.kind == .single {
            values[option.name] = [value]
        } else {
            values[option.name, default: []].append(value)
        }
    }

    /// A word that is not an option: a subcommand, `help`, or a positional argument.
    mutating func parseWord(_ word: String) throws(CommandLineError) -> ParseOutcome? {
        guard !current.subcommands.isEmpty, words.isEmpty else {
            words.append(word)
            return nil
        }
        if let sub = current.subcommand(named: word) {
            chain.append(sub)
            return nil
        }
        if word == "help", chain.count == 1 {
            return .help(try helpForTopic())
        }
        if !current.positionals.isEmpty {
            words.append(word)
            return nil
        }
        let names = current.subcommands.map(\.name)
        throw error(.unknownSubcommand(word, suggestion: Suggestion.closest(to: word, among: names), available: names))
    }

    /// `fusion --help models`: help about the subcommands named after the flag, if any.
    mutating func helpAfterFlag() -> HelpRequest {
        while index < arguments.count, arguments[index] != "--" {
            let word = arguments[index]
            index += 1
            if word.hasPrefix("-") { continue }
            guard let sub = current.subcommand(named: word) else { break }
            chain.append(sub)
        }
        return helpRequest()
    }

    /// `fusion help models pull`: help about the subcommand path that follows `help`.
    mutating func helpForTopic() throws(CommandLineError) -> HelpRequest {
        while index < arguments.count {
            let word = arguments[index]
            index += 1
            if word.hasPrefix("-") { continue }
            if current.subcommands.isEmpty { break }
            guard let sub = current.subcommand(named: word) else {
                let names = current.subcommands.map(\.name)
                throw error(.unknownSubcommand(word, suggestion: Suggestion.closest(to: word, among: names),
                                               available: names))
            }
            chain.append(sub)
        }
        return helpRequest()
    }

    /// Checks what can only be checked at the end, then builds the result.
    func finish() throws(CommandLineError) -> ParsedCommand {
        if !current.subcommands.isEmpty, current.positionals.isEmpty {
            throw error(.missingSubcommand(available: current.subcommands.map(\.name)))
        }
        let options = chain.dropLast().flatMap(\.options) + current.options
        for option in options where option.isRequired && values[option.name] == nil {
            throw error(.missingOption(option: option.longForm, valueName: option.valueName))
        }
        var assigned: [String: [String]] = [:]
        var remaining = words[...]
        for positional in current.positionals {
            switch positional.arity {
            case .required:
                guard let word = remaining.popFirst() else { throw error(.missingArgument(name: positional.name)) }
                assigned[positional.name] = [word]
            case .optional:
                if let word = remaining.popFirst() { assigned[positional.name] = [word] }
            case .variadic(let minimum):
                guard remaining.count >= minimum else { throw error(.missingArgument(name: positional.name)) }
                assigned[positional.name] = Array(remaining)
                remaining = []
            }
            for word in assigned[positional.name] ?? [] where !positional.valueType.accepts(word) {
                throw error(.invalidValue(option: "<\(positional.name)>", value: word,
                                          expected: positional.valueType.expectation))
            }
        }
        if let extra = remaining.first { throw error(.unexpectedArgument(extra)) }
        return ParsedCommand(chain: chain, options: options, optionValues: values,
                             positionalValues: assigned, words: words)
    }
}
