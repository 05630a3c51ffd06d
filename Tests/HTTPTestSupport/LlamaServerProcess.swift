// A real llama-server as a child process of the test: found the way the build finds llama.cpp,
// started on a free port, awaited until /health answers 200, always terminated.
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation

/// Why the real-server test cannot run, with the command that fixes it.
public struct MissingPrerequisite: Error, CustomStringConvertible {
    public let description: String
    public init(description: String) { self.description = description }
}

/// A running llama-server; `stop()` must be called (tests use `defer`).
public final class LlamaServerProcess: @unchecked Sendable {
    public let port: Int
    private let process: Process
    private let logURL: URL

    /// The cache root the build scripts use: LOCALFUSION_CACHE, else XDG_CACHE_HOME or ~/.cache.
    public static var cacheRoot: String {
        let environment = ProcessInfo.processInfo.environment
        return environment["LOCALFUSION_CACHE"]
            ?? ((environment["XDG_CACHE_HOME"] ?? NSHomeDirectory() + "/.cache") + "/localfusion")
    }

    /// `bin/llama-server` under LOCALFUSION_LLAMA_PREFIX or the cache's current prefix.
    public static func serverBinary() throws -> String {
        let prefix = ProcessInfo.processInfo.environment["LOCALFUSION_LLAMA_PREFIX"] ?? cacheRoot + "/llama/current"
        let binary = URL(fileURLWithPath: prefix).resolvingSymlinksInPath().path + "/bin/llama-server"
        guard FileManager.default.isExecutableFile(atPath: binary) else {
            throw MissingPrerequisite(description: "llama-server not found at \(binary): build it with "
                + "`scripts/build-llama.sh --tools` (or set LOCALFUSION_SKIP_REMOTE_SERVER_TESTS=1 to skip loudly)")
        }
        return binary
    }

    /// The cached GGUF of a catalog model.
    public static func model(_ id: String) throws -> String {
        let path = cacheRoot + "/models/\(id).gguf"
        guard FileManager.default.fileExists(atPath: path) else {
            throw MissingPrerequisite(description: "model \(id) not found at \(path): download it with "
                + "`fusion models pull \(id)` (or set LOCALFUSION_SKIP_REMOTE_SERVER_TESTS=1 to skip loudly)")
        }
        return path
    }

    /// Starts llama-server on a free loopback port and waits until it is healthy.
    public init(binary: String, model: String, startupTimeout: Double = 120) async throws {
        port = closedPort()
        logURL = FileManager.default.temporaryDirectory.appendingPathComponent("llama-server-\(port).log")
        _ = FileManager.default.createFile(atPath: logURL.path, contents: nil)
        let log = try FileHandle(forWritingTo: logURL)
        process = Process()
        process.executableURL = URL(fileURLWithPath: binary)
        process.arguments = ["-m", model, "--host", "127.0.0.1", "--port", String(port), "-t", "2", "-c", "2048",
                             "-np", "1"]
        process.standardOutput = log
        process.standardError = log
        process.standardInput = FileHandle.nullDevice
        try process.run()
        let deadline = Date().addingTimeInterval(startupTimeout)
        while Date() < deadline {
            guard process.isRunning else {
                throw MissingPrerequisite(description: "llama-server exited during startup (status "
                    + "\(process.terminationStatus)); log tail:\n\(logTail())")
            }
            if Self.healthStatus(port: port) == 200 { return }
            try? await Task.sleep(for: .milliseconds(200))
        }
        stop()
        throw MissingPrerequisite(description: "llama-server did not become healthy within \(Int(startupTimeout)) s; "
            + "log tail:\n\(logTail())")
    }

    /// SIGTERM, then SIGKILL if it lingers; waits for the exit and removes the log. Safe to call twice.
    public func stop() {
        if process.isRunning {
            process.terminate()
            let deadline = Date().addingTimeInterval(5)
            while process.isRunning, Date() < deadline { usleep(20_000) }
            if process.isRunning { kill(process.processIdentifier, SIGKILL) }
            process.waitUntilExit()
        }
        try? FileManager.default.removeItem(at: logURL)
    }

    /// The last lines of the server's log, for failure messages.
    public func logTail(lines: Int = 15) -> String {
        let text = (try? String(contentsOf: logURL, encoding: .utf8)) ?? ""
        return text.split(separator: "\n").suffix(lines).joined(separator: "\n")
    }

    /// `GET /health` over a plain socket; the status code, or nil when nothing answers.
    public static func healthStatus(port: Int) -> Int? {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var timeout = timeval(tv_sec: 1, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = UInt16(port).bigEndian
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else { return nil }
        let request = Array("GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n".utf8)
        guard send(fd, request, request.count, Int32(MSG_NOSIGNAL)) == request.count else { return nil }
        var buffer = [UInt8](repeating: 0, count: 512)
        let n = recv(fd, &buffer, buffer.count, 0)
        guard n > 12 else { return nil }
        let statusLine = String(decoding: buffer[..<n], as: UTF8.self).split(separator: " ")
        return statusLine.count > 1 ? Int(statusLine[1]) : nil
    }
}
