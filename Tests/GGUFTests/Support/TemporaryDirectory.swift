import Foundation
import GGUF

/// A fresh directory per test, removed when the value goes away, so tests can run in parallel.
final class TemporaryDirectory {
    let url: URL

    init() {
        url = FileManager.default.temporaryDirectory
            .appendingPathComponent("GGUFTests-" + UUID().uuidString, isDirectory: true)
        try! FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(at: url) }

    /// Writes `bytes` to a file named `name` and returns its path.
    @discardableResult
    func write(_ bytes: [UInt8], named name: String = "model.gguf") -> String {
        let path = url.appendingPathComponent(name).path
        precondition(FileManager.default.createFile(atPath: path, contents: Data(bytes)), "cannot write \(path)")
        return path
    }

    /// A path in the directory that does not exist.
    func missing(_ name: String = "absent.gguf") -> String {
        url.appendingPathComponent(name).path
    }
}

/// A small deterministic generator (SplitMix64), so that "random" inputs are reproducible.
struct SplitMix64: RandomNumberGenerator {
    var state: UInt64

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// The error a read throws, or nil if it succeeded: lets `#expect` compare errors directly.
func readError(_ path: String, arrayElementLimit: Int = 1024) -> GGUFError? {
    do throws(GGUFError) {
        _ = try GGUFFile.read(at: path, arrayElementLimit: arrayElementLimit)
        return nil
    } catch {
        return error
    }
}
