import ByteUnits
import CommandLineKit
import Testing

@Suite("Help text")
struct HelpTests {
    @Test func generateHelpListsUsageAndEveryOption() throws {
        let text = try #require(try helpRequest(["generate", "--help"])?.text)
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        #expect(lines.first == "fusion generate: Generate text with one local model.")
        #expect(lines.contains("Usage: fusion generate --model <id> [options] <prompt>"))
        #expect(text.contains("  The prompt is wrapped in the model's chat template unless --raw is given."))
        #expect(text.contains("Arguments:\n  <prompt>"))
        for option in fusionSpec.subcommand(named: "generate")!.options {
            #expect(text.contains(option.usageForm), "missing \(option.usageForm)")
        }
        #expect(lines.contains { $0.hasPrefix("  -m, --model <id> ") && $0.hasSuffix("(required)") })
        #expect(lines.contains { $0.hasPrefix("      --json ") })
        #expect(text.contains("(default: 0.8)"))
        #expect(text.contains("(default: -1)"))
        #expect(text.contains("(repeatable)"))
        #expect(text.contains("(default: text; one of: text, json)"))
        #expect(text.contains("  -h, --help"))
        #expect(text.contains("Global options:\n  -v, --verbose"))
        #expect(text.contains("Examples:\n  fusion generate -m smollm2-135m \"Name three colors.\""))
        #expect(!text.contains("Subcommands:"))
        #expect(lines.allSatisfy { $0.count <= 80 }, "a line is wider than 80 columns")
    }

    @Test func descriptionsAlignInOneColumn() throws {
        let text = try #require(CommandLineParser.helpText(for: ["generate"], in: fusionSpec))
        let rows = text.split(separator: "\n").filter { $0.hasPrefix("  -") }
        let columns = Set(rows.compactMap { row -> Int? in
            guard let range = row.range(of: "  ", options: [], range: row.index(row.startIndex, offsetBy: 3)..<row.endIndex)
            else { return nil }
            return row.distance(from: row.startIndex, to: range.lowerBound)
                + row[range.lowerBound...].prefix { $0 == " " }.count
        })
        #expect(columns.count == 1, "descriptions start at columns \(columns)")
    }

    @Test func rootHelpListsSubcommands() throws {
        let text = try #require(try helpRequest(["--help"])?.text)
        #expect(text.hasPrefix("fusion: Run a panel of local models and fuse their answers.\n"))
        #expect(text.contains("Usage: fusion [--verbose] <subcommand>"))
        #expect(text.contains("  Everything runs offline on this machine."))
        #expect(text.contains("Subcommands:\n  models "))
        #expect(text.contains("  generate "))
        #expect(text.contains("Manage the local model catalog."))
        #expect(text.contains("      --version "))
        #expect(text.contains("See 'fusion help <subcommand>' or 'fusion <subcommand> --help' for more about a\nsubcommand."))
        #expect(text.split(separator: "\n").allSatisfy { $0.count <= 80 }, "a line is wider than 80 columns")
    }

    @Test func nestedHelpShowsAliasesAndVariadicUsage() throws {
        let models = try #require(CommandLineParser.helpText(for: ["models"], in: fusionSpec))
        #expect(models.contains("List catalog models and whether they are present. (also: ls)"))
        #expect(models.contains("See 'fusion models <subcommand> --help'"))
        #expect(CommandLineParser.usageLine(for: ["models", "pull"], in: fusionSpec)
                == "fusion models pull [--verbose] [--force] <ids> ...")
        #expect(CommandLineParser.usageLine(for: ["bench"], in: fusionSpec)
                == "fusion bench [--verbose] [--runs <n>] [<model>] [<extra> ...]")
        #expect(CommandLineParser.helpText(for: ["nope"], in: fusionSpec) == nil)
    }

    @Test func longDescriptionsWrapUnderTheirColumn() throws {
        let long = String(repeating: "word ", count: 40)
        let spec = CommandSpec("t", abstract: "Test.", options: [.flag("a", help: long)])
        let text = try #require(CommandLineParser.helpText(in: spec))
        let rows = text.split(separator: "\n").map(String.init).filter { $0.contains("word") }
        #expect(rows.count > 1)
        #expect(rows.allSatisfy { $0.count <= 80 })
        // Continuation lines start exactly where the first line's description starts.
        let first = try #require(rows.first)
        #expect(first.hasPrefix("      --a "))
        let column = try #require(first.range(of: "word")).lowerBound.utf16Offset(in: first)
        #expect(rows.dropFirst().allSatisfy { $0.hasPrefix(String(repeating: " ", count: column) + "word") })
    }

    @Test func discussionKeepsIndentedLines() throws {
        let spec = CommandSpec("t", discussion: "Example:\n    t --flag\nDone.")
        let text = try #require(CommandLineParser.helpText(in: spec))
        #expect(text.contains("  Example:\n      t --flag\n  Done."))
    }
}

@Suite("Byte sizes")
struct ByteSizeTests {
    @Test(arguments: [
        ("512", Int64(512)), ("512B", 512), ("1k", 1_000), ("64KB", 64_000), ("1.2GB", 1_200_000_000),
        ("1.2 GB", 1_200_000_000), ("800MiB", 800 * 1_048_576), ("800mib", 800 * 1_048_576),
        ("1.5GiB", 1_610_612_736), ("2Ti", 2 << 40), ("0.5K", 500), (".5MB", 500_000), ("3.", 3),
        ("1TB", 1_000_000_000_000), (" 7 bytes ", 7), ("0", 0),
    ] as [(String, Int64)])
    func parses(text: String, bytes: Int64) {
        #expect(ByteSize.parse(text) == bytes)
    }

    @Test(arguments: ["", "GB", "-1GB", "1.2.3GB", "12 parsecs", "1e3", "99999999999TB", "1,5GB", "."])
    func rejects(text: String) {
        #expect(ByteSize.parse(text) == nil)
    }

    @Test func formats() {
        #expect(ByteSize.format(512) == "512 B")
        #expect(ByteSize.format(800 * 1_048_576) == "800 MiB")
        #expect(ByteSize.format(1_610_612_736) == "1.5 GiB")
    }
}
