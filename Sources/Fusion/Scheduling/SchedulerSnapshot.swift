/// A point-in-time view of the scheduler, for traces and `/metrics`.
public struct SchedulerSnapshot: Sendable, Equatable {
    /// One resident model instance.
    public struct LoadedModel: Sendable, Equatable {
        /// Which instance.
        public var key: ModelKey
        /// Bytes reserved for it (the estimate it was loaded with).
        public var bytes: Int64
        /// Outstanding leases; 0 means idle (evictable unless pinned).
        public var refCount: Int
        /// Pinned models are never evicted until `unpin`.
        public var pinned: Bool
        /// Last lease or release; keep-alive counts from here.
        public var lastUsed: ContinuousClock.Instant
    }

    /// Resident models, least recently used first (the order idle ones would be evicted in).
    public var loaded: [LoadedModel]
    /// The model being loaded right now, if any (at most one load runs at a time).
    public var loading: ModelKey?
    /// Bytes reserved: every resident model plus the load in flight.
    public var reservedBytes: Int64
    /// The highest `reservedBytes` ever reached; never above `budgetBytes`.
    public var peakReservedBytes: Int64
    /// The memory budget the scheduler enforces.
    public var budgetBytes: Int64
    /// Requests waiting for memory or for the loader.
    public var queueDepth: Int
    /// 0 or 1.
    public var loadsInFlight: Int
    /// Loads completed successfully since the scheduler was created.
    public var loadCount: Int
    /// Models evicted (LRU, keep-alive, `evictIdle`) since the scheduler was created.
    public var evictionCount: Int
    /// The memory probe's reading, when a probe was given (a cross-check; it lags after unloads).
    public var residentBytes: Int64?

    /// The entry for `key`, if resident.
    public func model(_ key: ModelKey) -> LoadedModel? { loaded.first { $0.key == key } }
}
