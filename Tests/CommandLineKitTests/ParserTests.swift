import CommandLineKit
import Testing

@Suite("Parsing")
struct ParserTests {
    @Test func specHasNoProblems() {
        #expect(fusionSpec.problems() == [])
    }

    @Test func nestedSubcommandsAndVariadicPositionals() throws {
        let parsed = try command(["models", "pull", "smollm2-135m", "gemma3-270m", "--force"])
        #expect(parsed.path == ["models", "pull"])
        #expect(parsed.commandPath == ["fusion", "models", "pull"])
        #expect(parsed.spec.name == "pull")
        #expect(parsed.strings("ids") == ["smollm2-135m", "gemma3-270m"])
        #expect(parsed.flag("force"))
        #expect(parsed.positional(0) == "smollm2-135m")
        #expect(parsed.positional(1) == "gemma3-270m")
        #expect(parsed.positional(2) == nil)
        #expect(parsed.positionals == ["smollm2-135m", "gemma3-270m"])
    }

    @Test func subcommandAlias() throws {
        let parsed = try command(["models", "ls", "--json"])
        #expect(parsed.path == ["models", "list"])
        #expect(parsed.flag("json"))
    }

    @Test func longOptionsWithSpaceOrEquals() throws {
        let spaced = try command(["generate", "-m", "x", "--threads", "4", "hi"])
        let joined = try command(["generate", "-m", "x", "--threads=4", "hi"])
        #expect(try spaced.int("threads") == 4)
        #expect(try joined.int("threads") == 4)
        let empty = try command(["generate", "-m", "x", "--stop=", "hi"])
        #expect(empty.strings("stop") == [""])
        let withEquals = try command(["generate", "-m", "x", "--stop=a=b", "hi"])
        #expect(withEquals.strings("stop") == ["a=b"])
    }

    @Test func shortAliasesAttachedAndBundled() throws {
        #expect(try command(["generate", "-m", "qwen", "hi"]).string("model") == "qwen")
        #expect(try command(["generate", "-mqwen", "hi"]).string("model") == "qwen")
        #expect(try command(["generate", "-m=qwen", "hi"]).string("model") == "qwen")
        let bundled = try command(["generate", "-vt", "3", "-m", "x", "hi"])
        #expect(bundled.flag("verbose"))
        #expect(try bundled.int("threads") == 3)
        #expect(try command(["-vv", "models", "list", "-v"]).flagCount("verbose") == 3)
    }

    @Test func flagsDefaultToFalse() throws {
        let parsed = try command(["generate", "-m", "x", "hi"])
        #expect(!parsed.flag("json"))
        #expect(!parsed.flag("raw"))
        #expect(try parsed.bool("json") == false)
        #expect(!parsed.isSet("json"))
    }

    @Test func repeatedOptionsKeepEveryValueInOrder() throws {
        let parsed = try command(["generate", "-m", "x", "--stop", "x", "--stop", "y", "--stop=z", "hi"])
        #expect(parsed.strings("stop") == ["x", "y", "z"])
        #expect(parsed.string("stop") == "z")
        #expect(try command(["generate", "-m", "x", "hi"]).strings("stop") == [])
    }

    @Test func singleOptionGivenTwiceLastWins() throws {
        let parsed = try command(["generate", "-m", "a", "--model", "b", "hi"])
        #expect(parsed.string("model") == "b")
    }

    @Test func defaultsAndTypedGetters() throws {
        let parsed = try command(["generate", "-m", "x", "hi"])
        #expect(try parsed.double("temperature") == 0.8)
        #expect(try parsed.int("max-tokens") == 512)
        #expect(try parsed.int("threads") == nil)
        #expect(try parsed.int("seed") == -1)
        #expect(try parsed.byteSize("memory") == 8 << 30)
        #expect(parsed.string("format") == "text")
        #expect(try parsed.bool("color") == nil)
        #expect(!parsed.isSet("temperature"))

        let given = try command(["generate", "-m", "x", "--temperature", "0", "--memory", "1.2GB",
                                 "--color=yes", "--format", "json", "hi"])
        #expect(try given.double("temperature") == 0)
        #expect(try given.byteSize("memory") == 1_200_000_000)
        #expect(try given.bool("color") == true)
        #expect(given.string("format") == "json")
        #expect(given.isSet("temperature"))
    }

    @Test func negativeNumbersAreValues() throws {
        let parsed = try command(["generate", "-m", "x", "--seed", "-1", "--temperature", "-0.5", "hi"])
        #expect(try parsed.int("seed") == -1)
        #expect(try parsed.double("temperature") == -0.5)
        // As a positional too, when no short option is a digit.
        #expect(try command(["generate", "-m", "x", "-42"]).string("prompt") == "-42")
    }

    @Test func doubleDashEndsOptions() throws {
        let parsed = try command(["generate", "-m", "x", "--", "--json is not a flag here"])
        #expect(parsed.string("prompt") == "--json is not a flag here")
        #expect(!parsed.flag("json"))
        let pull = try command(["models", "pull", "--", "-weird-id", "--help"])
        #expect(pull.strings("ids") == ["-weird-id", "--help"])
        #expect(try command(["generate", "-m", "x", "-"]).string("prompt") == "-")
    }

    @Test func optionalAndVariadicPositionals() throws {
        let none = try command(["bench"])
        #expect(none.string("model") == "smollm2-135m")
        #expect(!none.isSet("model"))
        #expect(none.strings("extra") == [])
        let several = try command(["bench", "a", "b", "c", "-r", "5"])
        #expect(several.string("model") == "a")
        #expect(several.strings("extra") == ["b", "c"])
        #expect(try several.int("runs") == 5)
    }

    @Test func optionsAfterPositionals() throws {
        let parsed = try command(["generate", "hi there", "-m", "x", "--json"])
        #expect(parsed.string("prompt") == "hi there")
        #expect(parsed.flag("json"))
    }

    @Test func globalOptionsWorkAtEveryDepth() throws {
        #expect(try command(["-v", "models", "list"]).flag("verbose"))
        #expect(try command(["models", "list", "--verbose"]).flag("verbose"))
        #expect(try command(["generate", "-m", "x", "hi", "-v"]).flag("verbose"))
    }

    @Test func getterErrorsNameTheOptionAndForm() throws {
        let spec = CommandSpec("tool", options: [.option("count", value: "n", help: "Untyped count.")])
        let parsed = try command(["--count", "many"], spec: spec)
        #expect(throws: CommandLineError(.invalidValue(option: "--count", value: "many",
                                                       expected: "an integer (e.g. 4 or -1)"),
                                         commandPath: ["tool"])) {
            try parsed.int("count")
        }
        let error = parsed.invalidValue("count", "a number of files")
        #expect(error.description == "invalid value 'many' for '--count': expected a number of files")
    }

    @Test func helpIsAnOutcomeNotAnError() throws {
        #expect(try helpRequest(["--help"])?.path == [])
        #expect(try helpRequest(["-h"])?.path == [])
        #expect(try helpRequest(["models", "pull", "--help"])?.path == ["models", "pull"])
        #expect(try helpRequest(["generate", "-h"])?.path == ["generate"])
        #expect(try helpRequest(["help"])?.path == [])
        #expect(try helpRequest(["help", "models", "pull"])?.path == ["models", "pull"])
        #expect(try helpRequest(["--help", "models", "pull"])?.path == ["models", "pull"])
        #expect(try helpRequest(["-h", "generate", "hello"])?.path == ["generate"])
        // Help wins over errors elsewhere on the line, and over missing required values.
        #expect(try helpRequest(["generate", "--bogus", "--help"])?.path == ["generate"])
        #expect(try helpRequest(["generate", "--model", "--help"])?.path == ["generate"])
    }

    @Test func versionOnlyAtTheRoot() throws {
        guard case .version(let text) = try CommandLineParser.parse(["--version"], spec: fusionSpec) else {
            Issue.record("expected a version outcome")
            return
        }
        #expect(text == "fusion 0.1.0")
        #expect(usageError(["models", "list", "--version"])?.reason == .unknownOption("--version", suggestion: nil))
    }

    @Test func userDeclaredShortHIsNotHelp() throws {
        let spec = CommandSpec("tool", options: [.option("host", short: "h", value: "addr", help: "Host.")])
        #expect(try command(["-h", "127.0.0.1"], spec: spec).string("host") == "127.0.0.1")
        #expect(try helpRequest(["--help"], spec: spec) != nil)
    }

    @Test func specProblemsAreReported() {
        let bad = CommandSpec("bad",
                              options: [.option("n", type: .integer, default: "x", help: ""),
                                        .flag("n", help: ""), .flag("a", short: "a", help: ""),
                                        .flag("b", short: "a", help: "")],
                              positionals: [.optional("x", help: ""), .required("y", help: "")],
                              subcommands: [CommandSpec("s"), CommandSpec("s")])
        let problems = bad.problems()
        #expect(problems.contains("bad: duplicate option --n"))
        #expect(problems.contains("bad: duplicate short option -a"))
        #expect(problems.contains("bad: default 'x' of --n is not an integer (e.g. 4 or -1)"))
        #expect(problems.contains("bad: required <y> comes after an optional positional"))
        #expect(problems.contains("bad: duplicate subcommand 's'"))
    }

    @Test func exitCodes() {
        #expect(ExitCode.success.rawValue == 0)
        #expect(ExitCode.failure.rawValue == 1)
        #expect(ExitCode.usage.rawValue == 64)
        #expect(CommandLineError(.missingArgument(name: "x"), commandPath: ["t"]).exitCode == .usage)
    }
}
