// Generates `--help` text from a CommandSpec, laid out for reading in an 80-column terminal.

extension CommandLineParser {
    /// The help text of the command at `path` (subcommand names, without the program name), or
    /// nil if the path names an unknown subcommand. The same text `--help` prints.
    public static func helpText(for path: [String] = [], in spec: CommandSpec) -> String? {
        spec.chain(for: path).map(HelpFormatter.help(chain:))
    }

    /// The one-line usage of the command at `path`, e.g. `fusion models pull [--force] <id> ...`.
    public static func usageLine(for path: [String] = [], in spec: CommandSpec) -> String? {
        spec.chain(for: path).map(HelpFormatter.usage(chain:))
    }
}

enum HelpFormatter {
    static let width = 80
    /// The description column never starts further right than this.
    static let maxNameColumn = 30

    /// The full help of the last command in `chain` (the root first).
    static func help(chain: [CommandSpec]) -> String {
        let command = chain[chain.count - 1]
        let commandName = chain.map(\.name).joined(separator: " ")
        var sections: [[String]] = []

        if !command.abstract.isEmpty {
            sections.append(wrap("\(commandName): \(command.abstract)", indent: 0, hanging: 2))
        }
        sections.append(wrap("Usage: " + usage(chain: chain), indent: 0, hanging: 7))
        if !command.discussion.isEmpty {
            sections.append(wrap(command.discussion, indent: 2, hanging: 2))
        }
        let argumentRows = command.positionals.map { positional in
            var notes: [String] = []
            if let value = positional.defaultValue { notes.append("default: \(value)") }
            if case .choice(let words) = positional.valueType { notes.append("one of: " + words.joined(separator: ", ")) }
            let text = notes.isEmpty ? positional.help : positional.help + " (" + notes.joined(separator: "; ") + ")"
            return ("  " + positional.usageForm, text)
        }
        let helpOption = OptionSpec.flag("help", short: "h", help: "Show this help.")
        let own = command.options + [helpOption]
        let inherited = chain.dropLast().flatMap { $0.options.filter(\.isGlobal) }
        let shortH = (own + inherited).contains { $0.short == "h" && $0.name != "help" }
        var ownRows = own.map { optionRow($0, shortH: shortH) }
        if chain.count == 1, let _ = command.version {
            ownRows.insert(("      --version", "Show the version."), at: ownRows.count - 1)
        }
        let inheritedRows = inherited.map { optionRow($0, shortH: shortH) }
        let subcommandRows = command.subcommands.map(subcommandRow)
        // One description column for the whole page, so every section lines up.
        let column = descriptionColumn(argumentRows + ownRows + inheritedRows + subcommandRows)
        if !argumentRows.isEmpty { sections.append(["Arguments:"] + table(argumentRows, column: column)) }
        sections.append(["Options:"] + table(ownRows, column: column))
        if !inheritedRows.isEmpty { sections.append(["Global options:"] + table(inheritedRows, column: column)) }
        if !subcommandRows.isEmpty { sections.append(["Subcommands:"] + table(subcommandRows, column: column)) }
        if !command.examples.isEmpty {
            sections.append(["Examples:"] + command.examples.map { "  " + $0 })
        }
        if !command.subcommands.isEmpty {
            let topic = chain.count == 1
                ? "'\(commandName) help <subcommand>' or '\(commandName) <subcommand> --help'"
                : "'\(commandName) <subcommand> --help'"
            sections.append(wrap("See \(topic) for more about a subcommand.", indent: 0, hanging: 0))
        }
        return sections.map { $0.joined(separator: "\n") }.joined(separator: "\n\n") + "\n"
    }

    /// The "Subcommands:" section of `command`.
    static func subcommandLines(_ command: CommandSpec) -> [String] {
        let rows = command.subcommands.map(subcommandRow)
        return ["Subcommands:"] + table(rows, column: descriptionColumn(rows))
    }

    private static func subcommandRow(_ sub: CommandSpec) -> (String, String) {
        let aliases = sub.aliases.isEmpty ? "" : " (also: \(sub.aliases.joined(separator: ", ")))"
        return ("  " + sub.name, sub.abstract + aliases)
    }

    private static func descriptionColumn(_ rows: [(String, String)]) -> Int {
        min(maxNameColumn, (rows.map(\.0.count).max() ?? 0) + 2)
    }

    /// One usage line: required options, then the optional ones (collapsed to `[options]` when
    /// listing them would not fit on a line), then positionals or `<subcommand>`.
    static func usage(chain: [CommandSpec]) -> String {
        let command = chain[chain.count - 1]
        let visible = chain.dropLast().flatMap { $0.options.filter(\.isGlobal) } + command.options
        let name = chain.map(\.name).joined(separator: " ")
        let required = visible.filter(\.isRequired).map { option in
            option.kind == .repeated ? option.usageForm + " ..." : option.usageForm
        }
        let optional = visible.filter { !$0.isRequired }.map { option in
            option.kind == .repeated ? "[\(option.usageForm) ...]" : "[\(option.usageForm)]"
        }
        var tail = command.positionals.map(\.usageForm)
        if !command.subcommands.isEmpty && command.positionals.isEmpty { tail = ["<subcommand>"] }
        let full = ([name] + required + optional + tail).joined(separator: " ")
        if full.count + "Usage: ".count <= width || optional.isEmpty { return full }
        return ([name] + required + ["[options]"] + tail).joined(separator: " ")
    }

    private static func optionRow(_ option: OptionSpec, shortH: Bool) -> (String, String) {
        var left = "  "
        if let short = option.short, !(option.name == "help" && shortH) {
            left += "-\(short), "
        } else {
            left += "    "
        }
        left += option.usageForm
        var notes: [String] = []
        if option.isRequired { notes.append("required") }
        if let value = option.defaultValue { notes.append("default: \(value)") }
        if option.kind == .repeated { notes.append("repeatable") }
        if case .choice(let words) = option.valueType { notes.append("one of: " + words.joined(separator: ", ")) }
        let text = notes.isEmpty ? option.help : option.help + " (" + notes.joined(separator: "; ") + ")"
        return (left, text)
    }

    /// Two columns: names on the left, wrapped descriptions aligned on the right. A name too
    /// long for the column puts its description on the next line.
    private static func table(_ rows: [(String, String)], column: Int) -> [String] {
        var lines: [String] = []
        for (left, text) in rows {
            let body = wrap(text, indent: column, hanging: column)
            guard let first = body.first else { lines.append(left); continue }
            if left.count + 2 <= column {
                let padded = left.padding(toLength: column)
                lines.append(padded + first.dropFirst(column))
                lines.append(contentsOf: body.dropFirst())
            } else {
                lines.append(left)
                lines.append(contentsOf: body)
            }
        }
        return lines
    }

    /// Word-wraps `text` to ``width``: the first line indented by `indent`, the following ones by
    /// `hanging`. Blank lines separate paragraphs; lines starting with a space are kept as written.
    static func wrap(_ text: String, indent: Int, hanging: Int) -> [String] {
        var lines: [String] = []
        for raw in text.split(separator: "\n", omittingEmptySubsequences: false) {
            if raw.trimmingSpaces.isEmpty {
                lines.append("")
                continue
            }
            let lead = String(repeating: " ", count: lines.isEmpty ? indent : hanging)
            if raw.hasPrefix(" ") {
                lines.append(lead + raw)
                continue
            }
            var line = lead
            var lineHasWord = false
            for word in raw.split(separator: " ") {
                if lineHasWord && line.count + 1 + word.count > width {
                    lines.append(line)
                    line = String(repeating: " ", count: hanging)
                    lineHasWord = false
                }
                line += (lineHasWord ? " " : "") + word
                lineHasWord = true
            }
            lines.append(line)
        }
        return lines
    }
}

private extension String {
    func padding(toLength length: Int) -> String {
        count >= length ? self : self + String(repeating: " ", count: length - count)
    }
}

private extension Substring {
    var trimmingSpaces: Substring { drop { $0 == " " || $0 == "\t" } }
}
