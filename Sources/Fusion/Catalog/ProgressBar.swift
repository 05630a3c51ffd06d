import Foundation

/// Turns `PullProgress` reports into terminal output; it does not print, it returns the text
/// to write (to stderr, typically).
///
/// On a TTY one line is redrawn in place:
/// `[#####.....] 45% 440/980 MB part 3/6` (prefixed by `\r` and an erase-line sequence),
/// ending with a newline when the pull finishes. Elsewhere (logs, CI) it emits one line per
/// finished part and one at the end, so that logs stay short.
///
/// ```swift
/// var bar = ProgressBar(isTTY: isatty(2) != 0)
/// try await puller.pull(entry) { event in if let text = bar.render(event) { write(text) } }
/// ```
/// (`render` is mutating; keep the bar in a lock or an actor if reports come from another thread.)
public struct ProgressBar: Sendable {
    /// Whether output goes to an interactive terminal.
    public var isTTY: Bool
    /// The number of cells between the brackets.
    public var width: Int

    private var lastLine = ""
    private var announcedSource = false
    private var announcedCheck = false

    /// Creates a renderer.
    public init(isTTY: Bool, width: Int = 30) {
        self.isTTY = isTTY
        self.width = max(1, width)
    }

    /// `[#####.....]` for a fraction in 0…1.
    public static func bar(fraction: Double, width: Int) -> String {
        let clamped = min(1, max(0, fraction.isFinite ? fraction : 0))
        let filled = Int((clamped * Double(width)).rounded())
        return "[" + String(repeating: "#", count: filled) + String(repeating: ".", count: width - filled) + "]"
    }

    /// Whole decimal megabytes, e.g. 440_123_456 → "440".
    public static func megabytes(_ bytes: Int64) -> String {
        String((bytes + 500_000) / 1_000_000)
    }

    /// The status line for a report, without any control characters, e.g.
    /// `[#####.....] 45% 440/980 MB part 3/6`.
    public func line(for progress: PullProgress) -> String {
        let percent = Int((progress.fraction * 100).rounded(.down))
        var text = Self.bar(fraction: progress.fraction, width: width)
            + " \(percent)% \(Self.megabytes(progress.bytesDone))/\(Self.megabytes(progress.totalBytes)) MB"
        if progress.partCount > 0 { text += " part \(max(1, progress.part))/\(progress.partCount)" }
        switch progress.phase {
        case .alreadyPresent: text += " (already present, verified)"
        case .checkingExisting: text += " checking existing file"
        case .downloading: text += " downloading"
        case .verifying: text += " verifying sha256"
        case .finished: text += " done"
        case .partDone: text += " part done"
        case .assembling, .sourceFailed: break
        }
        return text
    }

    /// The text to write for a report, or nil when nothing needs to be written.
    public mutating func render(_ progress: PullProgress) -> String? {
        if case let .sourceFailed(message) = progress.phase {
            // Always on its own line, so it is not overwritten by the next redraw.
            lastLine = ""
            announcedSource = false
            return (isTTY ? "\r\u{1B}[2K" : "") + "\(progress.modelID): source failed (\(progress.source)): \(message)\n"
        }
        return isTTY ? renderTTY(progress) : renderPlain(progress)
    }

    private mutating func renderTTY(_ progress: PullProgress) -> String? {
        let text = line(for: progress)
        let done = progress.phase == .finished || progress.phase == .alreadyPresent
        guard text != lastLine || done else { return nil }
        lastLine = text
        return "\r\u{1B}[2K" + text + (done ? "\n" : "")
    }

    private mutating func renderPlain(_ progress: PullProgress) -> String? {
        let prefix = "\(progress.modelID):"
        switch progress.phase {
        case .alreadyPresent:
            return "\(prefix) already present and verified\n"
        case .checkingExisting:
            guard !announcedCheck else { return nil }
            announcedCheck = true
            return "\(prefix) checking the existing file\n"
        case .downloading, .assembling:
            guard !announcedSource else { return nil }
            announcedSource = true
            return "\(prefix) pulling from \(progress.source)\n"
        case .partDone:
            return "\(prefix) part \(progress.part)/\(progress.partCount) done, "
                + "\(Self.megabytes(progress.bytesDone))/\(Self.megabytes(progress.totalBytes)) MB\n"
        case .verifying:
            return "\(prefix) verifying sha256\n"
        case .finished:
            return "\(prefix) done, \(Self.megabytes(progress.bytesDone)) MB verified\n"
        case .sourceFailed:
            return nil
        }
    }
}
