/// The scheduler's view of time: when "now" is (for LRU stamps and keep-alive expiry) and how to
/// wait (for the periodic keep-alive sweep).
///
/// Injected so tests can drive keep-alive with a manual clock instead of sleeping for minutes.
/// Instants are `ContinuousClock.Instant` so a fake can start at a real instant and move forward.
public protocol SchedulerClock: Sendable {
    /// The current instant.
    func now() -> ContinuousClock.Instant
    /// Suspends for `duration`; throws `CancellationError` if the calling task is cancelled.
    func sleep(for duration: Duration) async throws
}

/// The production clock: `ContinuousClock`, which keeps counting while the machine sleeps, so a
/// model idle across a laptop sleep counts as idle for that time too.
public struct ContinuousSchedulerClock: SchedulerClock {
    /// Creates the real clock.
    public init() {}

    /// `ContinuousClock.now`.
    public func now() -> ContinuousClock.Instant { ContinuousClock.now }

    /// `Task.sleep(for:)` on the continuous clock.
    public func sleep(for duration: Duration) async throws {
        try await Task.sleep(for: duration, clock: .continuous)
    }
}
