import Foundation
import Llama

/// Runs fusions: plans memory, leases models through one scheduler, runs the panel, the judge and
/// the synthesizer, and streams what happens.
///
/// ```swift
/// let store = ModelStore(catalog: try ModelCatalog.loadDefault())
/// let engine = try FusionEngine(store: store)
/// let request = try FusionPresets.loadDefault().request(named: "budget", question: "Why is the sky blue?")
/// for try await event in engine.run(request).events {
///     if case .finalDelta(let text) = event { print(text, terminator: "") }
/// }
/// ```
/// One engine serves many requests (the server keeps one); models stay loaded between requests
/// until their keep-alive passes or memory is needed.
public final class FusionEngine: Sendable {
    public let store: ModelStore
    /// What models may use: the requested budget minus this process's own memory (runtime,
    /// buffers) measured at start, so peak RSS — not just reservations — stays under the budget.
    public let budget: MemoryBudget
    /// The budget as requested (flag, environment or automatic), before the runtime is subtracted.
    public let requestedBudget: MemoryBudget
    public let cores: Int
    /// Providers, seat chains and the offline switch.
    public let remote: RemoteSettings
    let scheduler: ModelScheduler<LlamaSession>

    /// - Parameters:
    ///   - budget: bytes models may take together (default: `FUSION_MEMORY_BUDGET` or a safe share of RAM).
    ///   - cores: CPU threads available for decoding.
    public init(store: ModelStore, budget: MemoryBudget? = nil,
                cores: Int = ProcessInfo.processInfo.activeProcessorCount,
                keepAlive: Duration = .seconds(300), maxQueue: Int = 16,
                remote: RemoteSettings = RemoteSettings()) throws {
        self.store = store
        self.remote = remote
        let requested = try budget ?? MemoryBudget.resolve(environment: ProcessInfo.processInfo.environment)
        requestedBudget = requested
        let runtime = UInt64(max(0, ProcessMemoryProbe().residentBytes())) + Self.runtimeHeadroomBytes
        self.budget = MemoryBudget(bytes: requested.bytes > runtime ? requested.bytes - runtime : 1,
                                   source: requested.source,
                                   detail: (requested.detail.isEmpty ? "" : requested.detail + ", ")
                                       + "minus \(ByteFormat.string(runtime)) for the process itself")
        self.cores = max(1, cores)
        let threads = self.cores
        let models = SharedModels()
        scheduler = ModelScheduler(budgetBytes: Int64(clamping: self.budget.bytes), maxQueue: maxQueue,
                                   keepAlive: keepAlive, probe: ProcessMemoryProbe()) { key in
            // Loading maps the file, repacks weights and allocates the KV cache: seconds of
            // blocking work, so it runs on a Dispatch thread, not on Swift's cooperative pool.
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<LlamaSession, Error>) in
                DispatchQueue.global(qos: .userInitiated).async {
                    continuation.resume(with: Result {
                        // Contexts of one file (a 3-sample seat and the judge) share one copy of the weights.
                        let model = try models.model(at: key.path)
                        var options = ContextOptions(contextSize: key.contextSize, threads: threads, sequences: key.sequences)
                        options.batchSize = 512
                        return try LlamaSession(model: model, options: options)
                    })
                }
            }
        }
    }

    /// Room kept for allocations that grow while a fusion runs (prompts, streams, results).
    static let runtimeHeadroomBytes: UInt64 = 48 << 20

    /// The memory plan for a request, without loading anything (`fusion plan`).
    public func plan(_ request: FusionRequest) throws -> MemoryPlan {
        try prepare(request).plan
    }

    /// Starts a fusion. Cancel it with `FusionRun.cancel()` or by dropping the stream; every
    /// lease is released either way.
    public func run(_ request: FusionRequest) -> FusionRun {
        let (stream, continuation) = AsyncThrowingStream.makeStream(of: FusionEvent.self)
        let timedOut = TimeoutFlag()
        let task = Task {
            let execution = FusionExecution(engine: self, request: request, timedOut: timedOut) { continuation.yield($0) }
            let result = await execution.execute()
            continuation.yield(.done(result))
            continuation.finish()
        }
        let watchdog = request.timeout.map { seconds in
            Task {
                try? await Task.sleep(for: .seconds(seconds))
                if !Task.isCancelled { timedOut.set(); task.cancel() }
            }
        }
        continuation.onTermination = { reason in
            watchdog?.cancel()
            if case .cancelled = reason { task.cancel() }
        }
        return FusionRun(events: stream, task: task)
    }

    /// Runs a fusion to the end and returns its result.
    public func fuse(_ request: FusionRequest) async throws -> FusionResult {
        let run = run(request)
        return try await withTaskCancellationHandler {
            for try await event in run.events { if case .done(let result) = event { return result } }
            throw FusionError.cancelled
        } onCancel: { run.cancel() }
    }

    /// What the scheduler holds now (for traces, `/metrics`).
    public func schedulerSnapshot() async -> SchedulerSnapshot { await scheduler.snapshot }

    /// Drops every idle model.
    public func evictIdle() async { await scheduler.evictIdle() }

    // MARK: - Preparation

    /// A request resolved to files, with seeds fixed and memory planned.
    struct Prepared: Sendable {
        var request: FusionRequest
        /// Local seats, in the planner's order (the plan's indices refer to this array).
        var seats: [ResolvedSeat]
        /// Seats answered by remote providers: no memory, run beside the local panel.
        var remoteSeats: [RemoteSeat]
        var missing: [FailedModel]
        var judge: (path: String, estimate: MemoryEstimate)
        var synthesizer: (path: String, estimate: MemoryEstimate)?
        var plan: MemoryPlan
        var fingerprints: [ModelFingerprint]
        /// The request's own model budget when it asked for less than the engine's: every lease
        /// evicts idle models down to it, so earlier waves and other requests' idle models go.
        var leaseLimitBytes: Int64?
    }

    func prepare(_ original: FusionRequest) throws -> Prepared {
        try original.validate()
        var request = original
        let baseSeed = request.seed ?? UInt32.random(in: 0..<0xFFFF_0000)
        request.seed = baseSeed
        var seats: [ResolvedSeat] = []
        var missing: [FailedModel] = []
        var fingerprints: [ModelFingerprint] = []
        var budget = self.budget
        var leaseLimitBytes: Int64?
        if let explicit = request.memoryBudget, explicit > 0, UInt64(explicit) < requestedBudget.bytes {
            // A smaller per-request budget shrinks the plan; the process's own share still comes off.
            let runtime = requestedBudget.bytes - self.budget.bytes
            let bytes = UInt64(explicit) > runtime ? UInt64(explicit) - runtime : 1
            budget = MemoryBudget(bytes: bytes, source: .explicit, detail: "request, minus the process itself")
            leaseLimitBytes = Int64(clamping: bytes)
        }

        let resolver = SeatChainResolver(store: store, remote: remote, budgetBytes: budget.bytes, contextSize: request.contextSize)
        var remoteSeats: [RemoteSeat] = []
        for (index, spec) in request.panel.enumerated() {
            let seed = spec.seed ?? baseSeed &+ UInt32(index) &* 1000
            request.panel[index].seed = seed
            let parameters = (0..<spec.samples).map { request.panelParameters(for: spec, seed: seed &+ UInt32($0)) }
            // A seat is a chain of links (an alias from the providers file) or a single one; the
            // first usable link runs, the rest are fallbacks.
            let chain = try remote.chain(for: spec.model)
            var skipped: [String] = []
            var lastReason = FailedModel.Reason.notFound
            var chosen = false
            for (position, link) in chain.enumerated() {
                let rest = Array(chain[(position + 1)...])
                switch resolver.resolve(link, index: index, spec: request.panel[index], parameters: parameters, chainHasMore: !rest.isEmpty) {
                case .local(var seat):
                    seat.fallbacks = rest
                    seat.skipped = skipped
                    seats.append(seat)
                    fingerprints.append(ModelFingerprint(reference: spec.model, path: seat.path,
                                                         sha256: store.catalog.models.first { store.path(for: $0) == seat.path }?.sha256))
                case .remote(var seat):
                    seat.fallbacks = rest
                    seat.skipped = skipped
                    remoteSeats.append(seat)
                case .skipped(let why, let reason):
                    skipped.append(why)
                    lastReason = reason
                    continue
                }
                chosen = true
                break
            }
            if !chosen {
                missing.append(FailedModel(seat: index, model: spec.model, reason: lastReason, message: skipped.joined(separator: "; ")))
            }
        }
        guard !seats.isEmpty || !remoteSeats.isEmpty else { throw FusionError.allPanelsFailed(missing) }

        func resolveWriter(_ reference: String) throws -> (path: String, estimate: MemoryEstimate) {
            do {
                let resolved = try store.resolve(reference)
                if !fingerprints.contains(where: { $0.path == resolved.path }) {
                    fingerprints.append(ModelFingerprint(reference: reference, path: resolved.path, sha256: resolved.entry?.sha256))
                }
                return (resolved.path, try MemoryEstimate.forModel(at: resolved.path, contextSize: request.contextSize))
            } catch let error as CatalogError {
                throw FusionError.invalidRequest("judge/synthesizer: \(error.description)")
            } catch let error as PlanningError {
                throw FusionError.invalidRequest("judge/synthesizer: \(error.description)")
            }
        }
        let judge = try resolveWriter(request.judge)
        let synthesizer = try request.synthesizer.map(resolveWriter)

        let planner = MemoryPlanner(budget: budget, cores: request.threads ?? cores)
        do throws(PlanningError) {
            let plan = try planner.plan(
                panel: seats.map { PlanningSeat(label: $0.spec.model + ($0.spec.samples > 1 ? " ×\($0.spec.samples)" : ""),
                                                model: $0.path, estimate: $0.estimate) },
                judge: PlanningSeat(label: request.judge, model: judge.path, estimate: judge.estimate),
                synthesizer: synthesizer.map { PlanningSeat(label: request.synthesizer!, model: $0.path, estimate: $0.estimate) })
            return Prepared(request: request, seats: seats, remoteSeats: remoteSeats, missing: missing, judge: judge, synthesizer: synthesizer,
                            plan: plan, fingerprints: fingerprints, leaseLimitBytes: leaseLimitBytes)
        } catch {
            // A model that can never fit is a memory problem; anything else is a bad request.
            if case .modelExceedsBudget(let model, let estimate, _) = error {
                // The request's own budget is the limit, not the server's: retrying cannot help, so
                // it is the request that is wrong, and the message names the request's figure.
                if let asked = request.memoryBudget, leaseLimitBytes != nil, estimate <= self.budget.bytes {
                    throw FusionError.invalidRequest(
                        "model '\(model)' needs about \(ByteFormat.string(estimate)) but this request's memory budget of "
                        + "\(ByteFormat.string(UInt64(asked))) leaves \(ByteFormat.string(budget.bytes)) for models "
                        + "(the rest is this process's own); raise the request's memory_budget or leave it out")
                }
                throw FusionError.insufficientMemory(error.description)
            }
            throw FusionError.invalidRequest(error.description)
        }
    }
}

/// A running fusion.
public struct FusionRun: Sendable {
    /// Events in order; the last one is `.done(FusionResult)`.
    public let events: AsyncThrowingStream<FusionEvent, Error>
    let task: Task<Void, Never>

    /// Stops the fusion: running generations end within a token and every lease is released.
    public func cancel() { task.cancel() }
}

/// Loaded models by path, held weakly: alive exactly as long as some session uses them.
final class SharedModels: @unchecked Sendable {
    private final class WeakModel { weak var model: LlamaModel? }
    private let lock = NSLock()
    private var models: [String: WeakModel] = [:]

    func model(at path: String) throws -> LlamaModel {
        if let existing = lock.withLock({ models[path]?.model }) { return existing }
        let model = try LlamaModel(path: path)
        return lock.withLock {
            if let raced = models[path]?.model { return raced }
            let box = WeakModel()
            box.model = model
            models[path] = box
            return model
        }
    }
}

/// Set by the overall-timeout watchdog so a cancellation can be reported as a timeout.
final class TimeoutFlag: @unchecked Sendable {
    private let lock = NSLock()
    private var value = false
    func set() { lock.withLock { value = true } }
    var isSet: Bool { lock.withLock { value } }
}
