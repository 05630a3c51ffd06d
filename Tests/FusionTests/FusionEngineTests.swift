import Foundation
import Fusion
import Llama
import Testing

/// The engine end to end with real models and real llama.cpp: short answers keep it CI-sized.
@Suite("Fusion engine with real models", .serialized)
struct FusionEngineTests {
    static let mixedPanel = ["smollm2-135m", "gemma3-270m", "qwen2.5-coder-0.5b"]
    static let judge = "qwen2.5-coder-0.5b"

    func engine(budget: UInt64? = nil) throws -> FusionEngine {
        for id in Self.mixedPanel { _ = try JudgeTestModels.require(id) }
        let store = ModelStore(catalog: try ModelCatalog.loadDefault())
        return try FusionEngine(store: store, budget: budget.map { MemoryBudget(bytes: $0) } ?? MemoryBudget(bytes: 8 << 30))
    }

    func request(_ panel: [SeatSpec], question: String = "What is the boiling point of water at sea level in Celsius?")
        -> FusionRequest {
        var r = FusionRequest(question: question, panel: panel, judge: Self.judge)
        r.panelMaxTokens = 40
        r.judgeMaxTokens = 200
        r.synthesisMaxTokens = 48
        r.contextSize = 2048
        r.seed = 42
        return r
    }

    @Test("a 3-seat mixed panel gives an analysis that parses and a non-empty final answer")
    func mixedPanel() async throws {
        let engine = try engine()
        var events: [String] = []
        var finalStreamed = ""
        var result: FusionResult?
        for try await event in engine.run(request(Self.mixedPanel.map { SeatSpec(model: $0) })).events {
            switch event {
            case .planned: events.append("planned")
            case .seatFinished(let r): events.append("seat\(r.seat)")
            case .analysis: events.append("analysis")
            case .finalDelta(let t): finalStreamed += t
            case .done(let r): result = r
            default: break
            }
        }
        let r = try #require(result)
        #expect(r.status == .ok, "\(r.error ?? "")")
        #expect(r.responses.count == 3)
        #expect(Set(r.responses.map(\.model)) == Set(Self.mixedPanel))
        #expect(r.responses.allSatisfy { !$0.text.isEmpty && $0.label != nil })
        let analysis = try #require(r.analysis, "judge note: \(r.trace.judgeNote ?? "none")")
        // Labels were mapped back to model ids.
        #expect(analysis.referencedModels.allSatisfy { Self.mixedPanel.contains($0) })
        #expect(!r.final.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty)
        #expect(finalStreamed == r.final)
        #expect(events.first == "planned")
        #expect(events.last == "analysis")
        #expect(r.trace.reusedJudgeCache)
        #expect(r.trace.cachedSynthesisPromptTokens > 50, "the synthesizer reused the judge's prompt from the KV cache")
        #expect(r.usage.totalTokens > r.responses.reduce(0) { $0 + $1.usage.totalTokens })
        #expect(r.trace.stages.total >= r.trace.stages.panel + r.trace.stages.judge)
        #expect(r.trace.models.count == 3 && r.trace.models.allSatisfy { $0.sha256 != nil })
    }

    @Test("self-fusion with N=3 gives three different samples from one loaded model")
    func selfFusion() async throws {
        let engine = try engine()
        var r = request([SeatSpec(model: "qwen2.5-coder-0.5b", samples: 3, temperature: 1.0)],
                        question: "Suggest a name for a small bakery.")
        r.panelMaxTokens = 24
        let before = await engine.schedulerSnapshot().loadCount
        let result = try await engine.fuse(r)
        #expect(result.status == .ok, "\(result.error ?? "")")
        #expect(result.responses.count == 3)
        #expect(Set(result.responses.map(\.text)).count == 3, "samples: \(result.responses.map(\.text))")
        #expect(Set(result.responses.map(\.seed)).count == 3)
        // The panel seat (3 sequences) and the judge (1 sequence) are two contexts: two loads, not four.
        #expect(await engine.schedulerSnapshot().loadCount - before == 2)
    }

    @Test("a missing or corrupt seat ends in failed_models while the fusion succeeds")
    func failedSeat() async throws {
        let engine = try engine()
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("lf-corrupt-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let corrupt = dir.appendingPathComponent("corrupt.gguf")
        let source = try JudgeTestModels.require("smollm2-135m")
        let handle = try FileHandle(forReadingFrom: URL(fileURLWithPath: source))
        try handle.read(upToCount: 2_000_000)!.write(to: corrupt)   // a cut download
        try handle.close()

        let result = try await engine.fuse(request([
            SeatSpec(model: "smollm2-135m"), SeatSpec(model: "no-such-model"), SeatSpec(model: corrupt.path),
        ]))
        #expect(result.status == .ok, "\(result.error ?? "")")
        #expect(result.responses.map(\.model) == ["smollm2-135m"])
        #expect(result.failedModels.count == 2)
        let unknown = try #require(result.failedModels.first { $0.model == "no-such-model" })
        #expect(unknown.reason == .notFound)
        #expect(unknown.message.contains("unknown model"))
        let cut = try #require(result.failedModels.first { $0.model == corrupt.path })
        #expect(cut.message.contains("truncated") || cut.message.contains("incomplete"), "\(cut.message)")
        #expect(!result.final.isEmpty)
    }

    @Test("all seats failing gives status error with all_panels_failed")
    func allFailed() async throws {
        let engine = try engine()
        let result = try await engine.fuse(request([SeatSpec(model: "nope-1"), SeatSpec(model: "/tmp/nope-2.gguf")]))
        #expect(result.status == .error)
        #expect(result.failureReason == "all_panels_failed")
        #expect(result.failedModels.count == 2)
        #expect(result.final.isEmpty)
    }

    @Test("a budget below the largest model fails before loading, with a clear message")
    func budgetTooSmall() async throws {
        let engine = try engine(budget: 300 << 20)
        let loadsBefore = await engine.schedulerSnapshot().loadCount
        let result = try await engine.fuse(request(Self.mixedPanel.map { SeatSpec(model: $0) }))
        #expect(result.status == .error)
        #expect(result.failureReason == "insufficient_memory")
        #expect(Self.mixedPanel.contains { result.error?.contains($0) == true }, "names the model: \(result.error ?? "")")
        #expect(result.error?.contains("budget") == true)
        #expect(await engine.schedulerSnapshot().loadCount == loadsBefore, "nothing was loaded")
    }

    @Test("a request's own memory budget, below the engine's, clears the last fusion's idle models and the judge before a separate synthesizer")
    func requestBudgetBelowEngine() async throws {
        let engine = try engine()
        let panel = Self.mixedPanel.map { SeatSpec(model: $0) }
        let first = try await engine.fuse(request(panel))
        #expect(first.status == .ok, "\(first.error ?? "")")
        let plan = try #require(first.trace.plan)
        let estimates = plan.seats.map { Int64($0.estimate.totalBytes) }
        let cached = await engine.schedulerSnapshot().reservedBytes
        // The engine's 8 GiB keep all three models (and the judge's context) cached.
        #expect(cached >= estimates.reduce(0, +))

        // Room for the largest model and a bit: one seat at a time, the judge after the panel, and a
        // synthesizer of another model after the judge.
        let models = estimates.max()! * 13 / 10
        var budgeted = request(panel, question: "What is the capital of Italy?")
        budgeted.synthesizer = "gemma3-270m"
        budgeted.memoryBudget = Int64(engine.requestedBudget.bytes - engine.budget.bytes) + models
        let second = try await engine.fuse(budgeted)
        #expect(second.status == .ok, "\(second.error ?? "")")
        #expect(second.trace.plan?.schedule.kind == "one_at_a_time" || second.trace.plan?.schedule.kind == "waves")
        #expect(second.trace.plan?.synthesizerResidency == .afterJudge)
        let after = await engine.schedulerSnapshot()
        #expect(after.reservedBytes <= models,
                "reserved \(after.reservedBytes >> 20) MiB after a request with \(models >> 20) MiB for models")
        #expect(after.evictionCount > 0)
    }

    @Test("cancelling a fusion mid-panel frees every lease")
    func cancelMidPanel() async throws {
        let engine = try engine()
        var r = request(Self.mixedPanel.map { SeatSpec(model: $0) })
        r.panelMaxTokens = 400
        r.ignoreEOS = true
        let run = engine.run(r)
        var result: FusionResult?
        var cancelled = false
        for try await event in run.events {
            if case .seatDelta = event, !cancelled { cancelled = true; run.cancel() }
            if case .done(let done) = event { result = done }
        }
        let done = try #require(result)
        #expect(done.status == .error)
        #expect(done.failureReason == "cancelled")
        let snapshot = await engine.schedulerSnapshot()
        #expect(snapshot.loaded.allSatisfy { $0.refCount == 0 && !$0.pinned }, "\(snapshot.loaded)")
        #expect(snapshot.queueDepth == 0)
        // The engine still works afterwards.
        let after = try await engine.fuse(request([SeatSpec(model: "smollm2-135m")]))
        #expect(after.status == .ok)
    }

    @Test("replaying a trace reproduces the same final text")
    func replay() async throws {
        let engine = try engine()
        var r = request([SeatSpec(model: "smollm2-135m"), SeatSpec(model: "gemma3-270m")])
        r.seed = nil   // the engine draws one and records it
        let first = try await engine.fuse(r)
        #expect(first.status == .ok)
        let recorded = first.trace.request
        #expect(recorded.seed != nil && recorded.panel.allSatisfy { $0.seed != nil })
        // Through JSON exactly as `fusion ask --json` writes it and `--replay` reads it.
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        let data = try encoder.encode(first)
        let replayed = try FusionRequest.replay(from: data)
        #expect(replayed == recorded)
        let second = try await engine.fuse(replayed)
        #expect(second.final == first.final)
        #expect(second.responses.map(\.text) == first.responses.map(\.text))
    }
    @Test("a quorum of 1 answers from the first seat and records the others as not run")
    func quorum() async throws {
        let engine = try engine()
        var r = request(Self.mixedPanel.map { SeatSpec(model: $0) })
        r.quorum = 1
        let result = try await engine.fuse(r)
        #expect(result.status == .ok, "\(result.error ?? "")")
        #expect(result.responses.count == 1)
        #expect(result.failedModels.count == 2)
        #expect(result.failedModels.allSatisfy { $0.reason == .quorumReached })
    }

    @Test("a seat that exceeds its timeout is recorded as timeout and the fusion goes on")
    func seatTimeout() async throws {
        let engine = try engine()
        var r = request([SeatSpec(model: "smollm2-135m"), SeatSpec(model: "qwen2.5-coder-0.5b")])
        r.panelMaxTokens = 3000
        r.contextSize = 4096
        r.ignoreEOS = true
        r.seatTimeout = 1.5
        let start = ContinuousClock.now
        let result = try await engine.fuse(r)
        // Both seats hit the timeout (3000 tokens take far longer than 1.5 s): all panels failed.
        #expect(result.failedModels.count == 2)
        #expect(result.failedModels.allSatisfy { $0.reason == .timeout }, "\(result.failedModels)")
        #expect(result.failureReason == "all_panels_failed")
        #expect(ContinuousClock.now - start < .seconds(30))
    }

    @Test("a mixture-of-agents round lets proposers revise, and the fusion completes")
    func moaRound() async throws {
        let engine = try engine()
        var r = request([SeatSpec(model: "smollm2-135m"), SeatSpec(model: "qwen2.5-coder-0.5b")])
        r.rounds = 1
        var seatFinished = 0
        var result: FusionResult?
        for try await event in engine.run(r).events {
            if case .seatFinished = event { seatFinished += 1 }
            if case .done(let done) = event { result = done }
        }
        let done = try #require(result)
        #expect(done.status == .ok, "\(done.error ?? "")")
        #expect(seatFinished == 4, "two seats answered in each of two rounds")
        #expect(done.responses.count == 2, "the judge sees the last round")
    }
}
