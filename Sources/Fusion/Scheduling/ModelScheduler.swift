/// Leases loaded models to callers within a fixed memory budget.
///
/// One actor owns every decision (the role of ollama's single scheduler loop): which request goes
/// next, when a model is loaded, which idle model is evicted. Loaded models are ref-counted by their
/// outstanding leases; a model is only evicted when nobody holds it and it is not pinned.
///
/// **Memory.** Every load *reserves* its estimate before the loader runs, and the reservation lasts
/// until the model is evicted (or the load fails). Decisions use reservations only, never the memory
/// probe: resident memory lags behind unloads, so probes would refuse loads that fit. Reserved bytes
/// never exceed the budget (`peakReservedBytes` records the highest value reached).
///
/// **Order.** Requests are served strictly first-in, first-out. A request that cannot be served yet
/// (not enough memory even after evicting idle models, or another load in flight) blocks everyone
/// behind it — even requests for models that are already loaded. That is deliberate: letting cheap
/// requests overtake would starve a large model at the head forever, because a stream of small leases
/// keeps memory (or the very model the head needs evicted) busy. When the queue is empty, a request
/// for a resident model is served at once, even while a load is in flight.
///
/// **Loads.** At most one load runs at a time (loading is I/O- and memory-bandwidth bound; two at
/// once are no faster and make the peak harder to reason about). The load runs in the task that asked
/// for it, so cancelling that task cancels the load. Concurrent requests for the same key share one
/// load: the second waits and then gets the resident model (ref-count 2).
///
/// **Eviction.** Idle, unpinned models are evicted least recently used first, only when that makes
/// the head request fit (evicting models that would not be enough is pointless churn; a per-request
/// limit, below, is the exception). Idle models
/// also expire after `keepAlive` without use; expiry is checked lazily on every call, and
/// `runKeepAliveSweep(every:)` can check periodically. Eviction drops the scheduler's only reference,
/// so ARC frees the C model and context as soon as no released lease copy is kept around.
///
/// **Pinning.** A model leased with `pin: true` (e.g. the judge) is never evicted until `unpin`. A
/// request that cannot fit beside pinned models waits (until an unpin, or its task is cancelled).
///
/// **Per-request limits.** A lease may carry a smaller limit (a request's own memory budget): idle
/// models are evicted until the reservations, the leased model included, fit the limit, or until
/// none is idle. Models in use or pinned are never waited for on the limit's account, so a limit
/// cannot deadlock two requests; it binds fully when nothing else holds a model. While other
/// requests hold more than the limit, each of its leases evicts every idle model.
public actor ModelScheduler<Resource: Sendable> {
    /// Loads a model instance; injected so tests need no real models.
    public typealias Loader = @Sendable (ModelKey) async throws -> Resource

    /// The memory budget in bytes.
    public nonisolated let budgetBytes: Int64
    /// How many requests may wait at once before `lease` answers `.queueFull`.
    public nonisolated let maxQueue: Int
    /// How long an idle, unpinned model stays resident after its last use.
    public nonisolated let keepAlive: Duration

    private let clock: any SchedulerClock
    private let probe: (any MemoryProbe)?
    private let loader: Loader

    /// A resident model. The scheduler's only strong reference to the resource lives here.
    private struct Entry {
        var resource: Resource
        var bytes: Int64
        var refCount: Int
        var pinned: Bool
        var lastUsed: ContinuousClock.Instant
        /// Monotonic use stamp: exact LRU order even when the clock returns equal instants.
        var useOrder: UInt64
    }

    /// The single load in flight; its bytes are already counted in `reservedBytes`.
    private struct PendingLoad {
        let key: ModelKey
        let bytes: Int64
        let pin: Bool
        let ticket: UInt64
    }

    /// What a request was granted: a lease on a resident model, or the right (and duty) to load.
    private enum Grant: Sendable {
        case hit(ModelLease<Resource>)
        case load(ticket: UInt64)
    }

    private struct Waiter {
        let id: UInt64
        let key: ModelKey
        let estimateBytes: Int64
        let pin: Bool
        let limitBytes: Int64?
        let continuation: CheckedContinuation<Grant, any Error>
    }

    private var entries: [ModelKey: Entry] = [:]
    private var pendingLoad: PendingLoad?
    private var queue: [Waiter] = []
    /// Outstanding lease ids, so a second release of the same lease is ignored.
    private var leases: [UInt64: ModelKey] = [:]
    private var reservedBytes: Int64 = 0
    private var peakReservedBytes: Int64 = 0
    private var nextID: UInt64 = 0
    private var loadCount = 0
    private var evictionCount = 0

    /// Creates a scheduler.
    /// - Parameters:
    ///   - budgetBytes: memory that resident models plus the load in flight may reserve.
    ///   - maxQueue: waiting requests allowed before `lease` throws `.queueFull` (0: never wait).
    ///   - keepAlive: idle time after which an unpinned model is unloaded.
    ///   - clock: time source for LRU stamps, keep-alive and the periodic sweep.
    ///   - probe: optional resident-memory probe, reported in snapshots only.
    ///   - loader: loads one instance; its errors are rethrown by `lease`.
    public init(budgetBytes: Int64, maxQueue: Int = 16, keepAlive: Duration = .seconds(300),
                clock: some SchedulerClock = ContinuousSchedulerClock(), probe: (any MemoryProbe)? = nil,
                loader: @escaping Loader) {
        precondition(budgetBytes >= 0 && maxQueue >= 0, "budget and queue limit must not be negative")
        self.budgetBytes = budgetBytes
        self.maxQueue = maxQueue
        self.keepAlive = keepAlive
        self.clock = clock
        self.probe = probe
        self.loader = loader
    }

    // MARK: - Public API

    /// Returns a lease on `key`, loading it if it is not resident.
    ///
    /// Waits (FIFO) until `estimateBytes` fits in the budget, evicting idle models least recently
    /// used first, and until no other load is in flight. `pin: true` keeps the model resident until
    /// `unpin` (pinning sticks even if this request finds the model already loaded). `limitBytes`
    /// (a request's own budget, below the scheduler's; negative counts as 0) evicts idle models down
    /// to it, whether the model is loaded or resident; see the type's documentation.
    /// - Throws: `SchedulerError.queueFull` when `maxQueue` requests are already waiting,
    ///   `.neverFits` when the estimate exceeds the whole budget, `CancellationError` when the task is
    ///   cancelled before the lease is handed over (nothing stays reserved for it), and the loader's
    ///   own error when loading fails (its reservation is released).
    public func lease(_ key: ModelKey, estimateBytes: Int64, pin: Bool = false,
                      limitBytes: Int64? = nil) async throws -> ModelLease<Resource> {
        try Task.checkCancellation()
        let limitBytes = limitBytes.map { max(0, $0) }
        guard estimateBytes >= 0 else { throw SchedulerError.invalidEstimate(key: key, estimateBytes: estimateBytes) }
        guard estimateBytes <= budgetBytes else {
            throw SchedulerError.neverFits(key: key, estimateBytes: estimateBytes, budgetBytes: budgetBytes)
        }
        expireIdle()
        dispatch() // waiters already queued go first

        let grant: Grant
        if queue.isEmpty, let immediate = admit(key, estimateBytes: estimateBytes, pin: pin, limitBytes: limitBytes) {
            grant = immediate
        } else {
            guard queue.count < maxQueue else { throw SchedulerError.queueFull(depth: queue.count) }
            grant = try await wait(for: key, estimateBytes: estimateBytes, pin: pin, limitBytes: limitBytes)
        }

        switch grant {
        case .hit(let lease):
            // Cancelled between being granted and running again: hand the lease straight back.
            if Task.isCancelled {
                release(lease)
                throw CancellationError()
            }
            return lease
        case .load(let ticket):
            return try await performLoad(ticket: ticket)
        }
    }

    /// Gives a lease back. The model stays resident (idle) until keep-alive passes or its memory is
    /// needed. Releasing the same lease twice is harmless.
    public func release(_ lease: ModelLease<Resource>) {
        guard let key = leases.removeValue(forKey: lease.id), var entry = entries[key] else { return }
        entry.refCount -= 1
        touch(&entry)
        entries[key] = entry
        expireIdle()
        dispatch()
    }

    /// Makes a pinned model ordinary again: evictable once idle. Its keep-alive starts now, so an
    /// unpinned judge is not dropped the instant it stops being special.
    public func unpin(_ key: ModelKey) {
        if var entry = entries[key], entry.pinned {
            entry.pinned = false
            entry.lastUsed = clock.now()
            entries[key] = entry
        }
        expireIdle()
        dispatch()
    }

    /// Unloads every idle, unpinned model now (e.g. before loading the judge when memory is tight).
    public func evictIdle() {
        for key in idleKeysLeastRecentFirst() { evict(key) }
        dispatch()
    }

    /// Checks keep-alive every `interval` on the scheduler's clock until the calling task is
    /// cancelled. Run it in a task you own: `let sweeper = Task { await scheduler.runKeepAliveSweep(every: .seconds(30)) }`.
    public func runKeepAliveSweep(every interval: Duration) async {
        while !Task.isCancelled {
            do { try await clock.sleep(for: interval) } catch { return }
            expireIdle()
            dispatch()
        }
    }

    /// The current state, after applying any keep-alive expiry that is due.
    public var snapshot: SchedulerSnapshot {
        expireIdle()
        dispatch()
        let models = entries
            .sorted { $0.value.useOrder < $1.value.useOrder }
            .map { key, entry in
                SchedulerSnapshot.LoadedModel(key: key, bytes: entry.bytes, refCount: entry.refCount,
                                              pinned: entry.pinned, lastUsed: entry.lastUsed)
            }
        return SchedulerSnapshot(
            loaded: models, loading: pendingLoad?.key, reservedBytes: reservedBytes,
            peakReservedBytes: peakReservedBytes, budgetBytes: budgetBytes, queueDepth: queue.count,
            loadsInFlight: pendingLoad == nil ? 0 : 1, loadCount: loadCount, evictionCount: evictionCount,
            residentBytes: probe?.residentBytes())
    }

    // MARK: - Queue

    /// Parks the request at the tail of the queue until `dispatch` grants it or the task is cancelled.
    private func wait(for key: ModelKey, estimateBytes: Int64, pin: Bool, limitBytes: Int64?) async throws -> Grant {
        let id = makeID()
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Grant, any Error>) in
                // Runs synchronously on this actor. A task cancelled before this point must not enqueue:
                // its cancellation handler may already have run and found nothing to remove.
                if Task.isCancelled {
                    continuation.resume(throwing: CancellationError())
                    return
                }
                queue.append(Waiter(id: id, key: key, estimateBytes: estimateBytes, pin: pin,
                                    limitBytes: limitBytes, continuation: continuation))
            }
        } onCancel: {
            // The handler is synchronous and off the actor; hop on to remove the waiter. If it was
            // granted meanwhile, `lease` sees the cancellation and gives the grant back.
            Task { await self.cancelWaiter(id) }
        }
    }

    /// Removes a cancelled waiter (it holds no reservation) and lets the ones behind it move up.
    private func cancelWaiter(_ id: UInt64) {
        guard let index = queue.firstIndex(where: { $0.id == id }) else { return }
        let waiter = queue.remove(at: index)
        waiter.continuation.resume(throwing: CancellationError())
        dispatch()
    }

    /// Serves waiters from the head while the head can be served; stops at the first that cannot
    /// (strict FIFO, see the type's documentation).
    private func dispatch() {
        while let head = queue.first,
              let grant = admit(head.key, estimateBytes: head.estimateBytes, pin: head.pin, limitBytes: head.limitBytes) {
            queue.removeFirst()
            head.continuation.resume(returning: grant)
        }
    }

    /// Grants a request now if possible: a lease when the model is resident, else a load reservation
    /// when no load is in flight and the estimate fits (after evicting idle models if needed).
    private func admit(_ key: ModelKey, estimateBytes: Int64, pin: Bool, limitBytes: Int64?) -> Grant? {
        if var entry = entries[key] {
            entry.refCount += 1
            entry.pinned = entry.pinned || pin
            touch(&entry)
            entries[key] = entry
            // Now in use, so not idle: the limit clears the others around it.
            if let limitBytes { evictIdle(downTo: limitBytes) }
            return .hit(makeLease(key, entry.resource))
        }
        guard pendingLoad == nil, makeRoom(for: estimateBytes) else { return nil }
        if let limitBytes { evictIdle(downTo: limitBytes - estimateBytes) }
        let ticket = makeID()
        pendingLoad = PendingLoad(key: key, bytes: estimateBytes, pin: pin, ticket: ticket)
        reservedBytes += estimateBytes
        precondition(reservedBytes <= budgetBytes, "scheduler reserved beyond its budget")
        peakReservedBytes = max(peakReservedBytes, reservedBytes)
        return .load(ticket: ticket)
    }

    // MARK: - Loading

    /// Runs the loader for the reservation this task was granted, then turns the reservation into a
    /// resident model with one lease. On failure or cancellation the reservation is released.
    private func performLoad(ticket: UInt64) async throws -> ModelLease<Resource> {
        guard let pending = pendingLoad, pending.ticket == ticket else {
            preconditionFailure("load ticket \(ticket) does not match the load in flight")
        }
        let resource: Resource
        do {
            try Task.checkCancellation()
            resource = try await loader(pending.key)
        } catch {
            pendingLoad = nil
            reservedBytes -= pending.bytes
            dispatch()
            throw error
        }
        pendingLoad = nil
        loadCount += 1
        var entry = Entry(resource: resource, bytes: pending.bytes, refCount: 1, pinned: pending.pin,
                          lastUsed: clock.now(), useOrder: 0)
        touch(&entry)
        entries[pending.key] = entry
        let lease = makeLease(pending.key, resource)
        dispatch()
        // Loaded, but the caller has gone: keep the model cached (idle) rather than wasting the load.
        if Task.isCancelled {
            release(lease)
            throw CancellationError()
        }
        return lease
    }

    // MARK: - Eviction

    /// Evicts idle models, least recently used first, if (and only if) that makes `bytes` fit.
    private func makeRoom(for bytes: Int64) -> Bool {
        var free = budgetBytes - reservedBytes
        if bytes <= free { return true }
        let idle = idleKeysLeastRecentFirst()
        let reclaimable = idle.reduce(Int64(0)) { $0 + (entries[$1]?.bytes ?? 0) }
        guard free + reclaimable >= bytes else { return false }
        for key in idle where free < bytes {
            free += evict(key)
        }
        return true
    }

    /// Evicts idle models, least recently used first, until at most `bytes` stay reserved or none is idle.
    private func evictIdle(downTo bytes: Int64) {
        for key in idleKeysLeastRecentFirst() where reservedBytes > bytes {
            evict(key)
        }
    }

    /// Unloads idle, unpinned models whose keep-alive has passed.
    private func expireIdle() {
        let now = clock.now()
        for key in idleKeysLeastRecentFirst() {
            if let entry = entries[key], entry.lastUsed + keepAlive < now { evict(key) }
        }
    }

    private func idleKeysLeastRecentFirst() -> [ModelKey] {
        entries.filter { $0.value.refCount == 0 && !$0.value.pinned }
            .sorted { $0.value.useOrder < $1.value.useOrder }
            .map(\.key)
    }

    /// Drops the entry — the scheduler's only reference to the resource — and its reservation.
    @discardableResult
    private func evict(_ key: ModelKey) -> Int64 {
        guard let entry = entries.removeValue(forKey: key) else { return 0 }
        precondition(entry.refCount == 0 && !entry.pinned, "evicting a model in use or pinned")
        reservedBytes -= entry.bytes
        evictionCount += 1
        return entry.bytes
    }

    // MARK: - Helpers

    private func touch(_ entry: inout Entry) {
        entry.lastUsed = clock.now()
        entry.useOrder = makeID()
    }

    private func makeLease(_ key: ModelKey, _ resource: Resource) -> ModelLease<Resource> {
        let lease = ModelLease(key: key, resource: resource, id: makeID())
        leases[lease.id] = key
        return lease
    }

    private func makeID() -> UInt64 {
        nextID += 1
        return nextID
    }
}
