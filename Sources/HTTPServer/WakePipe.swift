// A self-pipe that lets any thread (a handler task writing a chunk, stop() draining the server)
// interrupt a poll(2) on another thread without timers or busy loops, so a connection thread reacts
// to new output immediately instead of on the next polling tick.
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

private func systemClose(_ fd: Int32) -> Int32 { close(fd) }

/// A non-blocking pipe used purely as a wake-up signal. Both ends are closed in `deinit`, i.e. only
/// once nobody can signal it any more, so a late ``signal()`` can never write into a reused descriptor.
final class WakePipe: @unchecked Sendable {
    /// Polled by the waiting thread.
    let readEnd: Int32
    private let writeEnd: Int32

    init() throws(HTTPServerError) {
        var ends: [Int32] = [0, 0]
        guard pipe(&ends) == 0 else { throw .systemCall("pipe", errno) }
        for end in ends {
            Socket.setCloseOnExec(end)
            let flags = fcntl(end, F_GETFL)
            _ = fcntl(end, F_SETFL, flags | O_NONBLOCK)
        }
        readEnd = ends[0]
        writeEnd = ends[1]
    }

    deinit {
        _ = systemClose(readEnd)
        _ = systemClose(writeEnd)
    }

    /// Wakes the waiter. A full pipe already guarantees a wake-up, so EAGAIN is fine to ignore.
    func signal() {
        var byte: UInt8 = 1
        _ = write(writeEnd, &byte, 1)
    }

    /// Empties the pipe after a wake-up so that the next poll blocks again.
    func drain() {
        var scratch = [UInt8](repeating: 0, count: 64)
        while read(readEnd, &scratch, scratch.count) > 0 {}
    }
}
