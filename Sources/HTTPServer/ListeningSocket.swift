// The listening socket: resolve the configured host (numeric or a name such as "localhost"), bind
// with SO_REUSEADDR so a restarted server does not wait out TIME_WAIT, listen, and report the port
// actually bound (port 0 asks the kernel for an ephemeral one, which tests rely on).
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

#if canImport(Darwin)
private let streamSocketType = SOCK_STREAM
#else
private let streamSocketType = Int32(SOCK_STREAM.rawValue)
#endif

private func systemAccept(_ fd: Int32) -> Int32 { accept(fd, nil, nil) }
private func systemListen(_ fd: Int32, _ backlog: Int32) -> Int32 { listen(fd, backlog) }

/// A bound, listening, non-blocking TCP socket.
final class ListeningSocket: @unchecked Sendable {
    /// What one `accept(2)` produced.
    enum AcceptResult {
        case connection(Socket)
        case wouldBlock
        case failed(Int32)
    }

    let socket: Socket
    /// The port actually bound.
    let port: Int

    private init(socket: Socket, port: Int) {
        self.socket = socket
        self.port = port
    }

    /// Resolves `host`, then binds and listens on the first address that works.
    static func open(host: String, port: Int, backlog: Int32) throws(HTTPServerError) -> ListeningSocket {
        guard (0...65535).contains(port) else { throw .cannotBind(host: host, port: port, errno: EINVAL) }
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        hints.ai_socktype = streamSocketType
        hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV
        var list: UnsafeMutablePointer<addrinfo>?
        let status = host.isEmpty || host == "*"
            ? getaddrinfo(nil, String(port), &hints, &list)
            : getaddrinfo(host, String(port), &hints, &list)
        guard status == 0, let first = list else {
            throw .cannotResolve(host: host, reason: String(cString: gai_strerror(status)))
        }
        defer { freeaddrinfo(list) }

        var lastError = HTTPServerError.cannotResolve(host: host, reason: "no usable address")
        var cursor: UnsafeMutablePointer<addrinfo>? = first
        while let info = cursor {
            cursor = info.pointee.ai_next
            do {
                return try bindAndListen(info.pointee, host: host, port: port, backlog: backlog)
            } catch {
                lastError = error
            }
        }
        throw lastError
    }

    private static func bindAndListen(_ info: addrinfo, host: String, port: Int,
                                      backlog: Int32) throws(HTTPServerError) -> ListeningSocket {
        let fd = systemSocket(info.ai_family, info.ai_socktype, info.ai_protocol)
        guard fd >= 0 else { throw .systemCall("socket", errno) }
        let socket = Socket(fd: fd)
        var one: Int32 = 1
        _ = setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        guard bind(fd, info.ai_addr, info.ai_addrlen) == 0 else {
            throw .cannotBind(host: host, port: port, errno: errno)
        }
        guard systemListen(fd, backlog) == 0 else { throw .systemCall("listen", errno) }
        // Non-blocking: a client may vanish between poll reporting it and accept(2) taking it.
        _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
        return ListeningSocket(socket: socket, port: boundPort(fd) ?? port)
    }

    /// Takes one pending connection, if any.
    func accept() -> AcceptResult {
        while true {
            let fd = systemAccept(socket.fd)
            if fd >= 0 {
                // Apple platforms inherit O_NONBLOCK from the listener; we rely on MSG_DONTWAIT and
                // poll either way, so clear it for uniform behaviour.
                _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK)
                return .connection(Socket(fd: fd))
            }
            let code = errno
            if code == EINTR || code == ECONNABORTED { continue }
            if code == EAGAIN || code == EWOULDBLOCK { return .wouldBlock }
            return .failed(code)
        }
    }

    private static func boundPort(_ fd: Int32) -> Int? {
        var storage = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        let status = withUnsafeMutablePointer(to: &storage) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        guard status == 0 else { return nil }
        switch Int32(storage.ss_family) {
        case AF_INET:
            return withUnsafePointer(to: &storage) { pointer in
                pointer.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { Int(UInt16(bigEndian: $0.pointee.sin_port)) }
            }
        case AF_INET6:
            return withUnsafePointer(to: &storage) { pointer in
                pointer.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { Int(UInt16(bigEndian: $0.pointee.sin6_port)) }
            }
        default:
            return nil
        }
    }
}

/// `socket(2)` under a name that does not clash with the `socket` property.
private func systemSocket(_ family: Int32, _ type: Int32, _ proto: Int32) -> Int32 {
    socket(family, type, proto)
}
