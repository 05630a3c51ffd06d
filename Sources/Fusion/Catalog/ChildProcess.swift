import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A cancellation flag shared between an async caller and the blocking worker of a pull; it also
/// terminates the child process that is running when cancellation arrives.
final class PullCancellation: @unchecked Sendable {
    private let lock = NSLock()
    private var cancelled = false
    private var running: Process?

    /// Marks the pull cancelled and stops the running child, if any.
    func cancel() {
        let process: Process? = lock.withLock {
            cancelled = true
            return running
        }
        if let process { ChildProcess.stop(process) }
    }

    /// Whether `cancel()` was called.
    var isCancelled: Bool { lock.withLock { cancelled } }

    /// Throws `CancellationError` once cancelled.
    func check() throws {
        if isCancelled { throw CancellationError() }
    }

    /// Registers the running child (terminating it at once if already cancelled).
    func attach(_ process: Process) {
        let alreadyCancelled: Bool = lock.withLock {
            running = process
            return cancelled
        }
        if alreadyCancelled { ChildProcess.stop(process) }
    }

    /// Forgets the running child.
    func detach() {
        lock.withLock { running = nil }
    }
}

/// Runs external tools (pip, unzip, python, curl) with their output captured.
enum ChildProcess {
    /// How a child ended.
    struct Outcome {
        /// The exit status, or the signal number when `signaled`.
        var status: Int32
        /// Whether the child was killed by a signal.
        var signaled: Bool
        /// Captured stderr (and stdout, when it was not streamed), possibly long.
        var log: String

        /// True for a normal exit with status 0.
        var succeeded: Bool { !signaled && status == 0 }

        /// "exit status N" or "killed by signal N".
        var statusText: String { signaled ? "killed by signal \(status)" : "exit status \(status)" }
    }

    /// Finds an executable on `PATH` (or returns `name` itself if it is a path to an executable).
    static func which(_ name: String, environment: [String: String]) -> String? {
        if name.contains("/") { return access(name, X_OK) == 0 ? name : nil }
        let path = environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin"
        for directory in path.split(separator: ":") where !directory.isEmpty {
            let candidate = "\(directory)/\(name)"
            var info = stat()
            if stat(candidate, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG, access(candidate, X_OK) == 0 {
                return candidate
            }
        }
        return nil
    }

    /// Runs `executable` to completion with stdout and stderr captured in the outcome's log.
    ///
    /// - Parameter cancellation: terminates the child when the pull is cancelled.
    /// - Throws: `CancellationError`, the error thrown by `onStdout`, or `CatalogError.ioFailed`
    ///   when the child cannot be started.
    static func run(
        _ executable: String, _ arguments: [String], environment: [String: String],
        cancellation: PullCancellation
    ) throws -> Outcome {
        try launch(executable, arguments, environment: environment, cancellation: cancellation,
                   streamStdout: false, onStdout: { _ in })
    }

    /// Like `run`, but streams stdout to `onStdout` in chunks (read on this thread from a pipe).
    /// If `onStdout` throws, the child is terminated and the error is rethrown.
    static func stream(
        _ executable: String, _ arguments: [String], environment: [String: String],
        cancellation: PullCancellation,
        onStdout: (UnsafeRawBufferPointer) throws -> Void
    ) throws -> Outcome {
        try launch(executable, arguments, environment: environment, cancellation: cancellation,
                   streamStdout: true, onStdout: onStdout)
    }

    private static func launch(
        _ executable: String, _ arguments: [String], environment: [String: String],
        cancellation: PullCancellation, streamStdout: Bool,
        onStdout: (UnsafeRawBufferPointer) throws -> Void
    ) throws -> Outcome {
        try cancellation.check()
        let logPath = NSTemporaryDirectory() + "localfusion-\(getpid())-\(UUID().uuidString).log"
        guard FileManager.default.createFile(atPath: logPath, contents: nil),
              let log = FileHandle(forWritingAtPath: logPath) else {
            throw CatalogError.ioFailed(path: logPath, reason: "cannot create a log file")
        }
        defer {
            try? log.close()
            unlink(logPath)
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.environment = environment
        process.standardInput = FileHandle.nullDevice
        process.standardError = log
        let pipe = streamStdout ? Pipe() : nil
        process.standardOutput = pipe ?? log
        do {
            // Children inherit the spawning thread's signal mask, and threads started from the
            // concurrency pool block most signals: a child would then ignore SIGTERM and Ctrl-C.
            try withSignalsUnblocked { try process.run() }
        } catch {
            throw CatalogError.ioFailed(path: executable, reason: "cannot start: \(error)")
        }
        cancellation.attach(process)
        defer { cancellation.detach() }

        var streamError: Error?
        if let pipe {
            streamError = pump(pipe.fileHandleForReading.fileDescriptor, into: onStdout)
            if streamError != nil { stop(process) }
            try? pipe.fileHandleForReading.close()
        }
        process.waitUntilExit()
        if let streamError { throw streamError }
        try cancellation.check()
        let text = (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? ""
        return Outcome(status: process.terminationStatus,
                       signaled: process.terminationReason == .uncaughtSignal, log: text)
    }

    /// Sends SIGTERM, then SIGKILL if the child is still running two seconds later.
    static func stop(_ process: Process) {
        guard process.isRunning else { return }
        let pid = process.processIdentifier
        process.terminate()
        DispatchQueue.global().asyncAfter(deadline: .now() + 2) {
            if process.isRunning, process.processIdentifier == pid { kill(pid, SIGKILL) }
        }
    }

    /// Runs `body` with no signals blocked on this thread, restoring the mask afterwards.
    private static func withSignalsUnblocked<T>(_ body: () throws -> T) rethrows -> T {
        var none = sigset_t()
        var saved = sigset_t()
        sigemptyset(&none)
        pthread_sigmask(SIG_SETMASK, &none, &saved)
        defer { pthread_sigmask(SIG_SETMASK, &saved, nil) }
        return try body()
    }

    /// Reads `descriptor` until end of file, handing each chunk to `sink`.
    /// - Returns: the first error (from `read` or from `sink`), or nil at a clean end of file.
    private static func pump(_ descriptor: Int32, into sink: (UnsafeRawBufferPointer) throws -> Void) -> Error? {
        let capacity = 1 << 20
        let buffer = UnsafeMutableRawPointer.allocate(byteCount: capacity, alignment: 64)
        defer { buffer.deallocate() }
        while true {
            let count = read(descriptor, buffer, capacity)
            if count == 0 { return nil }
            if count < 0 {
                if errno == EINTR { continue }
                return CatalogError.ioFailed(path: "(pipe)", reason: CatalogError.errnoText())
            }
            do {
                try sink(UnsafeRawBufferPointer(start: buffer, count: count))
            } catch {
                return error
            }
        }
    }
}
