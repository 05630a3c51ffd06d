import Foundation
import Synchronization
import Testing
@testable import Fusion

/// Randomized load, plus the memory probe.
@Suite struct SchedulerStressTests {
    typealias S = SchedulerTestSupport

    /// A probe fake: reports whatever the test sets.
    final class FixedProbe: MemoryProbe {
        let bytes = Atomic<Int64>(0)
        func residentBytes() -> Int64 { bytes.load(ordering: .relaxed) }
    }

    @Test(arguments: [0x5EED, 1, 2, 3] as [UInt64])
    func reservationsNeverExceedTheBudgetUnderRandomLoad(seed: UInt64) async throws {
        var rng = SeededGenerator(seed: seed)
        let budget: Int64 = 100
        let sizes: [String: Int64] = ["a": 10, "b": 20, "c": 30, "d": 40, "e": 50, "f": 60, "g": 25, "h": 100]
        let names = sizes.keys.sorted()
        let loader = FakeLoader(delay: .microseconds(200), failing: ["g"])
        let scheduler = S.scheduler(budget: budget, loader: loader, maxQueue: 200)

        struct Job { let name: String; let holdYields: Int; let cancelAfterYields: Int? }
        let jobs = (0..<200).map { _ in
            Job(name: names.randomElement(using: &rng)!, holdYields: Int.random(in: 0...20, using: &rng),
                cancelAfterYields: Int.random(in: 0..<10, using: &rng) == 0 ? Int.random(in: 0...30, using: &rng) : nil)
        }

        let outcomes = Tally()
        await withTaskGroup(of: Void.self) { group in
            for job in jobs {
                let work = Task {
                    do {
                        let lease = try await scheduler.lease(S.key(job.name), estimateBytes: sizes[job.name]!)
                        #expect(lease.resource.name == job.name)
                        for _ in 0..<job.holdYields { await Task.yield() }
                        await scheduler.release(lease)
                        outcomes.add("ok")
                    } catch is CancellationError {
                        outcomes.add("cancelled")
                    } catch is FakeLoadError {
                        outcomes.add("failed")
                    } catch {
                        Issue.record("unexpected error: \(error)")
                    }
                }
                group.addTask { await work.value }
                if let yields = job.cancelAfterYields {
                    group.addTask {
                        for _ in 0..<yields { await Task.yield() }
                        work.cancel()
                    }
                }
            }
        }

        let counts = outcomes.counts
        #expect(counts.values.reduce(0, +) == 200)
        #expect(counts["ok", default: 0] > 100, "most jobs should get their model: \(counts)")
        let snapshot = await scheduler.snapshot
        #expect(snapshot.peakReservedBytes <= budget)
        #expect(snapshot.peakReservedBytes > 0)
        #expect(snapshot.queueDepth == 0 && snapshot.loadsInFlight == 0)
        #expect(snapshot.loaded.allSatisfy { $0.refCount == 0 && !$0.pinned })
        #expect(snapshot.reservedBytes == snapshot.loaded.reduce(0) { $0 + $1.bytes })
        #expect(loader.maxConcurrentLoads == 1)

        await scheduler.evictIdle()
        #expect(await scheduler.snapshot.reservedBytes == 0)
    }

    @Test func snapshotReportsTheProbeButDecisionsIgnoreIt() async throws {
        let probe = FixedProbe()
        probe.bytes.store(10_000, ordering: .relaxed) // far above the budget: must not block loads
        let scheduler = ModelScheduler<FakeModel>(budgetBytes: 100, clock: ManualClock(), probe: probe) { key in
            FakeModel(name: S.name(of: key), log: EventLog())
        }
        try await S.touch(scheduler, S.key("a"), bytes: 100)
        let snapshot = await scheduler.snapshot
        #expect(snapshot.residentBytes == 10_000)
        #expect(snapshot.reservedBytes == 100)
    }

    @Test func processProbeReadsResidentMemory() {
        #if os(Linux) || canImport(Darwin)
        #expect(ProcessMemoryProbe().residentBytes() > 1 << 20)
        #endif
        let status = "Name:\tswift\nVmPeak:\t  2000 kB\nVmRSS:\t    1234 kB\nThreads:\t4\n"
        let parsed: Int64 = ProcessMemoryProbe.vmRSSBytes(inStatus: status) ?? -1
        #expect(parsed == 1_263_616) // 1234 kB
        if let value = ProcessMemoryProbe.vmRSSBytes(inStatus: "Name:\tx\n") {
            Issue.record("no VmRSS line should give nil, got \(value)")
        }
    }
}

/// Counts outcomes across tasks.
final class Tally: Sendable {
    private let state = SchedulerLocked<[String: Int]>([:])
    func add(_ outcome: String) { state.withLock { $0[outcome, default: 0] += 1 } }
    var counts: [String: Int] { state.withLock { $0 } }
}

/// SplitMix64: a reproducible generator, so a failing stress run can be replayed.
struct SeededGenerator: RandomNumberGenerator {
    private var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
