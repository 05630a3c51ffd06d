// A tiny raw-socket HTTP client for the server tests (HTTPServerTests, FusionServerTests): it sends exactly the bytes a test gives it (including
// malformed ones no real client would produce) and reads responses incrementally, so tests can see
// when bytes arrive, not just what arrives.
import Foundation
import HTTPServer
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

#if canImport(Darwin)
private let clientStreamType = SOCK_STREAM
private let clientNoSignal: Int32 = 0
#else
private let clientStreamType = Int32(SOCK_STREAM.rawValue)
private let clientNoSignal = Int32(MSG_NOSIGNAL)
#endif

private func clientClose(_ fd: Int32) { _ = close(fd) }

public struct TestClientError: Error, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}

/// A response as read off the wire.
public struct RawResponse: Sendable {
    public var status: Int
    public var headers: HTTPHeaders
    public var body: [UInt8]
    public var text: String { String(decoding: body, as: UTF8.self) }
    public var error: OpenAIErrorBody? { OpenAIErrorBody.decode(body) }
}

/// A blocking loopback client with timeouts on every read. Unchecked Sendable: a test uses it from
/// one thread at a time (handing it to `blocking` and back).
public final class TestClient: @unchecked Sendable {
    private var fd: Int32
    private var buffer: [UInt8] = []

    public init(port: Int, host: String = "127.0.0.1") throws {
        fd = socket(AF_INET, clientStreamType, 0)
        guard fd >= 0 else { throw TestClientError("socket failed") }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        #if canImport(Darwin)
        address.sin_len = UInt8(MemoryLayout<sockaddr_in>.size)
        #endif
        address.sin_port = UInt16(port).bigEndian
        inet_pton(AF_INET, host, &address.sin_addr)
        let status = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard status == 0 else {
            clientClose(fd)
            throw TestClientError("connect failed: errno \(errno)")
        }
    }

    deinit { close() }

    public func close() {
        if fd >= 0 { clientClose(fd); fd = -1 }
    }

    /// Half-closes: no more bytes from us, but we can still read.
    public func shutdownWrite() { _ = shutdown(fd, Int32(SHUT_WR)) }

    /// Sends all bytes; returns false if the server closed or reset the connection.
    @discardableResult
    public func send(_ bytes: [UInt8]) -> Bool {
        var offset = 0
        while offset < bytes.count {
            let sent = bytes[offset...].withUnsafeBytes { rawSend(fd, $0.baseAddress, $0.count, clientNoSignal) }
            if sent <= 0 { return false }
            offset += sent
        }
        return true
    }

    @discardableResult
    public func send(_ text: String) -> Bool { send(Array(text.utf8)) }

    /// Reads more bytes into the buffer; false on EOF, error or timeout.
    private func fill(timeout: Duration) -> Bool {
        var pfd = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        let ready = poll(&pfd, 1, milliseconds(until: .now + timeout))
        guard ready > 0 else { return false }
        var chunk = [UInt8](repeating: 0, count: 65536)
        let count = recv(fd, &chunk, chunk.count, 0)
        guard count > 0 else { return false }
        buffer += chunk[..<count]
        return true
    }

    /// One line without its CRLF.
    private func readLine(deadline: ContinuousClock.Instant) throws -> String {
        while true {
            if let newline = buffer.firstIndex(of: 0x0A) {
                var line = Array(buffer[..<newline])
                if line.last == 0x0D { line.removeLast() }
                buffer.removeFirst(newline + 1)
                return String(decoding: line, as: UTF8.self)
            }
            guard fill(timeout: deadline - .now) else { throw TestClientError("connection ended or timed out reading a line") }
        }
    }

    private func readExactly(_ count: Int, deadline: ContinuousClock.Instant) throws -> [UInt8] {
        while buffer.count < count {
            guard fill(timeout: deadline - .now) else { throw TestClientError("connection ended or timed out reading \(count) bytes") }
        }
        defer { buffer.removeFirst(count) }
        return Array(buffer[..<count])
    }

    /// Reads a status line and headers (skipping 1xx responses unless `keepInformational`).
    public func readHead(timeout: Duration = .seconds(5), keepInformational: Bool = false) throws -> (status: Int, headers: HTTPHeaders) {
        let deadline = ContinuousClock.now + timeout
        while true {
            let statusLine = try readLine(deadline: deadline)
            let parts = statusLine.split(separator: " ", maxSplits: 2)
            guard parts.count >= 2, parts[0].hasPrefix("HTTP/1."), let status = Int(parts[1]) else {
                throw TestClientError("bad status line: \(statusLine)")
            }
            var headers = HTTPHeaders()
            while true {
                let line = try readLine(deadline: deadline)
                if line.isEmpty { break }
                let pieces = line.split(separator: ":", maxSplits: 1)
                headers.add(name: String(pieces[0]), value: pieces.count > 1 ? pieces[1].trimmingCharacters(in: .whitespaces) : "")
            }
            if status / 100 == 1 && !keepInformational { continue }
            return (status, headers)
        }
    }

    /// Reads one chunk of a chunked body; nil for the terminating chunk.
    public func readChunk(timeout: Duration = .seconds(5)) throws -> [UInt8]? {
        let deadline = ContinuousClock.now + timeout
        let sizeLine = try readLine(deadline: deadline)
        guard let size = Int(sizeLine.split(separator: ";")[0], radix: 16) else { throw TestClientError("bad chunk size \(sizeLine)") }
        if size == 0 {
            _ = try readLine(deadline: deadline)  // the empty line after the last chunk (no trailers)
            return nil
        }
        let data = try readExactly(size, deadline: deadline)
        guard try readLine(deadline: deadline).isEmpty else { throw TestClientError("missing CRLF after chunk") }
        return data
    }

    /// Reads a complete response (Content-Length, chunked, or until close).
    public func readResponse(timeout: Duration = .seconds(5), method: String = "GET") throws -> RawResponse {
        let deadline = ContinuousClock.now + timeout
        let (status, headers) = try readHead(timeout: timeout)
        var body: [UInt8] = []
        if method == "HEAD" || status == 204 || status == 304 {
            // no body
        } else if headers.tokens(for: "Transfer-Encoding").contains("chunked") {
            while let chunk = try readChunk(timeout: deadline - .now) { body += chunk }
        } else if let length = headers["Content-Length"].flatMap({ Int($0) }) {
            body = try readExactly(length, deadline: deadline)
        } else {
            while fill(timeout: deadline - .now) {}
            body = buffer
            buffer = []
        }
        return RawResponse(status: status, headers: headers, body: body)
    }

    /// Whether the server closes the connection within `timeout` (any unread bytes are discarded).
    public func waitForClose(timeout: Duration = .seconds(3)) -> Bool {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            var pfd = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            guard poll(&pfd, 1, milliseconds(until: deadline)) > 0 else { return false }
            var chunk = [UInt8](repeating: 0, count: 65536)
            let count = recv(fd, &chunk, chunk.count, 0)
            if count <= 0 { return true }
        }
        return false
    }

    /// Whether nothing at all arrives (and the connection stays open) for `duration`.
    public func staysQuiet(for duration: Duration) -> Bool {
        var pfd = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        return buffer.isEmpty && poll(&pfd, 1, milliseconds(until: .now + duration)) == 0
    }
}

/// Milliseconds from now until `deadline` for poll(2), at least 0.
private func milliseconds(until deadline: ContinuousClock.Instant) -> Int32 {
    let (seconds, attoseconds) = (deadline - .now).components
    return Int32(clamping: max(0, seconds * 1000 + attoseconds / 1_000_000_000_000_000))
}

private func rawSend(_ fd: Int32, _ pointer: UnsafeRawPointer?, _ count: Int, _ flags: Int32) -> Int {
    send(fd, pointer, count, flags)
}

/// `GET path` with the Host header HTTP/1.1 requires.
public func get(_ path: String, headers: String = "") -> String {
    "GET \(path) HTTP/1.1\r\nHost: localhost\r\n\(headers)\r\n"
}

/// `POST path` with a Content-Length body.
public func post(_ path: String, body: String, headers: String = "") -> String {
    "POST \(path) HTTP/1.1\r\nHost: localhost\r\nContent-Length: \(body.utf8.count)\r\n\(headers)\r\n\(body)"
}

/// Runs blocking client code on a fresh thread and awaits its result.
public func blocking<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        let thread = Thread { continuation.resume(with: Result { try body() }) }
        thread.start()
    }
}

/// One request on a new connection; the response.
public func roundTrip(_ port: Int, _ request: String, timeout: Duration = .seconds(5)) async throws -> RawResponse {
    try await blocking {
        let client = try TestClient(port: port)
        client.send(request)
        return try client.readResponse(timeout: timeout)
    }
}
