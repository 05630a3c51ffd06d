import Foundation
import Testing
@testable import Fusion

/// Leasing, eviction, pinning, LRU and keep-alive.
@Suite struct SchedulerLeaseTests {
    typealias S = SchedulerTestSupport

    @Test func leasesWithinBudgetLoadOnceAndStayResidentWhenIdle() async throws {
        let loader = FakeLoader()
        let scheduler = S.scheduler(budget: 100, loader: loader)
        let a = try await scheduler.lease(S.key("a"), estimateBytes: 40)
        let b = try await scheduler.lease(S.key("b"), estimateBytes: 50)
        #expect(a.resource.name == "a" && b.resource.name == "b")

        var snapshot = await scheduler.snapshot
        #expect(snapshot.reservedBytes == 90)
        #expect(snapshot.loaded.map(\.refCount) == [1, 1])
        #expect(snapshot.loadCount == 2 && snapshot.budgetBytes == 100)

        await scheduler.release(a)
        await scheduler.release(b)
        await scheduler.release(b) // a second release is ignored
        snapshot = await scheduler.snapshot
        #expect(snapshot.loaded.map(\.refCount) == [0, 0])
        #expect(snapshot.reservedBytes == 90)

        // A resident model is leased again without loading.
        try await S.touch(scheduler, S.key("a"), bytes: 40)
        #expect(loader.log.loaded == ["a", "b"])
        #expect(loader.log.unloaded.isEmpty)
    }

    @Test func secondModelWaitsForTheFirstThenEvictsIt() async throws {
        let loader = FakeLoader()
        let scheduler = S.scheduler(budget: 100, loader: loader)
        var a: ModelLease<FakeModel>? = try await scheduler.lease(S.key("a"), estimateBytes: 60)

        let waiter = Task { try await scheduler.lease(S.key("b"), estimateBytes: 60).resource.name }
        await S.eventually("b queued") { await scheduler.snapshot.queueDepth == 1 }
        #expect(await scheduler.snapshot.model(S.key("b")) == nil)
        #expect(loader.log.loaded == ["a"])

        await scheduler.release(a!)
        a = nil // drop our copy: the scheduler's eviction must then free the model
        #expect(try await waiter.value == "b")

        let snapshot = await scheduler.snapshot
        #expect(snapshot.loaded.map(\.key) == [S.key("b")])
        #expect(snapshot.reservedBytes == 60 && snapshot.peakReservedBytes == 60)
        #expect(snapshot.evictionCount == 1)
        await S.eventually("a unloaded") { loader.log.unloaded == ["a"] }
    }

    @Test func modelInUseIsNeverEvicted() async throws {
        let loader = FakeLoader()
        let scheduler = S.scheduler(budget: 100, loader: loader)
        let a = try await scheduler.lease(S.key("a"), estimateBytes: 60)
        let waiter = Task { try await scheduler.lease(S.key("b"), estimateBytes: 60) }
        await S.eventually("b queued") { await scheduler.snapshot.queueDepth == 1 }

        await scheduler.evictIdle()
        for _ in 0..<20 { await Task.yield() }
        let snapshot = await scheduler.snapshot
        #expect(snapshot.model(S.key("a"))?.refCount == 1)
        #expect(snapshot.model(S.key("b")) == nil)
        #expect(snapshot.queueDepth == 1)
        #expect(loader.log.unloaded.isEmpty)

        waiter.cancel()
        await #expect(throws: CancellationError.self) { try await waiter.value }
        await scheduler.release(a)
    }

    @Test func pinnedModelIsNeverEvictedUntilUnpinned() async throws {
        let loader = FakeLoader()
        let clock = ManualClock()
        let scheduler = S.scheduler(budget: 100, loader: loader, keepAlive: .seconds(10), clock: clock)
        do { // scoped so that our lease copy is gone before the judge should unload
            let judge = try await scheduler.lease(S.key("judge"), estimateBytes: 60, pin: true)
            await scheduler.release(judge)
        }

        let waiter = Task { try await scheduler.lease(S.key("member"), estimateBytes: 60).resource.name }
        await S.eventually("member queued") { await scheduler.snapshot.queueDepth == 1 }
        await scheduler.evictIdle()
        clock.advance(by: .seconds(3600)) // keep-alive does not apply to pinned models either
        var snapshot = await scheduler.snapshot
        #expect(snapshot.model(S.key("judge"))?.pinned == true)
        #expect(snapshot.model(S.key("judge"))?.refCount == 0)
        #expect(snapshot.queueDepth == 1)

        await scheduler.unpin(S.key("judge"))
        #expect(try await waiter.value == "member")
        snapshot = await scheduler.snapshot
        #expect(snapshot.loaded.map(\.key) == [S.key("member")])
        await S.eventually("judge unloaded") { loader.log.unloaded == ["judge"] }
    }

    @Test func pinStaysWhenAPinnedLeaseHitsAResidentModel() async throws {
        let scheduler = S.scheduler(budget: 100, loader: FakeLoader())
        try await S.touch(scheduler, S.key("judge"), bytes: 50)
        let pinned = try await scheduler.lease(S.key("judge"), estimateBytes: 50, pin: true)
        await scheduler.release(pinned)
        await scheduler.evictIdle()
        #expect(await scheduler.snapshot.model(S.key("judge"))?.pinned == true)
    }

    @Test func idleModelsAreEvictedLeastRecentlyUsedFirst() async throws {
        let loader = FakeLoader()
        let scheduler = S.scheduler(budget: 100, loader: loader)
        for name in ["a", "b", "c"] { try await S.touch(scheduler, S.key(name), bytes: 30) }
        try await S.touch(scheduler, S.key("a"), bytes: 30) // a becomes the most recent
        #expect(await scheduler.snapshot.loaded.map(\.key) == [S.key("b"), S.key("c"), S.key("a")])

        // 10 free, 50 needed: evicting b (→40) is not enough, c too (→70) is; a stays.
        try await S.touch(scheduler, S.key("d"), bytes: 50)
        let snapshot = await scheduler.snapshot
        #expect(snapshot.loaded.map(\.key) == [S.key("a"), S.key("d")])
        #expect(snapshot.reservedBytes == 80)
        await S.eventually("b then c unloaded") { loader.log.unloaded == ["b", "c"] }
    }

    @Test func idleModelsAreKeptWhenEvictingThemWouldNotBeEnough() async throws {
        let loader = FakeLoader()
        let scheduler = S.scheduler(budget: 100, loader: loader)
        try await S.touch(scheduler, S.key("idle"), bytes: 30)
        let busy = try await scheduler.lease(S.key("busy"), estimateBytes: 60)
        let waiter = Task { try await scheduler.lease(S.key("big"), estimateBytes: 80) }
        await S.eventually("big queued") { await scheduler.snapshot.queueDepth == 1 }
        #expect(await scheduler.snapshot.model(S.key("idle")) != nil)

        await scheduler.release(busy)
        _ = try await waiter.value
        #expect(await scheduler.snapshot.loaded.map(\.key) == [S.key("big")])
    }

    @Test func keepAliveExpiresIdleModelsLazily() async throws {
        let loader = FakeLoader()
        let clock = ManualClock()
        let scheduler = S.scheduler(budget: 100, loader: loader, keepAlive: .seconds(60), clock: clock)
        try await S.touch(scheduler, S.key("a"), bytes: 10)
        let busy = try await scheduler.lease(S.key("busy"), estimateBytes: 10)

        clock.advance(by: .seconds(60)) // exactly at the limit: still kept
        #expect(await scheduler.snapshot.loaded.count == 2)
        clock.advance(by: .seconds(1))
        let snapshot = await scheduler.snapshot
        #expect(snapshot.loaded.map(\.key) == [S.key("busy")]) // in use: never expires
        #expect(snapshot.reservedBytes == 10)
        await S.eventually("a unloaded") { loader.log.unloaded == ["a"] }

        // Releasing restarts the keep-alive from the release.
        await scheduler.release(busy)
        clock.advance(by: .seconds(30))
        #expect(await scheduler.snapshot.loaded.count == 1)
        clock.advance(by: .seconds(31))
        #expect(await scheduler.snapshot.loaded.isEmpty)
    }

    @Test func periodicSweepExpiresWithoutAnyOtherCall() async throws {
        let loader = FakeLoader()
        let clock = ManualClock()
        let scheduler = S.scheduler(budget: 100, loader: loader, keepAlive: .seconds(60), clock: clock)
        try await S.touch(scheduler, S.key("a"), bytes: 10)
        let sweeper = Task { await scheduler.runKeepAliveSweep(every: .seconds(30)) }

        await S.eventually("sweeper sleeping") { clock.sleeperCount == 1 }
        clock.advance(by: .seconds(30))
        await S.eventually("sweeper sleeping again") { clock.sleeperCount == 1 }
        #expect(loader.log.unloaded.isEmpty)
        clock.advance(by: .seconds(31))
        // Only the sweep runs now; the unload shows up in the model's deinit, not via a scheduler call.
        await S.eventually("a unloaded by the sweep") { loader.log.unloaded == ["a"] }

        sweeper.cancel()
        await sweeper.value
        #expect(clock.sleeperCount == 0)
    }

    @Test func estimateLargerThanTheBudgetNeverFits() async throws {
        let scheduler = S.scheduler(budget: 100, loader: FakeLoader())
        await #expect(throws: SchedulerError.neverFits(key: S.key("huge"), estimateBytes: 101, budgetBytes: 100)) {
            _ = try await scheduler.lease(S.key("huge"), estimateBytes: 101)
        }
        await #expect(throws: SchedulerError.invalidEstimate(key: S.key("neg"), estimateBytes: -1)) {
            _ = try await scheduler.lease(S.key("neg"), estimateBytes: -1)
        }
        let error = SchedulerError.neverFits(key: S.key("huge"), estimateBytes: 2 << 30, budgetBytes: 1 << 30)
        #expect(error.description.contains("huge.gguf@512"))
        #expect(error.description.contains("2048.0 MiB"))
    }

    @Test func perRequestLimitEvictsIdleModelsDownToIt() async throws {
        let loader = FakeLoader()
        let scheduler = S.scheduler(budget: 1000, loader: loader)
        try await S.touch(scheduler, S.key("a"), bytes: 300)
        try await S.touch(scheduler, S.key("b"), bytes: 300)
        // No limit: the scheduler's budget has room, so idle models stay cached.
        try await S.touch(scheduler, S.key("c"), bytes: 200)
        #expect(await scheduler.snapshot.reservedBytes == 800)

        do { // scoped so that our lease copies are gone before the models should unload
            // A request with a 400-byte budget: idle models go, least recently used first, until it fits.
            let d = try await scheduler.lease(S.key("d"), estimateBytes: 200, limitBytes: 400)
            var snapshot = await scheduler.snapshot
            #expect(snapshot.loaded.map(\.key) == [S.key("c"), S.key("d")])
            #expect(snapshot.reservedBytes == 400)
            await S.eventually("a and b unloaded") { loader.log.unloaded == ["a", "b"] }

            // A model in use is neither evicted nor waited for: the limit binds only what is idle.
            let e = try await scheduler.lease(S.key("e"), estimateBytes: 300, limitBytes: 400)
            snapshot = await scheduler.snapshot
            #expect(snapshot.loaded.map(\.key) == [S.key("d"), S.key("e")])
            #expect(snapshot.reservedBytes == 500)
            await scheduler.release(d)
            await scheduler.release(e)
        }

        // A resident model leased under a limit clears the idle ones around it too.
        try await S.touch(scheduler, S.key("e"), bytes: 300, limit: 400)
        #expect(await scheduler.snapshot.loaded.map(\.key) == [S.key("e")])
        await S.eventually("a, b, c and d unloaded") { loader.log.unloaded == ["a", "b", "c", "d"] }
    }

    @Test func perRequestLimitKeepsPinnedModelsAndTravelsWithAQueuedLease() async throws {
        let loader = FakeLoader(delay: .milliseconds(50))
        let scheduler = S.scheduler(budget: 1000, loader: loader)
        let judge = try await scheduler.lease(S.key("judge"), estimateBytes: 300, pin: true)
        await scheduler.release(judge)
        try await S.touch(scheduler, S.key("old"), bytes: 200)
        do {
            // A load in flight makes the limited lease queue; its limit applies when it is served.
            let slow = Task { try await scheduler.lease(S.key("slow"), estimateBytes: 200) }
            await S.eventually("slow loading") { await scheduler.snapshot.loadsInFlight == 1 }
            let waiter = Task { try await S.touch(scheduler, S.key("next"), bytes: 200, limit: 500) }
            await S.eventually("next queued") { await scheduler.snapshot.queueDepth == 1 }
            let lease = try await slow.value
            try await waiter.value
            await scheduler.release(lease)
        }
        let snapshot = await scheduler.snapshot
        #expect(snapshot.model(S.key("judge"))?.pinned == true, "a pinned model stays, limit or not")
        #expect(Set(snapshot.loaded.map(\.key)) == [S.key("judge"), S.key("slow"), S.key("next")])
        #expect(snapshot.reservedBytes == 700, "without the limit 'old' would have stayed: 900")
        await S.eventually("old unloaded") { loader.log.unloaded == ["old"] }
    }

    @Test func keysDifferByContextAndSequences() {
        #expect(S.key("a", context: 512) != S.key("a", context: 1024))
        #expect(S.key("a", sequences: 1) != S.key("a", sequences: 4))
        #expect(S.key("a", context: 4096, sequences: 4).description == "a.gguf@4096x4")
    }
}
