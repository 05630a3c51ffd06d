/// A loaded model handed out by `ModelScheduler.lease`; give it back with `release` (or use
/// `withLease`, which always does).
///
/// While any lease on a key is outstanding the model is never evicted. Do not keep the lease (or its
/// `resource`) after releasing it: the scheduler drops its own reference on eviction so ARC can free
/// the model, and a lingering copy here would keep the memory alive behind the budget's back.
public struct ModelLease<Resource: Sendable>: Sendable {
    /// The instance this lease is for.
    public let key: ModelKey
    /// The loaded model (shared by every lease on the same key).
    public let resource: Resource
    /// Unique per lease, so a double release is recognised and ignored.
    let id: UInt64
}
