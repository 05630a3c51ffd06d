import Foundation
import Testing
@testable import Fusion

// Test doubles for the scheduler: a manual clock, and a fake loader whose "models" record their own
// unload in `deinit` — which also proves the scheduler drops its references on eviction.

/// A value behind an `NSLock`. Used instead of `Synchronization.Mutex` in these fakes because on
/// Linux that mutex is built on raw futexes, which ThreadSanitizer cannot see: every `withLock` would
/// be reported as a race, hiding real ones in `swift test --sanitize=thread`.
final class SchedulerLocked<Value>: @unchecked Sendable {
    // @unchecked: every access to `value` goes through `lock`.
    private let lock = NSLock()
    private var value: Value
    init(_ value: Value) { self.value = value }
    func withLock<R>(_ body: (inout Value) throws -> R) rethrows -> R {
        lock.lock()
        defer { lock.unlock() }
        return try body(&value)
    }
}

/// A clock that moves only when the test says so.
final class ManualClock: SchedulerClock {
    private struct Sleeper {
        let id: Int
        let deadline: ContinuousClock.Instant
        let continuation: CheckedContinuation<Void, any Error>
    }
    private struct State {
        var now = ContinuousClock.now
        var nextID = 0
        var sleepers: [Sleeper] = []
    }
    private let state = SchedulerLocked(State())

    func now() -> ContinuousClock.Instant { state.withLock { $0.now } }

    var sleeperCount: Int { state.withLock { $0.sleepers.count } }

    /// Moves time forward and wakes every sleeper whose deadline has passed.
    func advance(by duration: Duration) {
        let due = state.withLock { state -> [Sleeper] in
            state.now += duration
            let now = state.now
            let due = state.sleepers.filter { $0.deadline <= now }
            state.sleepers.removeAll { $0.deadline <= now }
            return due
        }
        for sleeper in due { sleeper.continuation.resume() }
    }

    func sleep(for duration: Duration) async throws {
        let id = state.withLock { state -> Int in
            state.nextID += 1
            return state.nextID
        }
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                let resumeNow: Bool = state.withLock { state in
                    if Task.isCancelled { return true }
                    state.sleepers.append(Sleeper(id: id, deadline: state.now + duration, continuation: continuation))
                    return false
                }
                if resumeNow { continuation.resume(throwing: CancellationError()) }
            }
        } onCancel: {
            let sleeper = state.withLock { state -> Sleeper? in
                guard let index = state.sleepers.firstIndex(where: { $0.id == id }) else { return nil }
                return state.sleepers.remove(at: index)
            }
            sleeper?.continuation.resume(throwing: CancellationError())
        }
    }
}

/// What happened to fake models, in order.
enum LoadEvent: Equatable, Sendable {
    case started(String)
    case loaded(String)
    case unloaded(String)
}

/// Thread-safe event recorder shared by the loader and its models.
final class EventLog: Sendable {
    private let events = SchedulerLocked<[LoadEvent]>([])
    func record(_ event: LoadEvent) { events.withLock { $0.append(event) } }
    var all: [LoadEvent] { events.withLock { $0 } }
    var loaded: [String] { all.compactMap { if case .loaded(let name) = $0 { name } else { nil } } }
    var unloaded: [String] { all.compactMap { if case .unloaded(let name) = $0 { name } else { nil } } }
}

/// A stand-in for a loaded model; its deinit is the "unload".
final class FakeModel: Sendable {
    let name: String
    private let log: EventLog
    init(name: String, log: EventLog) {
        self.name = name
        self.log = log
    }
    deinit { log.record(.unloaded(name)) }
}

struct FakeLoadError: Error, Equatable {
    let name: String
}

/// A latch that holds loads until the test opens it.
final class Gate: Sendable {
    private let state = SchedulerLocked<(open: Bool, waiters: [CheckedContinuation<Void, Never>])>((false, []))
    func wait() async {
        await withCheckedContinuation { continuation in
            let proceed = state.withLock { state -> Bool in
                if state.open { return true }
                state.waiters.append(continuation)
                return false
            }
            if proceed { continuation.resume() }
        }
    }
    func open() {
        let waiters = state.withLock { state -> [CheckedContinuation<Void, Never>] in
            state.open = true
            defer { state.waiters = [] }
            return state.waiters
        }
        for waiter in waiters { waiter.resume() }
    }
}

/// Loads `FakeModel`s; can be slowed, gated, or made to fail for chosen names. Tracks how many
/// loads overlap.
final class FakeLoader: Sendable {
    let log = EventLog()
    private let delay: Duration?
    private let gate: Gate?
    private let failing: Set<String>
    private let concurrency = SchedulerLocked<(current: Int, max: Int)>((0, 0))

    init(delay: Duration? = nil, gate: Gate? = nil, failing: Set<String> = []) {
        self.delay = delay
        self.gate = gate
        self.failing = failing
    }

    var maxConcurrentLoads: Int { concurrency.withLock { $0.max } }

    func load(_ key: ModelKey) async throws -> FakeModel {
        let name = SchedulerTestSupport.name(of: key)
        log.record(.started(name))
        concurrency.withLock { $0.current += 1; $0.max = max($0.max, $0.current) }
        defer { concurrency.withLock { $0.current -= 1 } }
        if let gate { await gate.wait() }
        if let delay { try await Task.sleep(for: delay) }
        if failing.contains(name) { throw FakeLoadError(name: name) }
        log.record(.loaded(name))
        return FakeModel(name: name, log: log)
    }
}

enum SchedulerTestSupport {
    static func key(_ name: String, context: Int = 512, sequences: Int = 1) -> ModelKey {
        ModelKey(path: "/models/\(name).gguf", contextSize: context, sequences: sequences)
    }

    static func name(of key: ModelKey) -> String {
        String(key.path.split(separator: "/").last!.dropLast(".gguf".count))
    }

    static func scheduler(budget: Int64, loader: FakeLoader, maxQueue: Int = 16,
                          keepAlive: Duration = .seconds(300), clock: ManualClock = ManualClock())
        -> ModelScheduler<FakeModel> {
        ModelScheduler(budgetBytes: budget, maxQueue: maxQueue, keepAlive: keepAlive, clock: clock,
                       loader: { try await loader.load($0) })
    }

    /// Polls `condition` until it holds; records an issue after `timeout`.
    static func eventually(_ what: String, timeout: Duration = .seconds(10),
                           sourceLocation: SourceLocation = #_sourceLocation,
                           _ condition: () async -> Bool) async {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if await condition() { return }
            try? await Task.sleep(for: .milliseconds(1))
        }
        Issue.record("timed out waiting for: \(what)", sourceLocation: sourceLocation)
    }

    /// Leases and immediately releases, so the model is resident and idle; the lease copy dies here.
    static func touch(_ scheduler: ModelScheduler<FakeModel>, _ key: ModelKey, bytes: Int64, limit: Int64? = nil) async throws {
        let lease = try await scheduler.lease(key, estimateBytes: bytes, limitBytes: limit)
        await scheduler.release(lease)
    }
}
