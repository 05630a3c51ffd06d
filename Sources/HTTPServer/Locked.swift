// A value behind a lock. The server's shared state is touched from the accept thread, one thread per
// connection and handler tasks on Swift's pool; a plain lock (never held across `await` or blocking
// I/O) is the simplest correct tool for that mix.
import Foundation

/// A value protected by a mutex; every access goes through ``withLock(_:)``.
final class Locked<State>: @unchecked Sendable {
    private let lock = NSLock()
    private var state: State

    init(_ state: State) {
        self.state = state
    }

    /// Runs `body` with exclusive access to the value. `body` must not block or suspend.
    @discardableResult
    func withLock<Result>(_ body: (inout State) throws -> Result) rethrows -> Result {
        lock.lock()
        defer { lock.unlock() }
        return try body(&state)
    }

    /// A copy of the current value.
    var value: State {
        withLock { $0 }
    }
}
