import Foundation
import Testing

/// Real models for the judge tests: `$FUSION_MODELS/<id>.gguf`, else the catalog's cache directory.
/// A missing required model is a test failure that says where it was looked for.
enum JudgeTestModels {
    static var directories: [String] {
        let env = ProcessInfo.processInfo.environment
        let cache = env["LOCALFUSION_CACHE"]
            ?? ((env["XDG_CACHE_HOME"] ?? NSHomeDirectory() + "/.cache") + "/localfusion")
        return [env["FUSION_MODELS"], cache + "/models"].compactMap { $0 }.filter { !$0.isEmpty }
    }

    /// Path of an optional model, nil when it is in none of the directories.
    static func find(_ id: String) -> String? {
        directories.map { $0 + "/" + id + ".gguf" }.first { FileManager.default.fileExists(atPath: $0) }
    }

    /// Path of a required model, or a recorded failure naming the fix.
    static func require(_ id: String) throws -> String {
        guard let path = find(id) else {
            let looked = directories.map { $0 + "/" + id + ".gguf" }.joined(separator: ", ")
            let message = "model \(id) is missing (looked at \(looked)); set FUSION_MODELS to a directory holding \(id).gguf "
                + "or run 'fusion models pull \(id)'"
            Issue.record(Comment(rawValue: message))
            throw Missing(id: id)
        }
        return path
    }

    struct Missing: Error { let id: String }
}
