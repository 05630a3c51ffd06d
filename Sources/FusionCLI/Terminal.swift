import Foundation

/// Where output goes: results on stdout, progress and diagnostics on stderr.
enum Terminal {
    /// True when stderr is a terminal (live progress lines are drawn only then).
    static let stderrIsTTY = isatty(STDERR_FILENO) == 1

    /// Writes to stdout immediately (streamed tokens must appear as they are generated).
    static func out(_ text: String) {
        FileHandle.standardOutput.write(Data(text.utf8))
    }

    /// Writes a line to stderr.
    static func err(_ text: String) {
        FileHandle.standardError.write(Data((text + "\n").utf8))
    }

    /// Redraws a one-line status on a TTY; on a pipe only `final` lines are printed.
    static func status(_ text: String, final: Bool = false) {
        if stderrIsTTY {
            FileHandle.standardError.write(Data(("\r\u{1B}[2K" + text + (final ? "\n" : "")).utf8))
        } else if final {
            err(text)
        }
    }

    /// Pretty, stable JSON for `--json` output.
    static func printJSON<T: Encodable>(_ value: T) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        encoder.keyEncodingStrategy = .convertToSnakeCase
        let data = try encoder.encode(value)
        out(String(decoding: data, as: UTF8.self) + "\n")
    }
}

/// Runs `handler` on the first SIGINT/SIGTERM instead of dying, so a generation can be cancelled
/// cleanly (the partial answer and its stop reason are still printed). A second signal exits.
final class InterruptHandler: @unchecked Sendable {
    private var sources: [DispatchSourceSignal] = []
    private var fired = false
    private let lock = NSLock()

    init(_ handler: @escaping @Sendable () -> Void) {
        for sig in [SIGINT, SIGTERM] {
            signal(sig, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: sig, queue: .global())
            source.setEventHandler { [weak self] in
                guard let self else { return }
                let first = self.lock.withLock { () -> Bool in
                    defer { self.fired = true }
                    return !self.fired
                }
                if first { handler() } else { exit(130) }
            }
            source.resume()
            sources.append(source)
        }
    }

    deinit {
        sources.forEach { $0.cancel() }
        signal(SIGINT, SIG_DFL)
        signal(SIGTERM, SIG_DFL)
    }
}

/// A command line that cannot work as given: exit code 64 (EX_USAGE) and a message on stderr.
struct UsageFailure: Error, CustomStringConvertible {
    var description: String
    init(_ message: String) { description = message }
}

/// A failure that ends the command with exit code 1 and a message on stderr.
struct CommandFailure: Error, CustomStringConvertible {
    var description: String
    init(_ message: String) { description = message }
}
