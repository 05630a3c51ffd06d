// The result of a parse, with typed getters that fall back to declared defaults, and byte sizes.
import ByteUnits
import Foundation

/// A parsed command line: which command to run and the values given to it.
///
/// Options and positionals share one namespace, so `string("prompt")` reads a positional and
/// `string("model")` an option. Getters return the given value, else the declared default, else
/// nil (or `[]`/`false`). Asking for a name the command does not declare is a programming error
/// and traps, so a typo in the program shows up on its first run.
public struct ParsedCommand: Sendable {
    /// The subcommand chain without the program name: `["models", "pull"]`; `[]` for the root.
    public let path: [String]
    /// The full command: `["fusion", "models", "pull"]`.
    public let commandPath: [String]
    /// The specification of the command that was selected (the last in the chain).
    public let spec: CommandSpec
    /// Every positional word given to the command, in order.
    public let positionals: [String]

    private let options: [String: OptionSpec]
    private let optionValues: [String: [String]]
    private let positionalSpecs: [String: PositionalSpec]
    private let positionalValues: [String: [String]]
    private let chain: [CommandSpec]

    init(chain: [CommandSpec], options: [OptionSpec], optionValues: [String: [String]],
         positionalValues: [String: [String]], words: [String]) {
        self.chain = chain
        self.commandPath = chain.map(\.name)
        self.path = Array(commandPath.dropFirst())
        self.spec = chain[chain.count - 1]
        self.positionals = words
        self.options = Dictionary(options.map { ($0.name, $0) }, uniquingKeysWith: { _, last in last })
        self.optionValues = optionValues
        self.positionalSpecs = Dictionary(spec.positionals.map { ($0.name, $0) }, uniquingKeysWith: { _, last in last })
        self.positionalValues = positionalValues
    }

    /// The generated help text of the selected command (e.g. to show when a command has nothing to do).
    public var helpText: String { HelpFormatter.help(chain: chain) }

    /// Whether the option or positional `name` was given on the command line (defaults do not count).
    public func isSet(_ name: String) -> Bool {
        lookup(name)
        return optionValues[name] != nil || positionalValues[name]?.isEmpty == false
    }

    /// Whether the flag `name` was given.
    public func flag(_ name: String) -> Bool { flagCount(name) > 0 }

    /// How many times the flag `name` was given (`-vvv` → 3).
    public func flagCount(_ name: String) -> Int {
        lookup(name)
        return optionValues[name]?.count ?? 0
    }

    /// The value of `name` (the last one given), else its default, else nil.
    public func string(_ name: String) -> String? {
        let (given, fallback) = lookup(name)
        return given.last ?? fallback
    }

    /// Every value of a repeated option or variadic positional, in order (`[]` if none).
    /// For a single-value option or positional: its value (or default) as a one-element array.
    public func strings(_ name: String) -> [String] {
        let (given, fallback) = lookup(name)
        if !given.isEmpty { return given }
        return fallback.map { [$0] } ?? []
    }

    /// The value of `name` as an integer; throws ``CommandLineError`` if it is not one.
    public func int(_ name: String) throws(CommandLineError) -> Int? {
        try convert(name, as: .integer) { Int($0) }
    }

    /// The value of `name` as a finite number; throws ``CommandLineError`` if it is not one.
    public func double(_ name: String) throws(CommandLineError) -> Double? {
        try convert(name, as: .number) { text in Double(text).flatMap { $0.isFinite ? $0 : nil } }
    }

    /// The value of `name` as a byte count (`1.2GB` → 1_200_000_000); throws if malformed.
    public func byteSize(_ name: String) throws(CommandLineError) -> Int64? {
        try convert(name, as: .byteSize) { ByteSize.parse($0) }
    }

    /// The value of `name` as a Boolean (`true`/`false`, `yes`/`no`, `on`/`off`, `1`/`0`).
    /// For a flag this is the same as ``flag(_:)``.
    public func bool(_ name: String) throws(CommandLineError) -> Bool? {
        if options[name]?.kind == .flag { return flag(name) }
        return try convert(name, as: .boolean) { ValueType.parseBool($0) }
    }

    /// Every value of `name` as integers (for repeated options and variadic positionals).
    public func ints(_ name: String) throws(CommandLineError) -> [Int] {
        var result: [Int] = []
        for text in strings(name) {
            guard let value = Int(text) else { throw invalid(name, text, ValueType.integer.expectation) }
            result.append(value)
        }
        return result
    }

    /// The positional word at `index` (counting every positional word given), or nil.
    public func positional(_ index: Int) -> String? {
        positionals.indices.contains(index) ? positionals[index] : nil
    }

    /// An error for a value that parsed but is not acceptable to the program, worded like the
    /// parser's own: `parsed.invalidValue("threads", "must be at least 1")`.
    public func invalidValue(_ name: String, _ expected: String) -> CommandLineError {
        invalid(name, string(name) ?? "", expected)
    }

    // MARK: - Internals

    /// The given values and the default of `name`; traps if the command declares no such name.
    @discardableResult
    private func lookup(_ name: String) -> (given: [String], fallback: String?) {
        if let option = options[name] {
            return (optionValues[name] ?? [], option.kind == .flag ? nil : option.defaultValue)
        }
        if let positional = positionalSpecs[name] {
            return (positionalValues[name] ?? [], positional.defaultValue)
        }
        preconditionFailure("CommandLineKit: '\(commandPath.joined(separator: " "))' declares no option or argument named '\(name)'")
    }

    private func convert<T>(_ name: String, as type: ValueType, _ transform: (String) -> T?) throws(CommandLineError) -> T? {
        guard let text = string(name) else { return nil }
        guard let value = transform(text) else { throw invalid(name, text, type.expectation) }
        return value
    }

    private func invalid(_ name: String, _ value: String, _ expected: String) -> CommandLineError {
        let display = options[name] != nil ? "--" + name : "<\(name)>"
        return CommandLineError(.invalidValue(option: display, value: value, expected: expected),
                                commandPath: commandPath)
    }
}
