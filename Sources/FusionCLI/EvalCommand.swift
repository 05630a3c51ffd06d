import CommandLineKit
import Eval
import EvalRunner
import Foundation
import Fusion

/// `fusion eval`: run evaluation conditions over the dev items (every model call cached), or
/// write the report of a results directory.
enum EvalCommand {
    static let spec = CommandSpec(
        "eval",
        abstract: "Measure solo models, votes and fusions on the evaluation items, or report the results.",
        discussion: """
            Run mode (--configs): every condition in the given files answers the items of the suite \
            (dev by default) and results/<condition>.jsonl gets one line per item (raw output, \
            extracted answer, correct, parse_failed, seconds, tokens). Every model call is cached \
            under --cache by the sha256 of model, prompt and sampling, so an interrupted run \
            (Ctrl-C) resumes where it stopped and conditions share member answers. Report mode \
            (--report DIR): accuracy with Wilson intervals, paired deltas against the best member \
            with bootstrap intervals, rescues and regressions, repeated draws of a condition \
            (draw_of) pooled into one verdict, parse failures, letter histograms, cost per item, \
            and an SVG chart next to the Markdown file. Compare mode (--compare A.jsonl B.jsonl): two \
            result files paired on the items both hold (one condition before and after a prompt \
            change, or two conditions), overall and per task. The held-out split is for one final \
            check only: --suite heldout needs --final-check.
            """,
        options: [
            .option("suite", value: "split", type: .choice(EvalSplit.allCases.map(\.rawValue)), default: "dev",
                    help: "Which items: dev (tuning and reports) or heldout (needs --final-check)."),
            .flag("final-check", help: "Allow the held-out split (run once, at the very end; never tune on it)."),
            .option("tasks", value: "list", help: "Comma-separated tasks (default: all): " + EvalItemSet.taskNames.joined(separator: ", ") + "."),
            .option("limit", value: "n", type: .integer, help: "At most n items per task (the first ones)."),
            .option("shard", value: "k/n", help: "Run every n-th selected item from the k-th on, so n machines or sessions split a run; "
                    + "each writes <condition>.shard-k-of-n.jsonl and --report merges the files it finds."),
            .repeated("configs", value: "file", help: "Condition files (configs/eval/*.json); repeatable, and a shell glob after it works too."),
            .option("conditions", value: "names", help: "Run only these conditions (comma-separated names)."),
            .option("out", short: "o", value: "path", help: "Run: results directory (default results). Report: Markdown file (default docs/EVAL.md; - for stdout). "
                    + "Compare: Markdown file (default stdout)."),
            .option("report", value: "dir", help: "Write the report of this results directory instead of running."),
            .flag("compare", help: "Compare two result files A and B (the arguments) item by item: B − A with a paired bootstrap, "
                  + "right only in each, outputs changed, parse failures, time per item; --tasks narrows it. Writes to --out (default stdout). "
                  + "A run split over shards or sessions: cat its files into one first."),
            .option("chart", value: "file", help: "Report: the SVG chart (default: eval-accuracy.svg next to --out)."),
            .option("items", value: "file", help: "The items file (default: $LOCALFUSION_CACHE/eval/items.jsonl from scripts/fetch-eval-data.sh)."),
            .option("cache", value: "dir", help: "The model-call cache (default: $LOCALFUSION_CACHE/eval/cache)."),
            .option("export-cache", value: "file", help: "Write every cached model call to file as JSON lines (- for stdout) instead of running, "
                    + "so another machine can resume the run."),
            .option("import-cache", value: "file", help: "Add the calls of an --export-cache file (- for stdin) to the cache instead of running."),
            .option("memory-budget", value: "size", type: .byteSize, help: "Memory models may use together (default: $FUSION_MEMORY_BUDGET or 70% of RAM)."),
            .option("threads", short: "t", value: "n", type: .integer, help: "CPU threads (default: all cores)."),
            .option("models-dir", value: "dir", help: "Where models live (default: $FUSION_MODELS or ~/.cache/localfusion/models)."),
        ],
        positionals: [.variadic("more-configs", help: "More condition files (what a shell glob after --configs expands to); "
                                + "with --compare, the two result files A and B.")],
        examples: [
            "fusion eval --suite dev --configs configs/eval/*.json --out results/",
            "fusion eval --tasks arc,gsm8k --limit 20 --configs configs/eval/solo.json --out results/",
            "fusion eval --shard 2/3 --configs configs/eval/*.json --out results/   # machine 2 of 3",
            "fusion eval --report results/ --out docs/EVAL.md",
            "fusion eval --compare old/fusion-duo-judge-qwen1.5b.jsonl results/fusion-duo-judge-qwen1.5b.jsonl",
            "fusion eval --export-cache calls.jsonl            # scripts/eval/calls.sh save merges it into git",
            "gunzip -c docs/eval/model-calls-0001.jsonl.gz | fusion eval --import-cache -   # calls.sh load: every part",
        ])

    static func run(_ args: ParsedCommand) async throws {
        if let file = args.string("export-cache") {
            try exportCache(args, to: file)
        } else if let file = args.string("import-cache") {
            try importCache(args, from: file)
        } else if args.flag("compare") {
            try compare(args)
        } else if let directory = args.string("report") {
            try report(args, directory: directory)
        } else {
            try await evaluate(args)
        }
    }

    // MARK: - Run

    static func evaluate(_ args: ParsedCommand) async throws {
        let files = args.strings("configs") + args.strings("more-configs")
        guard !files.isEmpty else { throw UsageFailure("give condition files with --configs (e.g. --configs configs/eval/*.json), --report DIR or --compare A.jsonl B.jsonl") }
        let split = EvalSplit(rawValue: args.string("suite") ?? "dev") ?? .dev
        do { try EvalSuitePolicy.check(split, finalCheck: args.flag("final-check")) } catch {
            throw UsageFailure(error.description)
        }
        var conditions: [EvalCondition]
        do { conditions = try EvalCondition.load(paths: files) } catch { throw UsageFailure(error.description) }
        if let names = args.string("conditions") {
            let wanted = FusionRequestOptions.splitList(names)
            let unknown = wanted.filter { name in !conditions.contains { $0.name == name } }
            guard unknown.isEmpty else {
                throw UsageFailure("unknown condition(s) \(unknown.joined(separator: ", ")); known: "
                                   + conditions.map(\.name).joined(separator: ", "))
            }
            conditions = conditions.filter { wanted.contains($0.name) }
        }
        let limit = try args.int("limit")
        if let limit, limit < 1 { throw args.invalidValue("limit", "at least 1") }
        let tasks = args.string("tasks").map(FusionRequestOptions.splitList)
        let items: EvalItemSet
        do {
            items = try EvalItemSet.load(path: args.string("items") ?? EvalItemSet.defaultPath, split: split, tasks: tasks,
                                         limit: limit)
        } catch let error as EvalDataError {
            if case .unknownTasks = error { throw UsageFailure(error.description) }
            throw CommandFailure(error.description)
        }
        var selected = items.items
        var shard: EvalShard?
        if let text = args.string("shard") {
            guard let parsed = EvalShard(parsing: text) else { throw args.invalidValue("shard", "k/n with 1 ≤ k ≤ n, e.g. 2/4") }
            shard = parsed
            selected = parsed.select(selected)
        }
        guard !selected.isEmpty else { throw CommandFailure("no items selected") }

        let threads = try args.int("threads")
        if let threads, threads < 1 { throw args.invalidValue("threads", "at least 1") }
        let store = try ModelLocator.store(modelsDirectory: args.string("models-dir"))
        let budget = try MemoryBudget.resolve(explicit: try args.byteSize("memory-budget").map { UInt64(max(1, $0)) },
                                              environment: ProcessInfo.processInfo.environment)
        let engine = try FusionEngine(store: store, budget: budget,
                                      cores: threads ?? ProcessInfo.processInfo.activeProcessorCount)
        let cache = EvalCache(directory: args.string("cache") ?? EvalCache.defaultDirectory)
        let out = args.string("out") ?? "results"
        let runner = EvalRunner(engine: engine, cache: cache)

        Terminal.err("eval: \(conditions.count) conditions × \(selected.count) items (\(split.rawValue), "
                     + "tasks: \(items.tasks.joined(separator: ",")))\(limit.map { ", ≤ \($0) per task" } ?? "")"
                     + "\(shard.map { ", shard \($0)" } ?? ""); "
                     + "cache \(cache.directory); results → \(out)/")
        let view = EvalProgressView()
        let chosen = conditions
        let runItems = selected
        let task = Task {
            try await runner.run(conditions: chosen, items: runItems, outDirectory: out, fileTag: shard?.fileTag) { view.handle($0) }
        }
        let interrupt = InterruptHandler {
            Terminal.err("\ninterrupted: finishing up; everything answered so far is cached (Ctrl-C again to quit at once)")
            task.cancel()
        }
        let summary = try await task.value
        withExtendedLifetime(interrupt) {}
        view.clear()
        Terminal.err("eval: \(summary.modelCalls) model calls, \(summary.cacheHits) cache hits"
                     + (summary.failedItems > 0 ? ", \(summary.failedItems) items failed (scored wrong, see \"error\")" : ""))
        for condition in chosen {
            guard let records = summary.records[condition.name] else { continue }
            let accuracy = EvalStatistics.accuracy(records.map(\.correct))
            Terminal.out("\(condition.name): \(accuracy)\n")
        }
        if summary.interrupted {
            Terminal.err("interrupted: run the same command again to resume (cached calls are not repeated)")
            exit(ExitCode.failure.rawValue)
        }
    }

    // MARK: - Moving the cache between machines

    /// Export and import only move the cache: options of a run or a report would be silently
    /// ignored, so they are refused.
    static func checkCacheTransfer(_ args: ParsedCommand, _ option: String) throws {
        let conflicting = ["import-cache", "export-cache", "report", "compare", "configs", "conditions", "shard", "limit", "tasks", "out"]
            .filter { $0 != option && args.isSet($0) }
        if let other = conflicting.first { throw UsageFailure("--\(option) does not combine with --\(other)") }
        if !args.strings("more-configs").isEmpty { throw UsageFailure("--\(option) takes no condition files") }
    }

    static func exportCache(_ args: ParsedCommand, to file: String) throws {
        try checkCacheTransfer(args, "export-cache")
        let cache = EvalCache(directory: args.string("cache") ?? EvalCache.defaultDirectory)
        let summary: EvalCachePack.ExportSummary
        if file == "-" {
            summary = EvalCachePack.export(cache) { FileHandle.standardOutput.write($0) }
        } else {
            // Written beside the target and renamed at the end, so an interrupted export leaves the old file.
            let partial = file + ".part"
            guard FileManager.default.createFile(atPath: partial, contents: nil), let handle = FileHandle(forWritingAtPath: partial) else {
                throw CommandFailure("cannot write \(partial)")
            }
            defer { try? FileManager.default.removeItem(atPath: partial) }  // gone after the rename; else a leftover
            do {
                summary = try EvalCachePack.export(cache) { try handle.write(contentsOf: $0) }
                try handle.close()
                // An empty export must never replace a committed file.
                if summary.written > 0 {
                    _ = try? FileManager.default.removeItem(atPath: file)
                    try FileManager.default.moveItem(atPath: partial, toPath: file)
                }
            } catch {
                throw CommandFailure("cannot write \(file): \(error.localizedDescription)")
            }
        }
        guard summary.written > 0 else {
            throw CommandFailure("no readable cached calls in \(cache.directory): nothing to export (wrong --cache or $LOCALFUSION_CACHE?)")
        }
        Terminal.err("exported \(summary.written) cached calls from \(cache.directory)"
                     + (summary.skipped > 0 ? " (\(summary.skipped) unreadable or in an older format skipped)" : ""))
    }

    static func importCache(_ args: ParsedCommand, from file: String) throws {
        try checkCacheTransfer(args, "import-cache")
        let cache = EvalCache(directory: args.string("cache") ?? EvalCache.defaultDirectory)
        let data = file == "-" ? FileHandle.standardInput.readDataToEndOfFile() : FileManager.default.contents(atPath: file)
        guard let data else { throw CommandFailure("cannot read \(file)") }
        if data.starts(with: [0x1F, 0x8B]) { throw CommandFailure("\(file) is gzip-compressed: pipe it through 'gunzip -c' first") }
        let summary: EvalCachePack.ImportSummary
        do { summary = try EvalCachePack.importEntries(data, into: cache) } catch {
            throw CommandFailure("\(file == "-" ? "stdin" : file): \(error)")
        }
        Terminal.err("imported \(summary.added) calls into \(cache.directory) (\(summary.present) already there)")
    }

    // MARK: - Report

    static func report(_ args: ParsedCommand, directory: String) throws {
        if args.isSet("configs") || !args.strings("more-configs").isEmpty {
            throw UsageFailure("--report reads a results directory; it does not take --configs")
        }
        let records: [String: [EvalResultRecord]]
        do { records = try EvalResultsFile.readDirectory(directory) } catch { throw CommandFailure(String(describing: error)) }
        let report: EvalReport
        do { report = try EvalReport(records: records, includeHeldout: args.flag("final-check")) } catch {
            throw CommandFailure(String(describing: error))
        }
        let out = args.string("out") ?? "docs/EVAL.md"
        let toStdout = out == "-"
        let chartPath = args.string("chart")
            ?? (toStdout ? nil : ((out as NSString).deletingLastPathComponent as NSString).appendingPathComponent("eval-accuracy.svg"))
        var chartLink: String?
        if let chartPath {
            let svg = (args.flag("final-check")
                ? EvalChart(report: report, title: "Accuracy per task (dev and held-out splits), 95 % Wilson intervals")
                : EvalChart(report: report)).svg
            try write(svg, to: chartPath)
            let outDirectory = toStdout ? FileManager.default.currentDirectoryPath : (out as NSString).deletingLastPathComponent
            chartLink = relativePath(chartPath, from: outDirectory)
            Terminal.err("wrote \(chartPath)")
        }
        let generated = report.markdown(chartFile: chartLink, source: directory)
        if toStdout {
            Terminal.out(EvalReport.document(existing: nil, generated: generated))
        } else {
            let existing = try? String(contentsOfFile: out, encoding: .utf8)
            try write(EvalReport.document(existing: existing, generated: generated), to: out)
            Terminal.err("wrote \(out)")
        }
    }

    // MARK: - Compare

    static func compare(_ args: ParsedCommand) throws {
        // --suite too: held-out lines are kept only with --final-check, as in the report.
        let conflicting = ["report", "configs", "conditions", "shard", "limit", "chart", "suite"]
        if let other = conflicting.first(where: { args.isSet($0) }) { throw UsageFailure("--compare does not combine with --\(other)") }
        let files = args.strings("more-configs")
        guard files.count == 2 else {
            throw UsageFailure("--compare takes two result files, A and B (got \(files.count)): "
                               + "fusion eval --compare old/NAME.jsonl results/NAME.jsonl")
        }
        let tasks = args.string("tasks").map(FusionRequestOptions.splitList)
        if tasks?.isEmpty == true { throw args.invalidValue("tasks", "at least one task") }
        if let tasks {
            do { try EvalItemSet.checkKnown(tasks) } catch { throw UsageFailure(error.description) }
        }
        let comparison: EvalComparison
        do {
            comparison = try EvalComparison(a: try EvalResultsFile.read(path: files[0]), b: try EvalResultsFile.read(path: files[1]),
                                            labelA: files[0], labelB: files[1], tasks: tasks.map(Set.init),
                                            includeHeldout: args.flag("final-check"))
        } catch {
            throw CommandFailure(String(describing: error))
        }
        let out = args.string("out") ?? "-"
        if out == "-" { Terminal.out(comparison.markdown()) } else {
            try write(comparison.markdown(), to: out)
            Terminal.err("wrote \(out)")
        }
    }

    private static func write(_ text: String, to path: String) throws {
        do {
            let parent = (path as NSString).deletingLastPathComponent
            if !parent.isEmpty { try FileManager.default.createDirectory(atPath: parent, withIntermediateDirectories: true) }
            try Data(text.utf8).write(to: URL(fileURLWithPath: path), options: .atomic)
        } catch {
            throw CommandFailure("cannot write \(path): \(error.localizedDescription)")
        }
    }

    /// `path` relative to `directory` when it lies inside it, else absolute.
    static func relativePath(_ path: String, from directory: String) -> String {
        let absolute = URL(fileURLWithPath: path).standardizedFileURL.path
        let base = URL(fileURLWithPath: directory.isEmpty ? "." : directory).standardizedFileURL.path
        if absolute.hasPrefix(base + "/") { return String(absolute.dropFirst(base.count + 1)) }
        return absolute
    }
}

/// The live progress line on stderr (redrawn on a terminal; on a pipe one line per condition and
/// one every 10 % of its items).
final class EvalProgressView: @unchecked Sendable {
    private let lock = NSLock()
    private var meter = EvalProgressMeter()
    private var lastPlain = -1

    func handle(_ event: EvalProgress) {
        lock.withLock {
            switch event {
            case .conditionStarted(let index, let count, let condition, let items):
                meter.start(index: index, count: count, condition: condition.name, items: items)
                lastPlain = -1
                Terminal.status(meter.line)
            case .activity(let text):
                meter.activity = text
                if Terminal.stderrIsTTY { Terminal.status(meter.line) }
            case .itemFinished(let record, _, _, let wall):
                meter.finish(correct: record.correct, cached: record.cached, failed: record.error != nil, wallSeconds: wall)
                if let error = record.error {
                    Terminal.status("\(record.condition) \(record.id): \(error)", final: true)
                }
                let tenth = meter.total > 0 ? meter.done * 10 / meter.total : 10
                if Terminal.stderrIsTTY {
                    Terminal.status(meter.line)
                } else if tenth != lastPlain {
                    lastPlain = tenth
                    Terminal.err(meter.line)
                }
            case .conditionFinished(_, _, let path):
                meter.activity = path.map { "→ \($0)" } ?? ""
                if Terminal.stderrIsTTY { Terminal.status(meter.line, final: true) } else { Terminal.err(meter.line) }
            }
        }
    }

    func clear() {
        if Terminal.stderrIsTTY { FileHandle.standardError.write(Data("\r\u{1B}[2K".utf8)) }
    }
}
