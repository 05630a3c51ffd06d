import Foundation
import Testing
@testable import Fusion

/// The queue: limits, cancellation, loader failures, one load at a time, shared loads, `withLease`.
@Suite struct SchedulerQueueTests {
    typealias S = SchedulerTestSupport

    @Test func fullQueueAnswersBusy() async throws {
        let scheduler = S.scheduler(budget: 100, loader: FakeLoader(), maxQueue: 2)
        let a = try await scheduler.lease(S.key("a"), estimateBytes: 100)
        let waiters = (0..<2).map { _ in Task { try await scheduler.lease(S.key("b"), estimateBytes: 50) } }
        await S.eventually("two waiting") { await scheduler.snapshot.queueDepth == 2 }

        await #expect(throws: SchedulerError.queueFull(depth: 2)) {
            _ = try await scheduler.lease(S.key("c"), estimateBytes: 10)
        }
        // A hit is still refused while others wait: FIFO means it would have to wait too.
        await #expect(throws: SchedulerError.queueFull(depth: 2)) {
            _ = try await scheduler.lease(S.key("a"), estimateBytes: 100)
        }
        for waiter in waiters { waiter.cancel() }
        for waiter in waiters { await #expect(throws: CancellationError.self) { try await waiter.value } }
        await scheduler.release(a)
        #expect(await scheduler.snapshot.queueDepth == 0)
    }

    @Test func bigRequestAtTheHeadIsNotStarvedBySmallerOnes() async throws {
        let loader = FakeLoader()
        let scheduler = S.scheduler(budget: 100, loader: loader)
        let small = try await scheduler.lease(S.key("small"), estimateBytes: 30)
        let big = Task { try await scheduler.lease(S.key("big"), estimateBytes: 100) }
        await S.eventually("big queued") { await scheduler.snapshot.queueDepth == 1 }
        // Would fit beside `small` right now, but must not overtake the big request.
        let other = Task { try await scheduler.lease(S.key("other"), estimateBytes: 20) }
        await S.eventually("other queued") { await scheduler.snapshot.queueDepth == 2 }
        #expect(loader.log.loaded == ["small"])

        await scheduler.release(small)
        let bigLease = try await big.value
        #expect(await scheduler.snapshot.queueDepth == 1) // other now waits for big's memory
        await scheduler.release(bigLease)
        let otherLease = try await other.value
        #expect(loader.log.loaded == ["small", "big", "other"])
        await scheduler.release(otherLease)
        #expect(await scheduler.snapshot.peakReservedBytes == 100)
    }

    @Test func cancelledWaiterLeavesTheQueueWithoutLeakingAndOthersProceed() async throws {
        let loader = FakeLoader()
        let scheduler = S.scheduler(budget: 100, loader: loader)
        let a = try await scheduler.lease(S.key("a"), estimateBytes: 100)
        let big = Task { try await scheduler.lease(S.key("big"), estimateBytes: 100) }
        await S.eventually("big queued") { await scheduler.snapshot.queueDepth == 1 }
        // Behind the blocked head, even a hit on the resident model waits (strict FIFO).
        let hit = Task { try await scheduler.lease(S.key("a"), estimateBytes: 100) }
        await S.eventually("hit queued") { await scheduler.snapshot.queueDepth == 2 }

        big.cancel()
        await #expect(throws: CancellationError.self) { try await big.value }
        let second = try await hit.value // the head left, so the hit is served at once
        var snapshot = await scheduler.snapshot
        #expect(snapshot.queueDepth == 0)
        #expect(snapshot.model(S.key("a"))?.refCount == 2)
        #expect(snapshot.reservedBytes == 100)

        await scheduler.release(a)
        await scheduler.release(second)
        try await S.touch(scheduler, S.key("c"), bytes: 100) // all memory is reclaimable again
        snapshot = await scheduler.snapshot
        #expect(snapshot.loaded.map(\.key) == [S.key("c")])
        #expect(snapshot.reservedBytes == 100 && snapshot.peakReservedBytes == 100)
        #expect(!loader.log.loaded.contains("big"))
    }

    @Test func alreadyCancelledTaskNeverQueues() async throws {
        let scheduler = S.scheduler(budget: 100, loader: FakeLoader())
        let a = try await scheduler.lease(S.key("a"), estimateBytes: 100)
        let task = Task {
            withUnsafeCurrentTask { $0?.cancel() }
            return try await scheduler.lease(S.key("b"), estimateBytes: 100)
        }
        await #expect(throws: CancellationError.self) { try await task.value }
        #expect(await scheduler.snapshot.queueDepth == 0)
        await scheduler.release(a)
    }

    @Test func cancellingTheLoadingTaskReleasesItsReservation() async throws {
        let loader = FakeLoader(delay: .seconds(30))
        let scheduler = S.scheduler(budget: 100, loader: loader)
        let task = Task { try await scheduler.lease(S.key("slow"), estimateBytes: 80) }
        await S.eventually("load in flight") { await scheduler.snapshot.loadsInFlight == 1 }
        #expect(await scheduler.snapshot.reservedBytes == 80)
        task.cancel()
        await #expect(throws: CancellationError.self) { try await task.value }
        let snapshot = await scheduler.snapshot
        #expect(snapshot.reservedBytes == 0 && snapshot.loadsInFlight == 0 && snapshot.loaded.isEmpty)
    }

    @Test func loaderFailureReleasesTheReservationAndTheQueueMovesOn() async throws {
        let gate = Gate()
        let loader = FakeLoader(gate: gate, failing: ["broken"])
        let scheduler = S.scheduler(budget: 100, loader: loader)
        let broken = Task { try await scheduler.lease(S.key("broken"), estimateBytes: 70) }
        await S.eventually("broken loading") { await scheduler.snapshot.loadsInFlight == 1 }
        let next = Task { try await scheduler.lease(S.key("next"), estimateBytes: 70).resource.name }
        await S.eventually("next queued") { await scheduler.snapshot.queueDepth == 1 }

        gate.open()
        await #expect(throws: FakeLoadError(name: "broken")) { try await broken.value }
        #expect(try await next.value == "next")
        let snapshot = await scheduler.snapshot
        #expect(snapshot.reservedBytes == 70)
        #expect(snapshot.loaded.map(\.key) == [S.key("next")])
        #expect(snapshot.loadCount == 1)
    }

    @Test func onlyOneLoadRunsAtATime() async throws {
        let loader = FakeLoader(delay: .milliseconds(20))
        let scheduler = S.scheduler(budget: 1_000, loader: loader)
        let names = (0..<5).map { "m\($0)" }
        try await withThrowingTaskGroup(of: Void.self) { group in
            for name in names {
                group.addTask { _ = try await scheduler.lease(S.key(name), estimateBytes: 100) }
            }
            try await group.waitForAll()
        }
        #expect(loader.maxConcurrentLoads == 1)
        #expect(Set(loader.log.loaded) == Set(names))
        // Every load started only after the previous one finished.
        let events = loader.log.all
        for (index, event) in events.enumerated() where index > 0 {
            if case .started = event, case .started = events[index - 1] { Issue.record("overlapping loads: \(events)") }
        }
    }

    @Test func sameKeyLeasedTwiceConcurrentlyLoadsOnce() async throws {
        let gate = Gate()
        let loader = FakeLoader(gate: gate)
        let scheduler = S.scheduler(budget: 100, loader: loader)
        let first = Task { try await scheduler.lease(S.key("a"), estimateBytes: 60) }
        await S.eventually("loading") { await scheduler.snapshot.loadsInFlight == 1 }
        let second = Task { try await scheduler.lease(S.key("a"), estimateBytes: 60) }
        await S.eventually("second waiting") { await scheduler.snapshot.queueDepth == 1 }

        gate.open()
        let leases = [try await first.value, try await second.value]
        #expect(leases[0].resource === leases[1].resource)
        let snapshot = await scheduler.snapshot
        #expect(snapshot.model(S.key("a"))?.refCount == 2)
        #expect(snapshot.reservedBytes == 60)
        #expect(loader.log.loaded == ["a"])
        for lease in leases { await scheduler.release(lease) }
        #expect(await scheduler.snapshot.model(S.key("a"))?.refCount == 0)
    }

    @Test func withLeaseAlwaysReleases() async throws {
        let scheduler = S.scheduler(budget: 100, loader: FakeLoader())
        let name = try await scheduler.withLease(S.key("a"), estimateBytes: 10) { lease in
            #expect(await scheduler.snapshot.model(S.key("a"))?.refCount == 1)
            return lease.resource.name
        }
        #expect(name == "a")
        #expect(await scheduler.snapshot.model(S.key("a"))?.refCount == 0)

        struct BodyFailed: Error {}
        await #expect(throws: BodyFailed.self) {
            try await scheduler.withLease(S.key("a"), estimateBytes: 10) { _ in throw BodyFailed() }
        }
        #expect(await scheduler.snapshot.model(S.key("a"))?.refCount == 0)

        let started = Gate()
        let task = Task {
            try await scheduler.withLease(S.key("a"), estimateBytes: 10) { _ in
                started.open()
                try await Task.sleep(for: .seconds(30))
            }
        }
        await started.wait()
        task.cancel()
        await #expect(throws: CancellationError.self) { try await task.value }
        #expect(await scheduler.snapshot.model(S.key("a"))?.refCount == 0)
    }
}
