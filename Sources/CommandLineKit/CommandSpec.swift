// The declarative side of CommandLineKit: what a command accepts, written once as plain values,
// from which both the parser and the generated `--help` text are derived.

import ByteUnits

/// Process exit statuses used by command-line tools (BSD `sysexits.h` for usage errors).
public enum ExitCode: Int32, Sendable {
    /// Everything went fine.
    case success = 0
    /// The command ran but failed (a model failed to load, a download failed, ...).
    case failure = 1
    /// The command line itself was wrong: unknown option, missing argument, bad value (`EX_USAGE`).
    case usage = 64
}

/// The type a value must have. The parser checks it while parsing, so a bad value is reported
/// before the command runs, with a message naming the option and the expected form.
public enum ValueType: Sendable, Equatable {
    /// Any text.
    case string
    /// A whole number such as `4` or `-1`.
    case integer
    /// A decimal number such as `0.7` or `1e-3` (finite).
    case number
    /// A size in bytes such as `512`, `1.2GB` or `800MiB` (see ``ByteSize``).
    case byteSize
    /// `true`/`false`, `yes`/`no`, `on`/`off` or `1`/`0`.
    case boolean
    /// One of a fixed set of words.
    case choice([String])

    /// Describes the accepted form for error messages, e.g. "an integer (e.g. 4)".
    public var expectation: String {
        switch self {
        case .string: return "a text value"
        case .integer: return "an integer (e.g. 4 or -1)"
        case .number: return "a number (e.g. 0.7)"
        case .byteSize: return "a size in bytes (e.g. 512MB, 1.2GB, 800MiB)"
        case .boolean: return "true or false"
        case .choice(let words): return "one of " + words.joined(separator: ", ")
        }
    }

    /// Whether `text` is a valid value of this type.
    public func accepts(_ text: String) -> Bool {
        switch self {
        case .string: return true
        case .integer: return Int(text) != nil
        case .number: return Double(text).map { $0.isFinite } ?? false
        case .byteSize: return ByteSize.parse(text) != nil
        case .boolean: return ValueType.parseBool(text) != nil
        case .choice(let words): return words.contains(text)
        }
    }

    static func parseBool(_ text: String) -> Bool? {
        switch text.lowercased() {
        case "true", "yes", "on", "1": return true
        case "false", "no", "off", "0": return false
        default: return nil
        }
    }
}

/// One named option: a flag (`--json`), an option with a value (`--threads 4`, `--threads=4`,
/// `-t 4`), or a repeatable option (`--stop x --stop y`).
public struct OptionSpec: Sendable, Equatable {
    /// How many values an option takes.
    public enum Kind: Sendable, Equatable {
        /// No value; present or absent (`--json`). May be repeated to count (`-vv`).
        case flag
        /// Exactly one value; given twice, the last one wins.
        case single
        /// One value per occurrence; all are kept in order.
        case repeated
    }

    /// The long name without dashes: `"threads"` for `--threads`.
    public var name: String
    /// The optional one-letter alias: `"t"` for `-t`.
    public var short: Character?
    /// Flag, single value or repeated value.
    public var kind: Kind
    /// The value's placeholder in help and usage text: `n` shows as `--threads <n>`.
    public var valueName: String
    /// The type the value is checked against while parsing.
    public var valueType: ValueType
    /// Used by the getters when the option is absent; shown in help as `(default: …)`.
    public var defaultValue: String?
    /// Parsing fails when a required option is absent.
    public var isRequired: Bool
    /// A global option declared on a parent command is also accepted after its subcommands.
    public var isGlobal: Bool
    /// One or two sentences for `--help`.
    public var help: String

    /// Creates any kind of option; the static factories below read better at call sites.
    public init(name: String, short: Character? = nil, kind: Kind, valueName: String = "value",
                valueType: ValueType = .string, defaultValue: String? = nil, isRequired: Bool = false,
                isGlobal: Bool = false, help: String) {
        self.name = name
        self.short = short
        self.kind = kind
        self.valueName = valueName
        self.valueType = kind == .flag ? .boolean : valueType
        self.defaultValue = defaultValue
        self.isRequired = isRequired
        self.isGlobal = isGlobal
        self.help = help
    }

    /// A flag such as `--json` or `-v`.
    public static func flag(_ name: String, short: Character? = nil, global: Bool = false,
                            help: String) -> OptionSpec {
        OptionSpec(name: name, short: short, kind: .flag, isGlobal: global, help: help)
    }

    /// An option that takes one value, such as `--threads <n>`.
    public static func option(_ name: String, short: Character? = nil, value valueName: String = "value",
                              type: ValueType = .string, default defaultValue: String? = nil,
                              required: Bool = false, global: Bool = false, help: String) -> OptionSpec {
        OptionSpec(name: name, short: short, kind: .single, valueName: valueName, valueType: type,
                   defaultValue: defaultValue, isRequired: required, isGlobal: global, help: help)
    }

    /// An option that may be given several times, such as `--stop <text>`; all values are kept.
    public static func repeated(_ name: String, short: Character? = nil, value valueName: String = "value",
                                type: ValueType = .string, required: Bool = false, global: Bool = false,
                                help: String) -> OptionSpec {
        OptionSpec(name: name, short: short, kind: .repeated, valueName: valueName, valueType: type,
                   isRequired: required, isGlobal: global, help: help)
    }

    /// `--threads`.
    public var longForm: String { "--" + name }

    /// How the option is written in usage lines: `--threads <n>`, or `--json` for a flag.
    public var usageForm: String { kind == .flag ? longForm : "\(longForm) <\(valueName)>" }
}

/// One positional argument. Declare required ones first, then optional ones, then at most one
/// variadic one, which must come last.
public struct PositionalSpec: Sendable, Equatable {
    /// How many words a positional takes.
    public enum Arity: Sendable, Equatable {
        /// Exactly one word, which must be present.
        case required
        /// Zero or one word.
        case optional
        /// All remaining words, at least `minimum` of them.
        case variadic(minimum: Int)
    }

    /// The name used by the getters and shown as `<name>` in help.
    public var name: String
    /// Required, optional or variadic.
    public var arity: Arity
    /// The type each word is checked against while parsing.
    public var valueType: ValueType
    /// Used by the getters when an optional positional is absent.
    public var defaultValue: String?
    /// One or two sentences for `--help`.
    public var help: String

    /// Creates a positional; the static factories below read better at call sites.
    public init(name: String, arity: Arity, valueType: ValueType = .string, defaultValue: String? = nil,
                help: String) {
        self.name = name
        self.arity = arity
        self.valueType = valueType
        self.defaultValue = defaultValue
        self.help = help
    }

    /// A positional that must be present.
    public static func required(_ name: String, type: ValueType = .string, help: String) -> PositionalSpec {
        PositionalSpec(name: name, arity: .required, valueType: type, help: help)
    }

    /// A positional that may be left out.
    public static func optional(_ name: String, type: ValueType = .string, default defaultValue: String? = nil,
                                help: String) -> PositionalSpec {
        PositionalSpec(name: name, arity: .optional, valueType: type, defaultValue: defaultValue, help: help)
    }

    /// A positional that takes all remaining words (at least `minimum`).
    public static func variadic(_ name: String, minimum: Int = 0, type: ValueType = .string,
                                help: String) -> PositionalSpec {
        PositionalSpec(name: name, arity: .variadic(minimum: minimum), valueType: type, help: help)
    }

    /// How the positional is written in usage lines: `<id>`, `[<id>]`, `<id> ...`, `[<id> ...]`.
    public var usageForm: String {
        switch arity {
        case .required: return "<\(name)>"
        case .optional: return "[<\(name)>]"
        case .variadic(let minimum): return minimum > 0 ? "<\(name)> ..." : "[<\(name)> ...]"
        }
    }
}

/// A command: its name, its documentation, what it accepts, and its subcommands (which may
/// have subcommands of their own: `fusion models pull ID`).
public struct CommandSpec: Sendable, Equatable {
    /// The word that selects this command (for the root: the program name).
    public var name: String
    /// Other words that select this command (`ls` for `list`).
    public var aliases: [String]
    /// One line: what the command does.
    public var abstract: String
    /// Longer help shown after the usage line. Lines starting with a space are kept as written.
    public var discussion: String
    /// Named options accepted by this command.
    public var options: [OptionSpec]
    /// Positional arguments accepted by this command (a command with subcommands usually has none).
    public var positionals: [PositionalSpec]
    /// Nested commands.
    public var subcommands: [CommandSpec]
    /// Example command lines shown at the end of the help text.
    public var examples: [String]
    /// When set on the root, `--version` prints it.
    public var version: String?

    /// Creates a command.
    public init(_ name: String, abstract: String = "", discussion: String = "", aliases: [String] = [],
                options: [OptionSpec] = [], positionals: [PositionalSpec] = [],
                subcommands: [CommandSpec] = [], examples: [String] = [], version: String? = nil) {
        self.name = name
        self.aliases = aliases
        self.abstract = abstract
        self.discussion = discussion
        self.options = options
        self.positionals = positionals
        self.subcommands = subcommands
        self.examples = examples
        self.version = version
    }

    /// The subcommand selected by `word` (its name or an alias), if any.
    public func subcommand(named word: String) -> CommandSpec? {
        subcommands.first { $0.name == word || $0.aliases.contains(word) }
    }

    /// The chain of commands from this one down `path` (subcommand names), or nil if a name is unknown.
    public func chain(for path: [String]) -> [CommandSpec]? {
        var chain = [self]
        for word in path {
            guard let next = chain[chain.count - 1].subcommand(named: word) else { return nil }
            chain.append(next)
        }
        return chain
    }

    /// Mistakes in the declaration itself (duplicate names, a required positional after an
    /// optional one, a default that does not fit its type...), for this command and every
    /// subcommand. Meant for a unit test of the program's spec: it should return `[]`.
    public func problems() -> [String] { problems(inherited: []) }

    private func problems(inherited: [OptionSpec]) -> [String] {
        var found: [String] = []
        let visible = inherited + options
        var longs = Set<String>(["help"]), shorts = Set<Character>()
        for option in visible {
            if !longs.insert(option.name).inserted { found.append("\(name): duplicate option --\(option.name)") }
            if let short = option.short, !shorts.insert(short).inserted {
                found.append("\(name): duplicate short option -\(short)")
            }
            if option.name.isEmpty || option.name.hasPrefix("-") || option.name.contains("=") {
                found.append("\(name): invalid option name '\(option.name)'")
            }
            if let value = option.defaultValue, !option.valueType.accepts(value) {
                found.append("\(name): default '\(value)' of --\(option.name) is not \(option.valueType.expectation)")
            }
        }
        var seenOptional = false, seenVariadic = false
        for positional in positionals {
            if longs.contains(positional.name) { found.append("\(name): '\(positional.name)' is both an option and a positional") }
            if seenVariadic { found.append("\(name): <\(positional.name)> comes after a variadic positional") }
            switch positional.arity {
            case .required where seenOptional:
                found.append("\(name): required <\(positional.name)> comes after an optional positional")
            case .optional: seenOptional = true
            case .variadic: seenVariadic = true; seenOptional = true
            default: break
            }
        }
        var words = Set<String>()
        for sub in subcommands {
            for word in [sub.name] + sub.aliases where !words.insert(word).inserted {
                found.append("\(name): duplicate subcommand '\(word)'")
            }
            found += sub.problems(inherited: visible.filter(\.isGlobal)).map { "\(name) " + $0 }
        }
        return found
    }
}
