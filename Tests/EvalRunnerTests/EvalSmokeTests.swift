import Eval
import Foundation
import Fusion
import Testing
@testable import EvalRunner

/// A 10-item evaluation through the real engine with smollm2-135m: a solo, a vote over a greedy
/// and two sampled answers, and a small fusion; then the resume guarantees — an interrupted run
/// keeps what it finished, and a repeated run makes no model call at all.
@Suite("Eval smoke run with smollm2-135m", .serialized)
struct EvalSmokeTests {
    static let model = "smollm2-135m"

    final class TaskBox: @unchecked Sendable {
        private let lock = NSLock()
        private var task: Task<EvalRunSummary, Error>?
        func set(_ t: Task<EvalRunSummary, Error>) { lock.withLock { task = t } }
        func cancel() { lock.withLock { task?.cancel() } }
    }

    static func conditions() throws -> (solo: EvalCondition, vote: EvalCondition, fusion: EvalCondition) {
        func decode(_ json: String) throws -> EvalCondition {
            let c = try JSONDecoder().decode(EvalCondition.self, from: Data(json.utf8))
            try c.validate()
            return c
        }
        let solo = try decode(#"{"name": "smoke-solo", "kind": "solo", "model": "smollm2-135m", "max_tokens": 64}"#)
        let vote = try decode(#"""
            {"name": "smoke-vote", "kind": "vote", "max_tokens": 64,
             "members": ["smollm2-135m", {"model": "smollm2-135m", "samples": 2, "temperature": 0.7}]}
            """#)
        let fusion = try decode(#"""
            {"name": "smoke-fusion", "kind": "fusion", "max_tokens": 64, "judge": "smollm2-135m",
             "judge_max_tokens": 96, "synthesis_max_tokens": 64,
             "panel": [{"model": "smollm2-135m", "reference": true}, {"model": "smollm2-135m", "samples": 2, "temperature": 0.7}]}
            """#)
        return (solo, vote, fusion)
    }

    func runner(cache: String) throws -> EvalRunner {
        let store = ModelStore(catalog: try ModelCatalog.loadDefault())
        let path = try store.resolve(Self.model).path
        guard FileManager.default.fileExists(atPath: path) else {
            Issue.record("model \(Self.model) is missing at \(path); run 'fusion models pull \(Self.model)'")
            throw CancellationError()
        }
        let engine = try FusionEngine(store: store, budget: MemoryBudget(bytes: 4 << 30))
        return EvalRunner(engine: engine, cache: EvalCache(directory: cache))
    }

    /// Ten dev items: from the real manifest when scripts/fetch-eval-data.sh has run, else ten
    /// written here in the same shape (so the test needs no data download).
    static func items() throws -> [EvalItem] {
        if FileManager.default.fileExists(atPath: EvalItemSet.defaultPath) {
            return try EvalItemSet.load(split: .dev, tasks: ["arc", "gsm8k", "syllogism", "chain_sum", "family"], limit: 2).items
        }
        print("eval smoke: no \(EvalItemSet.defaultPath) (scripts/fetch-eval-data.sh); using built-in items")
        func item(_ task: String, _ position: Int, _ question: String, _ answer: String, _ type: AnswerType,
                  _ choices: [String]?) -> EvalItem {
            EvalItem(id: "\(task)/\(String(format: "%05d", position))", task: task, split: .dev, position: position,
                     question: question, answer: answer, answerType: type, choices: choices)
        }
        let letters = ["A", "B", "C", "D"]
        return [
            item("arc", 1, "Which gas do plants take in from the air to make food?\n\nA. oxygen\nB. carbon dioxide\nC. nitrogen\nD. helium", "B", .letter, letters),
            item("arc", 2, "What is the main source of energy for Earth?\n\nA. the Moon\nB. volcanoes\nC. the Sun\nD. wind", "C", .letter, letters),
            item("gsm8k", 1, "Tom has 3 apples and buys 4 more. How many apples does he have?", "7", .number, nil),
            item("gsm8k", 2, "A box holds 6 eggs. How many eggs are in 5 boxes?", "30", .number, nil),
            item("syllogism", 1, "All cats are animals. Tom is a cat. Is Tom an animal?", "Yes", .word, ["Yes", "No"]),
            item("syllogism", 2, "No fish are birds. A salmon is a fish. Is a salmon a bird?", "No", .word, ["Yes", "No"]),
            item("chain_sum", 1, "What is 12 + 5 - 3?", "14", .number, nil),
            item("chain_sum", 2, "What is 40 - 15 + 2?", "27", .number, nil),
            item("family", 1, "Anna is Ben's mother. What is Ben to Anna?\nChoose from: son, daughter, father, brother.", "son", .word,
                 ["son", "daughter", "father", "brother"]),
            item("family", 2, "Carl is Dora's father. What is Dora to Carl if Dora is a girl?\nChoose from: son, daughter, mother, sister.",
                 "daughter", .word, ["son", "daughter", "mother", "sister"]),
        ]
    }

    @Test("every item gets an outcome; Ctrl-C keeps the finished part; a repeated run makes zero model calls")
    func smoke() async throws {
        let items = try Self.items()
        #expect(items.count == 10)
        #expect(items.allSatisfy { $0.split == .dev })
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("evalsmoke-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: root) }
        let runner = try runner(cache: root + "/cache")
        let (solo, vote, fusion) = try Self.conditions()
        let out = root + "/results"

        // 1. Interrupted after 4 solo items (what Ctrl-C does: cancel the running task).
        let box = TaskBox()
        let interrupted = Task {
            try await runner.run(conditions: [solo, vote], items: items, outDirectory: out) { event in
                if case .itemFinished(let record, let done, _, _) = event, record.condition == solo.name, done == 4 { box.cancel() }
            }
        }
        box.set(interrupted)
        let first = try await interrupted.value
        #expect(first.interrupted)
        #expect(first.records[solo.name]?.count == 4)
        #expect(first.modelCalls == 4)
        #expect(try EvalResultsFile.read(path: out + "/smoke-solo.jsonl").count == 4, "the finished part is written")

        // 2. Resumed: only what is missing runs (10 solo + 10 sampled seats, minus the 4 done).
        let started = ContinuousClock.now
        let second = try await runner.run(conditions: [vote, solo], items: items, outDirectory: out)
        let seconds = (ContinuousClock.now - started).components.seconds
        #expect(!second.interrupted)
        #expect(second.modelCalls == 16)
        #expect(second.failedItems == 0)
        for condition in [solo, vote] {
            let records = try #require(second.records[condition.name])
            #expect(records.map(\.id) == items.map(\.id), "every item has an outcome under \(condition.name)")
            #expect(records.allSatisfy { $0.error == nil && ($0.extracted != nil || $0.parseFailed) })
            #expect(records.allSatisfy { $0.seconds > 0 && $0.completionTokens > 0 })
        }
        let voteRecords = try #require(second.records[vote.name])
        #expect(voteRecords.allSatisfy { $0.members.count == 3 })
        // The vote's greedy member is the solo answer, from the same cached call.
        for (v, s) in zip(voteRecords, second.records[solo.name]!) { #expect(v.members[0].extracted == s.extracted) }

        // 3. A fusion over the cached member answers: only the judge and synthesizer run.
        let few = Array(items.prefix(3))
        let fused = try await runner.run(conditions: [fusion], items: few, outDirectory: out)
        #expect(fused.modelCalls == 3)
        let fusedRecords = try #require(fused.records[fusion.name])
        #expect(fusedRecords.count == 3 && fusedRecords.allSatisfy { $0.error == nil && !$0.raw.isEmpty })
        #expect(fusedRecords.allSatisfy { $0.members.count == 3 && !$0.cached })

        // 4. Everything again: zero model calls, identical lines apart from the cached flag.
        let again = try await runner.run(conditions: [solo, vote], items: items, outDirectory: out)
        let fusedAgain = try await runner.run(conditions: [fusion], items: few, outDirectory: out)
        #expect(again.modelCalls == 0 && fusedAgain.modelCalls == 0)
        #expect(again.cacheHits == 30 && fusedAgain.cacheHits == 6 + 3)
        for (name, summary, previous) in [(solo.name, again, second), (vote.name, again, second), (fusion.name, fusedAgain, fused)] {
            let now = try #require(summary.records[name])
            #expect(now.allSatisfy { $0.cached })
            var expected = try #require(previous.records[name])
            for i in expected.indices { expected[i].cached = true }
            #expect(now == expected)
        }

        // 5. Another machine: the cache exported, imported into an empty one, and the same runs
        //    there make zero model calls with the same results (the keys the runner computes match).
        var exported = Data()
        let packed = EvalCachePack.export(EvalCache(directory: root + "/cache")) { exported.append($0) }
        #expect(packed == .init(written: 10 + 10 + 3, skipped: 0), "10 greedy seats, 10 sampled seats, 3 fusions")
        let moved = try EvalCachePack.importEntries(exported, into: EvalCache(directory: root + "/cache-elsewhere"))
        #expect(moved == .init(added: 23, present: 0))
        let elsewhere = try self.runner(cache: root + "/cache-elsewhere")
        let replayed = try await elsewhere.run(conditions: [solo, vote], items: items, outDirectory: nil)
        let replayedFusion = try await elsewhere.run(conditions: [fusion], items: few, outDirectory: nil)
        #expect(replayed.modelCalls == 0 && replayedFusion.modelCalls == 0)
        for (name, summary) in [(solo.name, replayed), (vote.name, replayed), (fusion.name, replayedFusion)] {
            #expect(summary.records[name] == again.records[name] ?? fusedAgain.records[name], "\(name) replays identically")
        }

        // 6. A second draw of the vote (another seed): only the sampled seat is new, one batched
        //    call per item; the greedy seat's answers are the cached ones.
        var redraw = vote
        redraw.name = "smoke-vote-draw2"
        redraw.seed = vote.seed + 1
        redraw.drawOf = vote.name
        try redraw.validateDraw(of: vote)
        let drawn = try await runner.run(conditions: [redraw], items: items, outDirectory: out)
        #expect(drawn.modelCalls == 10 && drawn.cacheHits == 10)
        let drawnRecords = try #require(drawn.records[redraw.name])
        #expect(drawnRecords.allSatisfy { $0.drawOf == vote.name })
        for (d, v) in zip(drawnRecords, second.records[vote.name]!) { #expect(d.members[0] == v.members[0]) }

        // The report reads what the runs wrote and pools the two draws of the vote.
        let report = try EvalReport(records: try EvalResultsFile.readDirectory(out))
        #expect(report.conditions.map(\.name).sorted() == ["smoke-fusion", "smoke-solo", "smoke-vote", "smoke-vote-draw2"])
        #expect(report.rows(task: nil).first { $0.condition == "smoke-vote" }?.bestMember == "smoke-solo")
        #expect(report.drawGroups() == [EvalReport.DrawGroup(base: "smoke-vote", draws: ["smoke-vote", "smoke-vote-draw2"])])
        #expect(report.verdicts().filter { $0.task == nil && $0.kind == .vote }.map { "\($0.condition) \($0.draws)" } == ["smoke-vote 2"])
        print("eval smoke: \(items.count) items, solo + vote in \(seconds) s:",
              report.rows(task: nil).map { "\($0.condition) \($0.accuracy)" }.joined(separator: "; "))
    }
}
