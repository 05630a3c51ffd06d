import CommandLineKit
import Testing

@Suite("Usage errors")
struct ErrorTests {
    @Test func unknownOptionSuggestsTheClosestName() {
        let error = usageError(["generate", "-m", "x", "--thread", "4", "hi"])
        #expect(error?.reason == .unknownOption("--thread", suggestion: "--threads"))
        #expect(error?.commandPath == ["fusion", "generate"])
        #expect(error?.description == "unknown option '--thread' for 'fusion generate'; did you mean '--threads'?")
        #expect(usageError(["generate", "--temprature", "1"])?.reason == .unknownOption("--temprature", suggestion: "--temperature"))
        #expect(usageError(["generate", "--jsn"])?.reason == .unknownOption("--jsn", suggestion: "--json"))
        // A unique prefix is a good guess too.
        #expect(usageError(["generate", "--ignore"])?.reason == .unknownOption("--ignore", suggestion: "--ignore-eos"))
        #expect(usageError(["models", "list", "--hlep"])?.reason == .unknownOption("--hlep", suggestion: "--help"))
    }

    @Test func unknownOptionWithNothingClose() {
        let error = usageError(["generate", "--zzzzzzzz"])
        #expect(error?.reason == .unknownOption("--zzzzzzzz", suggestion: nil))
        #expect(error?.description == "unknown option '--zzzzzzzz' for 'fusion generate'")
        #expect(usageError(["generate", "-Q"])?.reason == .unknownOption("-Q", suggestion: nil))
    }

    @Test func unknownSubcommand() {
        let close = usageError(["modles", "list"])
        #expect(close?.reason == .unknownSubcommand("modles", suggestion: "models", available: ["models", "generate", "bench"]))
        #expect(close?.description == "unknown subcommand 'modles' for 'fusion'; did you mean 'models'?")
        let far = usageError(["models", "xyzzy"])
        #expect(far?.description == "unknown subcommand 'xyzzy' for 'fusion models' (expected one of: list, pull, info)")
    }

    @Test func missingSubcommand() {
        let error = usageError(["models"])
        #expect(error?.reason == .missingSubcommand(available: ["list", "pull", "info"]))
        #expect(error?.description == "'fusion models' needs a subcommand: list, pull, info")
        #expect(usageError([])?.reason == .missingSubcommand(available: ["models", "generate", "bench"]))
    }

    @Test func missingValue() {
        let atEnd = usageError(["generate", "hi", "-m"])
        #expect(atEnd?.reason == .missingValue(option: "-m", valueName: "id"))
        #expect(atEnd?.description == "option '-m' needs a value: -m <id> (or -m=<id>)")
        #expect(usageError(["generate", "hi", "--model", "--json"])?.reason == .missingValue(option: "--model", valueName: "id"))
    }

    @Test func flagWithValue() {
        let error = usageError(["generate", "-m", "x", "--json=yes", "hi"])
        #expect(error?.reason == .unexpectedValue(option: "--json", value: "yes"))
        #expect(error?.description == "option '--json' is a flag and takes no value (got 'yes')")
    }

    @Test func invalidValuesNameTheOptionAndTheExpectedForm() {
        let threads = usageError(["generate", "-m", "x", "--threads", "four", "hi"])
        #expect(threads?.description == "invalid value 'four' for '--threads': expected an integer (e.g. 4 or -1)")
        let short = usageError(["generate", "-m", "x", "-t", "2.5", "hi"])
        #expect(short?.reason == .invalidValue(option: "-t", value: "2.5", expected: "an integer (e.g. 4 or -1)"))
        let temperature = usageError(["generate", "-m", "x", "--temperature=warm", "hi"])
        #expect(temperature?.description == "invalid value 'warm' for '--temperature': expected a number (e.g. 0.7)")
        let memory = usageError(["generate", "-m", "x", "--memory", "lots", "hi"])
        #expect(memory?.description == "invalid value 'lots' for '--memory': expected a size in bytes (e.g. 512MB, 1.2GB, 800MiB)")
        let format = usageError(["generate", "-m", "x", "--format", "xml", "hi"])
        #expect(format?.description == "invalid value 'xml' for '--format': expected one of text, json")
        let color = usageError(["generate", "-m", "x", "--color", "maybe", "hi"])
        #expect(color?.description == "invalid value 'maybe' for '--color': expected true or false")
        let nan = usageError(["generate", "-m", "x", "--temperature", "nan", "hi"])
        #expect(nan?.reason == .invalidValue(option: "--temperature", value: "nan", expected: "a number (e.g. 0.7)"))
    }

    @Test func typedPositionalIsChecked() {
        let spec = CommandSpec("tool", positionals: [.required("count", type: .integer, help: "How many.")])
        #expect(usageError(["x"], spec: spec)?.description == "invalid value 'x' for '<count>': expected an integer (e.g. 4 or -1)")
    }

    @Test func missingRequiredOptionAndArguments() {
        let option = usageError(["generate", "hi"])
        #expect(option?.reason == .missingOption(option: "--model", valueName: "id"))
        #expect(option?.description == "missing required option '--model <id>'")
        let argument = usageError(["generate", "-m", "x"])
        #expect(argument?.description == "missing argument <prompt>")
        #expect(usageError(["models", "pull"])?.reason == .missingArgument(name: "ids"))
    }

    @Test func tooManyArguments() {
        let error = usageError(["generate", "-m", "x", "one", "two"])
        #expect(error?.reason == .unexpectedArgument("two"))
        #expect(error?.description == "unexpected argument 'two' for 'fusion generate'")
    }

    @Test func errorReportShowsUsageAndWhereToLook() {
        guard let error = usageError(["generate", "--thread", "4"]) else {
            Issue.record("expected an error")
            return
        }
        let report = CommandLineParser.errorReport(for: error, spec: fusionSpec)
        let lines = report.split(separator: "\n").map(String.init)
        #expect(lines.first == "error: unknown option '--thread' for 'fusion generate'; did you mean '--threads'?")
        #expect(lines.contains { $0.hasPrefix("Usage: fusion generate --model <id>") })
        #expect(lines.last == "See 'fusion generate --help' for more information.")
    }

    @Test func missingSubcommandReportListsSubcommands() {
        guard let error = usageError(["models"]) else {
            Issue.record("expected an error")
            return
        }
        let report = CommandLineParser.errorReport(for: error, spec: fusionSpec)
        #expect(report.contains("Usage: fusion models [--verbose] <subcommand>"))
        #expect(report.contains("Subcommands:"))
        #expect(report.contains("  pull "))
    }

    @Test func editDistanceSuggestionsStayQuietForShortWords() {
        let spec = CommandSpec("t", options: [.flag("ab", help: ""), .flag("xyz", help: "")])
        #expect(usageError(["--q"], spec: spec)?.reason == .unknownOption("--q", suggestion: nil))
        #expect(usageError(["--XYZ"], spec: spec)?.reason == .unknownOption("--XYZ", suggestion: "--xyz"))
    }
}
