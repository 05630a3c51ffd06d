// A one-connection-at-a-time TCP listener for misbehaviour HTTPServer is too well-behaved for:
// accepting and never answering, or cutting a response mid-way.
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation
import Synchronization

/// Listens on 127.0.0.1 (ephemeral port) and runs `script` on its own thread for each accepted
/// connection, with the request already read. `stop()` closes everything.
public final class RawSocketServer: Sendable {
    /// A connection handed to the script.
    public struct Connection: Sendable {
        public let fd: Int32
        /// The request head and whatever body bytes arrived with it.
        public let request: String

        public func write(_ text: String) {
            var bytes = Array(text.utf8)
            var sent = 0
            while sent < bytes.count {
                let n = bytes.withUnsafeMutableBytes { send(fd, $0.baseAddress! + sent, $0.count - sent, Int32(MSG_NOSIGNAL)) }
                if n <= 0 { return }
                sent += n
            }
        }

        /// Ends the connection (FIN) without freeing the descriptor, which `stop()` does.
        public func hangUp() { shutdown(fd, Int32(SHUT_RDWR)) }

        /// Blocks until the peer closes (or `timeout` passes); true if it closed.
        public func waitForPeerClose(timeout: Double) -> Bool {
            var pollFD = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            let end = Date().addingTimeInterval(timeout)
            var buffer = [UInt8](repeating: 0, count: 4096)
            while Date() < end {
                if poll(&pollFD, 1, 50) > 0 {
                    let n = recv(fd, &buffer, buffer.count, 0)
                    if n <= 0 { return true }
                }
            }
            return false
        }
    }

    /// Descriptors and the stop flag, shared with the accept thread.
    private final class State: Sendable {
        let open = Mutex<[Int32]>([])
        let stopped = Atomic<Bool>(false)
    }

    public let port: Int
    private let listener: Int32
    private let state = State()

    public init(script: @escaping @Sendable (Connection) -> Void) throws {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw POSIXError(.EIO) }
        var yes: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &yes, socklen_t(MemoryLayout<Int32>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0, listen(fd, 8) == 0 else { close(fd); throw POSIXError(.EADDRINUSE) }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        listener = fd
        port = Int(UInt16(bigEndian: address.sin_port))
        let state = state
        Thread {
            while !state.stopped.load(ordering: .acquiring) {
                let connection = accept(fd, nil, nil)
                guard connection >= 0 else { return }
                state.open.withLock { $0.append(connection) }
                Thread { script(Connection(fd: connection, request: RawSocketServer.readRequest(connection))) }.start()
            }
        }.start()
    }

    /// Closes the listener and every accepted connection.
    public func stop() {
        guard !state.stopped.exchange(true, ordering: .acquiringAndReleasing) else { return }
        shutdown(listener, Int32(SHUT_RDWR))
        close(listener)
        for fd in state.open.withLock({ fds in defer { fds.removeAll() }; return fds }) {
            shutdown(fd, Int32(SHUT_RDWR))
            close(fd)
        }
    }

    deinit { stop() }

    /// Reads until the end of the head plus `Content-Length` body bytes (or 2 s of silence).
    private static func readRequest(_ fd: Int32) -> String {
        var data: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 8192)
        var pollFD = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        while poll(&pollFD, 1, 2000) > 0 {
            let n = recv(fd, &buffer, buffer.count, 0)
            if n <= 0 { break }
            data.append(contentsOf: buffer[..<n])
            let text = String(decoding: data, as: UTF8.self)
            if let headEnd = text.range(of: "\r\n\r\n") {
                let head = text[..<headEnd.lowerBound].lowercased()
                let length = head.split(separator: "\r\n").first { $0.hasPrefix("content-length:") }
                    .flatMap { Int($0.dropFirst("content-length:".count).trimmingCharacters(in: .whitespaces)) } ?? 0
                if text.utf8.count - text.utf8.distance(from: text.startIndex, to: headEnd.upperBound) >= length { break }
            }
        }
        return String(decoding: data, as: UTF8.self)
    }
}

/// A port on 127.0.0.1 with nothing listening (bound, then closed).
public func closedPort() -> Int {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    _ = withUnsafePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
    }
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    _ = withUnsafeMutablePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
    }
    close(fd)
    return Int(UInt16(bigEndian: address.sin_port))
}
