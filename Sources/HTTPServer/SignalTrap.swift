// Turns SIGINT / SIGTERM into an ordinary callback so `fusion serve` can shut down gracefully
// (finish or cancel in-flight work, then exit 0) instead of dying mid-response. The default action
// is disabled with SIG_IGN and the signal is observed through a DispatchSource, which delivers it
// on a queue: unlike a C signal handler, the callback may do anything.
import Dispatch
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Delivers chosen signals to a callback until cancelled.
///
/// ```swift
/// let trap = SignalTrap { signal in Task { await server.stop(gracePeriod: .seconds(10)) } }
/// await server.waitUntilStopped()
/// trap.cancel()
/// ```
///
/// `@unchecked Sendable`: dispatch sources are thread-safe (cancel may be called from any thread)
/// and the other stored properties are immutable or behind a lock.
public final class SignalTrap: @unchecked Sendable {
    private let sources: [any DispatchSourceSignal]
    private let signals: [Int32]
    private let cancelled = Locked(false)

    /// Starts trapping `signals` (SIGINT and SIGTERM by default); `handler` runs on `queue` once per
    /// delivered signal, with the signal number. A second Ctrl-C calls it again, so callers can
    /// escalate (e.g. stop with a zero grace period).
    public init(signals: [Int32] = [SIGINT, SIGTERM],
                queue: DispatchQueue = DispatchQueue(label: "localfusion.signal-trap"),
                handler: @escaping @Sendable (Int32) -> Void) {
        self.signals = signals
        sources = signals.map { number in
            // Ignore first so the default action (terminate) cannot win the race with the source.
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: queue)
            source.setEventHandler { handler(number) }
            source.resume()
            return source
        }
    }

    /// Stops trapping and restores the default action of each signal (so a later Ctrl-C terminates).
    /// Create one trap per process lifetime: on Linux, libdispatch installs its signal handler only
    /// for the first source of a given signal, so trapping the same signal again after `cancel`
    /// is unreliable there.
    public func cancel() {
        let first = cancelled.withLock { done -> Bool in
            defer { done = true }
            return !done
        }
        guard first else { return }
        for source in sources { source.cancel() }
        for number in signals { signal(number, SIG_DFL) }
    }

    deinit {
        cancel()
    }
}
