import Foundation
import Testing

/// Real models for tests, found where `fusion models pull` puts them.
///
/// Model tests are never skipped silently: a missing model is a test failure that says how to get
/// it, unless LOCALFUSION_SKIP_MODEL_TESTS=1 is set, which skips them with a loud message.
enum TestModels {
    static let directory: String = {
        let env = ProcessInfo.processInfo.environment
        if let dir = env["FUSION_MODELS"], !dir.isEmpty { return dir }
        let cache = env["LOCALFUSION_CACHE"]
            ?? ((env["XDG_CACHE_HOME"] ?? NSHomeDirectory() + "/.cache") + "/localfusion")
        return cache + "/models"
    }()

    static let skipRequested = ProcessInfo.processInfo.environment["LOCALFUSION_SKIP_MODEL_TESTS"] == "1"

    /// Path of a catalog model, or a recorded failure naming the fix.
    static func path(_ id: String) throws -> String {
        let path = directory + "/" + id + ".gguf"
        guard FileManager.default.fileExists(atPath: path) else {
            Issue.record("model \(id) is missing at \(path): run scripts/test.sh or 'fusion models pull \(id)'")
            throw MissingModel()
        }
        return path
    }

    /// For `.enabled(if:)`: false only when skipping was explicitly requested (and says so loudly).
    static var enabled: Bool {
        if skipRequested {
            FileHandle.standardError.write(Data("SKIPPED: model tests (LOCALFUSION_SKIP_MODEL_TESTS=1)\n".utf8))
            return false
        }
        return true
    }

    struct MissingModel: Error {}

    /// A fresh temporary directory, removed by the caller.
    static func temporaryDirectory() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("lf-test-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }
}
