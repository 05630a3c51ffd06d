// The one piece of state the caller's side shares with a transfer thread: "stop now".
import Foundation
import Synchronization

/// Set from any thread (task cancellation handler, stream termination, deinit); read by the
/// transfer loop every few tens of milliseconds and by the curl progress callback, which is how a
/// blocking transfer notices it should abort.
final class CancellationFlag: Sendable {
    private let flag = Atomic<Bool>(false)

    /// Whether cancellation was requested.
    var isCancelled: Bool { flag.load(ordering: .acquiring) }

    /// Requests cancellation; idempotent.
    func cancel() { flag.store(true, ordering: .releasing) }

    /// Sleeps on the calling (non-cooperative) thread in short slices so that a backoff wait ends
    /// within ~20 ms of a cancel. Returns false if cancelled.
    func sleep(seconds: Double) -> Bool {
        let end = DispatchTime.now().uptimeNanoseconds + UInt64(max(0, seconds) * 1e9)
        while !isCancelled {
            let now = DispatchTime.now().uptimeNanoseconds
            if now >= end { return true }
            usleep(UInt32(min(20_000_000, end - now) / 1000))
        }
        return false
    }
}
