import Foundation
import Llama

/// One fusion from plan to result. Lives for a single request; runs in the request's task.
struct FusionExecution: Sendable {
    let engine: FusionEngine
    let request: FusionRequest
    let timedOut: TimeoutFlag
    let emit: @Sendable (FusionEvent) -> Void

    init(engine: FusionEngine, request: FusionRequest, timedOut: TimeoutFlag, emit: @escaping @Sendable (FusionEvent) -> Void) {
        self.engine = engine
        self.request = request
        self.timedOut = timedOut
        self.emit = emit
    }

    /// Mutable bookkeeping of the run.
    struct Ledger: Sendable {
        var responses: [SeatResponse] = []
        var failed: [FailedModel] = []
        var usage = TokenUsage()
        var stages = StageTimes()
        var analysis: FusionAnalysis?
        var judgeNote: String?
        var labels: [String: String] = [:]
        var final = ""
        var finishReason: StopReason?
        var reusedJudgeCache = false
        var cachedSynthesisTokens = 0
        var cost = 0.0
    }

    /// Runs the fusion; with `givenAnswers` the panel is not run and the writers work on those
    /// answers instead (evaluation reuses cached member answers this way).
    func execute(givenAnswers: [SeatResponse]? = nil) async -> FusionResult {
        let start = ContinuousClock.now
        var ledger = Ledger()
        var prepared: FusionEngine.Prepared?
        var failure: FusionError?
        do {
            let planStart = ContinuousClock.now
            let p = try engine.prepare(request)
            prepared = p
            ledger.stages.plan = (ContinuousClock.now - planStart).seconds
            emit(.planned(p.plan))
            if let givenAnswers {
                guard !givenAnswers.isEmpty else { throw FusionError.allPanelsFailed([]) }
                ledger.cost = givenAnswers.reduce(0) { $0 + $1.cost }
                try await runWriters(p, answers: givenAnswers, &ledger)
            } else {
                ledger.failed = p.missing
                for failure in p.missing { emit(.seatFailed(failure)) }
                try await runStages(p, &ledger)
            }
        } catch let error as FusionError {
            failure = error
        } catch is CancellationError {
            failure = .cancelled
        } catch {
            failure = .invalidRequest(String(describing: error))
        }
        if Task.isCancelled, failure == nil || failure == .cancelled {
            failure = timedOut.isSet ? .timedOut(seconds: request.timeout ?? 0) : .cancelled
        }
        ledger.stages.total = (ContinuousClock.now - start).seconds
        let snapshot = await engine.scheduler.snapshot
        let trace = FusionTrace(
            request: prepared?.request ?? request, plan: prepared?.plan, stages: ledger.stages,
            peakResidentBytes: PeakMemory.processPeakBytes(), peakReservedBytes: snapshot.peakReservedBytes,
            budgetBytes: Int64(clamping: engine.requestedBudget.bytes).clampedBelow(by: request.memoryBudget),
            modelBudgetBytes: snapshot.budgetBytes, models: prepared?.fingerprints ?? [], labels: ledger.labels,
            judgeNote: ledger.judgeNote, reusedJudgeCache: ledger.reusedJudgeCache,
            cachedSynthesisPromptTokens: ledger.cachedSynthesisTokens)
        var failedModels = ledger.failed
        if case .allPanelsFailed(let list) = failure, failedModels.isEmpty { failedModels = list }
        return FusionResult(
            status: failure == nil ? .ok : .error, failureReason: failure?.code, error: failure?.description,
            final: ledger.final, finishReason: ledger.finishReason, analysis: ledger.analysis, responses: ledger.responses,
            failedModels: failedModels, usage: ledger.usage, cost: ledger.cost, trace: trace)
    }

    // MARK: - Stages

    private func runStages(_ p: FusionEngine.Prepared, _ ledger: inout Ledger) async throws {
        let panelStart = ContinuousClock.now
        var messages = p.request.messages
        for round in 0...p.request.rounds {
            if round > 0 {
                // Mixture-of-agents: every proposer revises after reading the previous round.
                let previous = ledger.responses.map { CandidateAnswer(model: $0.model, text: $0.text) }
                // Sized for the request's context, leaving room for every sample's revision (the
                // samples of a seat share its context's cells); in characters only.
                let samples = p.request.panel.map(\.samples).max() ?? 1
                let budget = PromptBudget(contextTokens: p.request.contextSize > 0 ? p.request.contextSize : 4096,
                                          reservedOutputTokens: samples * p.request.panelMaxTokens + 64)
                messages = AggregatePrompt(question: p.request.question, answers: previous,
                                           seed: UInt64(p.request.seed ?? 0) &+ UInt64(round), budget: budget).messages
                ledger.responses = []
            }
            try await runPanel(p, messages: messages, &ledger)
            if ledger.responses.isEmpty { break }
        }
        ledger.stages.panel = (ContinuousClock.now - panelStart).seconds
        try Task.checkCancellation()
        guard !ledger.responses.isEmpty else { throw FusionError.allPanelsFailed(ledger.failed) }

        try await runWriters(p, answers: ledger.responses, &ledger)
    }

    /// The judge → synthesizer (or the aggregator) over the panel's answers.
    private func runWriters(_ p: FusionEngine.Prepared, answers: [SeatResponse], _ ledger: inout Ledger) async throws {
        let (panel, labelled) = Self.anonymize(request: p.request, responses: answers)
        ledger.responses = labelled
        ledger.labels = panel.labelToModel
        let writers = WriterStages(engine: engine, prepared: p, emit: emit)
        switch p.request.mode {
        case .aggregate:
            try await writers.aggregate(panel: panel, &ledger)
        case .fusion:
            try await writers.judgeAndSynthesize(panel: panel, &ledger)
        }
    }

    /// The judge's view of the answers: member names (samples of one seat get distinct names,
    /// "qwen#2", so the judge and the trace can tell them apart and identical texts still get their
    /// own labels), the reference flag, labels shuffled by the request's seed; and the responses
    /// with their labels set.
    static func anonymize(request: FusionRequest, responses: [SeatResponse]) -> (AnonymizedPanel, [SeatResponse]) {
        func seat(_ r: SeatResponse) -> SeatSpec? { request.panel.indices.contains(r.seat) ? request.panel[r.seat] : nil }
        func memberName(_ r: SeatResponse) -> String { (seat(r)?.samples ?? 1) > 1 ? "\(r.model)#\(r.sample + 1)" : r.model }
        let candidates = responses.map { r in
            CandidateAnswer(model: memberName(r), text: r.text, isReference: (seat(r)?.reference ?? false) && r.sample == 0)
        }
        let panel = AnonymizedPanel(answers: candidates, seed: UInt64(request.seed ?? 0))
        let labelByMember = Dictionary(panel.entries.map { ($0.answer.model, $0.label) }, uniquingKeysWith: { a, _ in a })
        var labelled = responses
        for i in labelled.indices { labelled[i].label = labelByMember[memberName(labelled[i])] }
        return (panel, labelled)
    }

    /// Only the panel (for evaluation): prepared and run exactly as in a fusion; never throws —
    /// a request that cannot run leaves every seat failed.
    func panelOnly() async -> FusionEngine.PanelAnswers {
        let start = ContinuousClock.now
        var ledger = Ledger()
        do {
            let p = try engine.prepare(request)
            ledger.failed = p.missing
            try await runPanel(p, messages: p.request.messages, &ledger)
        } catch {
            let reason: FailedModel.Reason
            if case .insufficientMemory? = error as? FusionError { reason = .memory } else { reason = .loadError }
            ledger.failed = request.panel.enumerated().map {
                FailedModel(seat: $0.offset, model: $0.element.model, reason: reason, message: String(describing: error))
            }
        }
        return FusionEngine.PanelAnswers(responses: ledger.responses, failed: ledger.failed,
                                         seconds: (ContinuousClock.now - start).seconds, loadSeconds: ledger.stages.loading)
    }

    /// Runs the panel in the plan's decode groups: seats in a group decode at the same time with
    /// the plan's threads each, so the cores are never oversubscribed. Remote seats take no
    /// memory and no local cores, so they run beside the local groups from the start. A quorum
    /// counts both kinds of seat and stops whatever still runs once it is met.
    private func runPanel(_ p: FusionEngine.Prepared, messages: [ChatMessage], _ ledger: inout Ledger) async throws {
        let resolver = SeatChainResolver(store: engine.store, remote: engine.remote, budgetBytes: p.plan.budget.bytes,
                                         contextSize: p.request.contextSize)
        let runner = ChainRunner(local: SeatRunner(scheduler: engine.scheduler, limitBytes: p.leaseLimitBytes, emit: emit),
                                 remote: RemoteSeatRunner(emit: emit), resolver: resolver)
        let threads = p.plan.concurrency.threadsPerSeat
        let timeout = p.request.seatTimeout
        let quorum = PanelQuorum(needed: p.request.quorum)
        let remoteSeats = p.remoteSeats
        async let remoteOutcomes = quorum.runTogether(remoteSeats) {
            await runner.run($0, messages: messages, threads: threads, timeout: timeout)
        }
        let bySeatIndex = Dictionary(uniqueKeysWithValues: p.seats.enumerated().map { ($0.offset, $0.element) })
        for group in p.plan.decodeOrder {
            if quorum.isReached {
                for i in group { if let seat = bySeatIndex[i] { recordSkipped(seat, &ledger) } }
                continue
            }
            if Task.isCancelled { break }
            let seats = group.compactMap { bySeatIndex[$0] }
            let (outcomes, stoppedByQuorum) = await quorum.runTogether(seats) {
                await runner.run($0, messages: messages, threads: threads, timeout: timeout)
            }
            for outcome in outcomes { record(stoppedByQuorum ? relabelled(outcome) : outcome, &ledger) }
        }
        let (remote, remoteStopped) = await remoteOutcomes
        for outcome in remote { record(remoteStopped ? relabelled(outcome) : outcome, &ledger) }
        // Panel order, whatever order the seats finished in.
        ledger.responses.sort { ($0.seat, $0.sample) < ($1.seat, $1.sample) }
        ledger.failed.sort { $0.seat < $1.seat }
    }

    /// A seat the quorum cancelled is reported as such, not as cancelled.
    private func relabelled(_ outcome: SeatRunner.Outcome) -> SeatRunner.Outcome {
        guard var failure = outcome.failure, failure.reason == .cancelled else { return outcome }
        failure.reason = .quorumReached
        failure.message = "stopped: the quorum of \(request.quorum ?? 0) answers was reached"
        var copy = outcome
        copy.failure = failure
        return copy
    }

    private func record(_ outcome: SeatRunner.Outcome, _ ledger: inout Ledger) {
        ledger.responses += outcome.responses
        if let failure = outcome.failure { ledger.failed.append(failure) }
        ledger.usage = outcome.responses.reduce(ledger.usage) { $0 + $1.usage }
        ledger.cost += outcome.responses.reduce(0) { $0 + $1.cost }
        ledger.stages.modelBusy += outcome.busySeconds
        ledger.stages.loading += outcome.loadSeconds
    }

    private func recordSkipped(_ seat: ResolvedSeat, _ ledger: inout Ledger) {
        let failure = FailedModel(seat: seat.index, model: seat.spec.model, reason: .quorumReached,
                                  message: "not run: the quorum of \(request.quorum ?? 0) answers was reached")
        ledger.failed.append(failure)
        emit(.seatFailed(failure))
    }
}

extension Int64 {
    /// The smaller of self and a per-request budget, if one was given.
    func clampedBelow(by other: Int64?) -> Int64 { other.map { Swift.min(self, $0) } ?? self }
}

/// Peak resident memory of this process.
enum PeakMemory {
    /// VmHWM from /proc/self/status on Linux; nil elsewhere.
    static func processPeakBytes() -> Int64? {
        guard let text = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return nil }
        for line in text.split(separator: "\n") where line.hasPrefix("VmHWM:") {
            let digits = line.split(separator: " ").dropFirst().first.flatMap { Int64($0) }
            return digits.map { $0 * 1024 }
        }
        return nil
    }
}
