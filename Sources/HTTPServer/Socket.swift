// A thin owner of one TCP socket's file descriptor. All I/O is non-blocking per call (MSG_DONTWAIT)
// and gated by poll(2), so a connection thread can wait for "readable, writable or woken" at once and
// a slow client can never wedge a thread inside send(2). Writes never raise SIGPIPE: MSG_NOSIGNAL on
// Linux, SO_NOSIGPIPE on Apple platforms (the server also ignores SIGPIPE process-wide at start).
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

#if canImport(Darwin)
private let noSignalFlag: Int32 = 0
#else
private let noSignalFlag = Int32(MSG_NOSIGNAL)
#endif

/// Calls that share a name with `Socket`'s methods; at file scope they resolve to libc.
private func systemClose(_ fd: Int32) -> Int32 { close(fd) }
private func systemShutdown(_ fd: Int32, _ how: Int32) -> Int32 { shutdown(fd, how) }
private func systemSend(_ fd: Int32, _ bytes: UnsafeRawPointer?, _ count: Int, _ flags: Int32) -> Int {
    send(fd, bytes, count, flags)
}
private func systemPoll(_ fds: UnsafeMutablePointer<pollfd>, _ count: Int, _ timeout: Int32) -> Int32 {
    poll(fds, nfds_t(count), timeout)
}

/// The current thread's `errno`.
var currentErrno: Int32 { errno }

/// A TCP socket. Only the thread that owns it reads, writes and closes it; other threads may only
/// call ``shutdown()``, which is serialised with ``close()`` so it can never hit a reused descriptor.
final class Socket: @unchecked Sendable {
    /// What one non-blocking read produced.
    enum ReadResult: Equatable {
        case bytes(Int)
        case endOfStream
        case wouldBlock
        case failed(Int32)
    }

    /// What one non-blocking write produced.
    enum WriteResult: Equatable {
        case sent(Int)
        case wouldBlock
        case failed(Int32)
    }

    /// The descriptor number; meaningful only to the owning thread until ``close()``.
    let fd: Int32
    private let isOpen = Locked(true)

    init(fd: Int32) {
        self.fd = fd
        Socket.setCloseOnExec(fd)
    }

    deinit {
        close()
    }

    /// Closes the descriptor once; later calls do nothing.
    func close() {
        isOpen.withLock { open in
            guard open else { return }
            open = false
            _ = systemClose(fd)
        }
    }

    /// Shuts both directions down (wakes any poll on it) without releasing the descriptor number.
    func shutdown() {
        isOpen.withLock { open in
            guard open else { return }
            _ = systemShutdown(fd, Int32(SHUT_RDWR))
        }
    }

    /// Stops sending (FIN) but keeps reading, for a lingering close after an error response.
    func shutdownWrite() {
        isOpen.withLock { open in
            guard open else { return }
            _ = systemShutdown(fd, Int32(SHUT_WR))
        }
    }

    /// Reads whatever is available without blocking.
    func receive(into buffer: UnsafeMutableRawBufferPointer) -> ReadResult {
        while true {
            let count = recv(fd, buffer.baseAddress, buffer.count, Int32(MSG_DONTWAIT))
            if count > 0 { return .bytes(count) }
            if count == 0 { return .endOfStream }
            let code = errno
            if code == EINTR { continue }
            if code == EAGAIN || code == EWOULDBLOCK { return .wouldBlock }
            return .failed(code)
        }
    }

    /// Writes as much of `bytes` as the kernel takes now, never blocking and never raising SIGPIPE.
    func send(_ bytes: UnsafeRawBufferPointer) -> WriteResult {
        while true {
            let count = systemSend(fd, bytes.baseAddress, bytes.count, Int32(MSG_DONTWAIT) | noSignalFlag)
            if count >= 0 { return .sent(count) }
            let code = errno
            if code == EINTR { continue }
            if code == EAGAIN || code == EWOULDBLOCK { return .wouldBlock }
            return .failed(code)
        }
    }

    /// Sends all of `bytes`, waiting for writability up to `deadline`. Returns false when the peer is
    /// gone or too slow; used only by the connection thread for its own (small) error responses.
    func sendAll(_ bytes: [UInt8], deadline: ContinuousClock.Instant) -> Bool {
        var offset = 0
        while offset < bytes.count {
            let result = bytes.withUnsafeBytes { raw in
                send(UnsafeRawBufferPointer(rebasing: raw[offset...]))
            }
            switch result {
            case .sent(let count):
                offset += count
            case .wouldBlock:
                let events = Socket.poll(fd: fd, events: Int16(POLLOUT), wake: nil,
                                         timeout: Socket.milliseconds(until: deadline))
                if events.timedOut { return false }
            case .failed:
                return false
            }
        }
        return true
    }

    /// Disables Nagle's algorithm so that small SSE chunks leave immediately, and suppresses
    /// SIGPIPE per socket where the platform offers no per-call flag.
    func configureForStreaming() {
        var one: Int32 = 1
        let size = socklen_t(MemoryLayout<Int32>.size)
        _ = setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, size)
        #if canImport(Darwin)
        _ = setsockopt(fd, SOL_SOCKET, SO_NOSIGPIPE, &one, size)
        #endif
    }

    /// Marks a descriptor close-on-exec so child processes (curl in tests, tools) never inherit it.
    static func setCloseOnExec(_ fd: Int32) {
        let flags = fcntl(fd, F_GETFD)
        if flags >= 0 { _ = fcntl(fd, F_SETFD, flags | FD_CLOEXEC) }
    }
}

/// What ``Socket/poll(fd:events:wake:timeout:)`` observed.
struct PollResult {
    var readable = false
    var writable = false
    /// POLLHUP / POLLERR / POLLNVAL: the peer reset or the socket was shut down.
    var hangUp = false
    var woken = false
    var timedOut = false
}

extension Socket {
    /// Waits until `fd` has one of `events`, `wake` was signalled, or `timeout` ms passed
    /// (`-1` waits indefinitely).
    static func poll(fd: Int32, events: Int16, wake: WakePipe?, timeout: Int32) -> PollResult {
        var fds = [pollfd(fd: fd, events: events, revents: 0)]
        if let wake { fds.append(pollfd(fd: wake.readEnd, events: Int16(POLLIN), revents: 0)) }
        var result = PollResult()
        let ready: Int32 = fds.withUnsafeMutableBufferPointer { buffer in
            while true {
                let count = systemPoll(buffer.baseAddress!, buffer.count, timeout)
                if count >= 0 || errno != EINTR { return count }
            }
        }
        if ready == 0 { result.timedOut = true; return result }
        if ready < 0 { result.hangUp = true; return result }
        let revents = fds[0].revents
        result.readable = revents & Int16(POLLIN) != 0
        result.writable = revents & Int16(POLLOUT) != 0
        result.hangUp = revents & Int16(POLLHUP | POLLERR | POLLNVAL) != 0
        if fds.count > 1 { result.woken = fds[1].revents != 0 }
        return result
    }

    /// Milliseconds from now until `deadline`, clamped to poll's range (0 when already past).
    static func milliseconds(until deadline: ContinuousClock.Instant) -> Int32 {
        let remaining = ContinuousClock.now.duration(to: deadline)
        if remaining <= .zero { return 0 }
        let (seconds, attoseconds) = remaining.components
        let millis = seconds * 1000 + attoseconds / 1_000_000_000_000_000 + 1
        return Int32(clamping: millis)
    }
}
