import Eval
import Foundation
import Testing
@testable import EvalRunner
#if canImport(FoundationXML)
import FoundationXML
#endif

/// The report on a small hand-made results directory whose numbers are known.
///
/// Items: arc/00001…10 (gold A B C D A B C D A B) and gsm8k/00001…4 (gold 10 20 30 40).
/// - solo-a: arc 1–6 right, gsm8k 1–2 right → 8/14 (best member overall and on arc)
/// - solo-b: arc 1–3 right, arc 4–10 unreadable, gsm8k 1–3 right → 6/14 (best member on gsm8k)
/// - solo-c: always "A" on arc (3/10), no gsm8k → the "always A" warning
/// - fusion-ab: arc 1–5 and 7, gsm8k all → 10/14: rescues arc7 gsm3 gsm4, breaks arc6
/// - vote-ab: arc 1–3, gsm8k 1 → 4/14: measurably worse than solo-a
/// - self-a (one model): everything right → measurably better than solo-a
@Suite("Eval report on recorded results", .serialized)
struct EvalReportTests {
    static let arcGold = ["A", "B", "C", "D", "A", "B", "C", "D", "A", "B"]
    static let gsmGold = ["10", "20", "30", "40"]

    /// One hand-written result line (not produced by our encoder, so the reader is held to the format).
    static func line(_ condition: String, _ kind: String, _ members: [String], _ id: String, gold: String, type: String,
                     answer: String?, correct: Bool, seconds: Double, split: String = "dev") -> String {
        let extracted = answer.map { "\"\($0)\"" } ?? "null"
        let memberList = members.map { "\"\($0)\"" }.joined(separator: ",")
        return #"{"condition":"\#(condition)","kind":"\#(kind)","member_models":[\#(memberList)],"id":"\#(id)","task":"\#(id.split(separator: "/")[0])","split":"\#(split)","gold":"\#(gold)","answer_type":"\#(type)","raw":"Answer: \#(answer ?? "?")","extracted":\#(extracted),"correct":\#(correct),"parse_failed":\#(answer == nil),"seconds":\#(seconds),"prompt_tokens":100,"completion_tokens":50,"tokens":150,"members":[],"cached":false}"#
    }

    /// Writes the fixture directory; `right(task, index)` says which items a condition gets right.
    static func fixtures() throws -> String {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("evalreport-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        func write(_ condition: String, _ kind: String, _ members: [String], seconds: Double, tasks: [String] = ["arc", "gsm8k"],
                   answer: (String, Int, String) -> String?) throws {
            var lines: [String] = []
            for task in tasks {
                let golds = task == "arc" ? arcGold : gsmGold
                for (i, gold) in golds.enumerated() {
                    let a = answer(task, i + 1, gold)
                    lines.append(line(condition, kind, members, "\(task)/\(String(format: "%05d", i + 1))", gold: gold,
                                      type: task == "arc" ? "letter" : "number", answer: a, correct: a == gold, seconds: seconds))
                }
            }
            if condition == "solo-a" {   // a held-out line that must never be reported
                lines.append(line(condition, kind, members, "arc/00015", gold: "C", type: "letter", answer: "A", correct: false,
                                  seconds: seconds, split: "heldout"))
            }
            try (lines.joined(separator: "\n") + "\n").write(toFile: directory + "/\(condition).jsonl", atomically: true, encoding: .utf8)
        }
        // A wrong letter that varies with the item, so only solo-c is stuck on one letter.
        func wrong(_ task: String, _ gold: String, _ i: Int) -> String {
            guard task == "arc", let g = ["A", "B", "C", "D"].firstIndex(of: gold) else { return "0" }
            return ["A", "B", "C", "D"][(g + 1 + i % 3) % 4]
        }
        try write("solo-a", "solo", ["a"], seconds: 2) { t, i, g in (t == "arc" ? i <= 6 : i <= 2) ? g : wrong(t, g, i) }
        try write("solo-b", "solo", ["b"], seconds: 1) { t, i, g in
            t == "arc" ? (i <= 3 ? g : nil) : (i <= 3 ? g : wrong(t, g, i))
        }
        try write("solo-c", "solo", ["c"], seconds: 0.5, tasks: ["arc"]) { _, _, _ in "A" }
        try write("fusion-ab", "fusion", ["a", "b"], seconds: 10) { t, i, g in
            (t == "arc" ? (i <= 5 || i == 7) : true) ? g : wrong(t, g, i)
        }
        try write("vote-ab", "vote", ["a", "b"], seconds: 3) { t, i, g in (t == "arc" ? i <= 3 : i <= 1) ? g : wrong(t, g, i) }
        try write("self-a", "self", ["a"], seconds: 8) { _, _, g in g }
        return directory
    }

    static func report() throws -> (EvalReport, String) {
        let directory = try fixtures()
        return (try EvalReport(records: try EvalResultsFile.readDirectory(directory)), directory)
    }

    @Test("accuracy, Wilson intervals, parse failures and the held-out exclusion")
    func accuracy() throws {
        let (report, directory) = try Self.report()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        #expect(report.tasks == ["arc", "gsm8k"])
        #expect(report.excludedHeldout == 1)
        let overall = Dictionary(uniqueKeysWithValues: report.rows(task: nil).map { ($0.condition, $0) })
        #expect(overall["solo-a"]?.accuracy == EvalStatistics.wilson(successes: 8, total: 14))
        #expect(overall["solo-b"]?.accuracy == EvalStatistics.wilson(successes: 6, total: 14))
        #expect(overall["fusion-ab"]?.accuracy == EvalStatistics.wilson(successes: 10, total: 14))
        #expect(overall["solo-b"]?.parseFailures == EvalStatistics.wilson(successes: 7, total: 14))
        #expect(overall["solo-a"]?.bestMember == nil, "solo rows have no baseline")
        // Solo rows first, then votes and ceilings, then fusions.
        #expect(report.rows(task: nil).map(\.condition) == ["solo-a", "solo-b", "solo-c", "vote-ab", "fusion-ab", "self-a"])
    }

    @Test("best member per scope, paired deltas with bootstrap intervals, rescues and regressions")
    func pairedDeltas() throws {
        let (report, directory) = try Self.report()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let fusion = try #require(report.rows(task: nil).first { $0.condition == "fusion-ab" })
        #expect(fusion.bestMember == "solo-a")
        #expect(fusion.counts?.rescues == ["arc/00007", "gsm8k/00003", "gsm8k/00004"])
        #expect(fusion.counts?.regressions == ["arc/00006"])
        let delta = try #require(fusion.delta)
        #expect(abs(delta.delta - 2.0 / 14) < 1e-12)
        #expect(delta.low <= delta.delta && delta.delta <= delta.high && delta.low < 0, "3 vs 1 on 14 items is noise")
        #expect(delta.seed == EvalStatistics.defaultBootstrapSeed && delta.resamples == 2000)
        // Identical results, identical report.
        #expect(try Self.report().0.rows(task: nil).first { $0.condition == "fusion-ab" }?.delta == delta)

        let gsm = try #require(report.rows(task: "gsm8k").first { $0.condition == "fusion-ab" })
        #expect(gsm.bestMember == "solo-b", "per task the best member is chosen on that task")
        #expect(gsm.counts?.rescues == ["gsm8k/00004"] && gsm.counts?.regressions == [])

        let vote = try #require(report.rows(task: nil).first { $0.condition == "vote-ab" })
        #expect(vote.delta.map { $0.high < 0 } == true, "4 regressions, no rescue: measurably worse")
        let selfRow = try #require(report.rows(task: nil).first { $0.condition == "self-a" })
        #expect(selfRow.bestMember == "solo-a")
        #expect(selfRow.delta.map { $0.low > 0 } == true)

        let verdicts = report.verdicts()
        #expect(verdicts.first { $0.condition == "vote-ab" && $0.task == nil }?.outcome == .worse)
        #expect(verdicts.first { $0.condition == "fusion-ab" && $0.task == "arc" }?.outcome == .doesNotBeat)
        #expect(verdicts.first { $0.condition == "fusion-ab" && $0.task == nil }?.outcome == .notMeasurably)
        #expect(verdicts.first { $0.condition == "self-a" && $0.task == nil }?.outcome == .beats)
    }

    @Test("cost per item, the letter histogram warning, and plain statements in the Markdown")
    func markdown() throws {
        let (report, directory) = try Self.report()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let costs = Dictionary(uniqueKeysWithValues: report.costs().map { ($0.condition, $0) })
        #expect(costs["fusion-ab"]?.secondsPerItem == 10 && costs["fusion-ab"]?.medianSecondsPerItem == 10)
        #expect(costs["solo-a"]?.items == 14)
        #expect(costs["solo-a"]?.promptTokensPerItem == 100 && costs["solo-a"]?.completionTokensPerItem == 50)

        let checks = report.letterChecks()
        let stuck = try #require(checks.first { $0.condition == "solo-c" })
        #expect(stuck.warn && stuck.histogram.dominant?.letter == "A" && stuck.histogram.dominant?.share == 1)
        #expect(checks.filter(\.warn).map(\.condition) == ["solo-c"])

        let text = report.markdown(chartFile: "eval-accuracy.svg", source: "results")
        #expect(text.hasPrefix(EvalReport.generatedMarker))
        #expect(text.contains("**vote-ab** does not beat its best member"))
        #expect(text.contains("**worse**"))
        #expect(text.contains("**fusion-ab** does not beat its best member"))
        #expect(text.contains("**self-a** beats its best member (solo-a) on all tasks"))
        #expect(text.contains("⚠ **solo-c** on arc answers A 100.0 %"))
        #expect(text.contains("| fusion-ab | fusion | 14 | 71.4 ["))
        #expect(text.contains("![Accuracy per task and condition with 95 % Wilson intervals](eval-accuracy.svg)"))
        #expect(text.contains("1 held-out result lines were left out"))
        #expect(!text.contains("arc/00015"))

        let kept = EvalReport.document(existing: "# My header\n\nhand-written\n\n" + EvalReport.generatedMarker + "\nold numbers\n",
                                       generated: text)
        #expect(kept.hasPrefix("# My header\n\nhand-written\n\n" + EvalReport.generatedMarker))
        #expect(!kept.contains("old numbers"))
        #expect(EvalReport.document(existing: nil, generated: text).hasPrefix(EvalReport.defaultHeader))
    }

    @Test("only held-out lines: nothing to report without a final check")
    func heldoutOnly() throws {
        let lines = [EvalResultRecord(condition: "s", kind: .solo, memberModels: ["a"], id: "arc/00005", task: "arc",
                                      split: .heldout, gold: "A", answerType: .letter, raw: "", extracted: "A", correct: true,
                                      parseFailed: false, seconds: 1, promptTokens: 1, completionTokens: 1, members: [])]
        #expect(throws: EvalReportError.self) { try EvalReport(records: ["s": lines]) }
        #expect(try EvalReport(records: ["s": lines], includeHeldout: true).conditions.count == 1)
    }

    @Test("the SVG chart is well-formed XML with one bar per condition and group")
    func svg() throws {
        let (report, directory) = try Self.report()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let chart = EvalChart(report: report)
        #expect(chart.groups.map(\.label) == ["all tasks", "arc", "gsm8k"])
        #expect(chart.groups.map(\.bars.count) == [6, 6, 5])
        let svg = chart.svg
        #expect(svg.hasPrefix("<?xml"))

        final class Counter: NSObject, XMLParserDelegate {
            var elements: [String: Int] = [:]
            var root: String?
            func parser(_ parser: XMLParser, didStartElement name: String, namespaceURI: String?, qualifiedName: String?,
                        attributes: [String: String] = [:]) {
                if root == nil { root = name }
                elements[name, default: 0] += 1
            }
        }
        let parser = XMLParser(data: Data(svg.utf8))
        let counter = Counter()
        parser.delegate = counter
        #expect(parser.parse(), "\(parser.parserError.map { String(describing: $0) } ?? "")")
        #expect(counter.root == "svg")
        // Background + 17 bars + 6 legend swatches.
        #expect(counter.elements["rect"] == 1 + 17 + 6)
        #expect((counter.elements["text"] ?? 0) >= 6 + 3)
        // Names with XML metacharacters are escaped.
        #expect(EvalChart.escape(#"a<b & "c""#) == "a&lt;b &amp; &quot;c&quot;")
    }
}
