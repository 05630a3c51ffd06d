import Foundation
import Testing

/// Runs the real `fusion` binary in a child process, so its peak RSS (VmHWM) is the fusion's
/// alone and not this test process's.
@Suite("Memory budget, measured in a child process", .serialized)
struct FusionMemoryBudgetTests {
    /// `fusion` sits next to the test bundle in the build directory (`swift build` makes it).
    static func fusionBinary() throws -> String {
        let exe = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe"))
            ?? CommandLine.arguments[0]
        var dir = URL(fileURLWithPath: exe).deletingLastPathComponent()
        for _ in 0..<3 {
            let candidate = dir.appendingPathComponent("fusion").path
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
            dir = dir.deletingLastPathComponent()
        }
        Issue.record("the fusion binary was not found next to \(exe): run 'swift build' first (scripts/test.sh does)")
        throw CancellationError()
    }

    /// Runs `fusion` and returns its exit code and parsed JSON stdout.
    static func runFusion(_ arguments: [String]) throws -> (status: Int32, json: [String: Any]?, stderr: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: try fusionBinary())
        process.arguments = arguments
        process.currentDirectoryURL = URL(fileURLWithPath: FileManager.default.currentDirectoryPath)
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let outData = out.fileHandleForReading.readDataToEndOfFile()
        let errData = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        let json = try? JSONSerialization.jsonObject(with: outData) as? [String: Any]
        return (process.terminationStatus, json, String(decoding: errData, as: UTF8.self))
    }

    @Test("a budget below the panel's total completes in waves, and peak RSS stays under it")
    func wavesUnderBudget() throws {
        for id in ["smollm2-135m", "gemma3-270m", "qwen2.5-coder-0.5b"] { _ = try JudgeTestModels.require(id) }
        let panel = ["--panel", "smollm2-135m,gemma3-270m,qwen2.5-coder-0.5b", "--judge", "qwen2.5-coder-0.5b",
                     "--ctx-size", "2048", "--max-tokens", "24", "--judge-max-tokens", "120",
                     "--synthesis-max-tokens", "32", "--seed", "3"]
        // The plan's estimates say what "below the total" means.
        let plan = try Self.runFusion(["plan", "--json"] + panel)
        #expect(plan.status == 0, "\(plan.stderr)")
        let total = try #require(plan.json?["total_bytes"] as? Int64 ?? (plan.json?["total_bytes"] as? NSNumber)?.int64Value)
        let seats = try #require(plan.json?["seats"] as? [[String: Any]])
        let largest = seats.compactMap { (($0["estimate"] as? [String: Any])?["total_bytes"] as? NSNumber)?.int64Value }.max() ?? 0
        let budget = max(largest + 120 << 20, total * 6 / 10)
        #expect(budget < total)

        let run = try Self.runFusion(["ask", "--json", "--memory-budget", String(budget)] + panel
                                     + ["What is the capital of Italy?"])
        #expect(run.status == 0, "\(run.stderr)")
        let json = try #require(run.json, "stdout was not JSON; stderr: \(run.stderr)")
        #expect(json["status"] as? String == "ok")
        let trace = try #require(json["trace"] as? [String: Any])
        let schedule = ((trace["plan"] as? [String: Any])?["schedule"] as? [String: Any])?["kind"] as? String
        #expect(schedule == "waves" || schedule == "one_at_a_time", "schedule: \(schedule ?? "nil")")
        let peak = try #require((trace["peak_resident_bytes"] as? NSNumber)?.int64Value)
        let reserved = try #require((trace["peak_reserved_bytes"] as? NSNumber)?.int64Value)
        #expect(reserved <= budget)
        #expect(peak <= budget, "peak RSS \(peak >> 20) MiB, budget \(budget >> 20) MiB")
        #expect((json["responses"] as? [Any])?.count == 3)
    }

    @Test("the CLI refuses a budget below the largest model before loading anything")
    func budgetBelowLargest() throws {
        let run = try Self.runFusion(["ask", "--json", "--memory-budget", "200MB",
                                      "--panel", "smollm2-135m,qwen2.5-coder-0.5b", "--judge", "qwen2.5-coder-0.5b",
                                      "Hello?"])
        #expect(run.status == 1)
        let json = try #require(run.json, "stderr: \(run.stderr)")
        #expect(json["failure_reason"] as? String == "insufficient_memory")
        #expect((json["error"] as? String)?.contains("needs about") == true)
        #expect((json["responses"] as? [Any])?.isEmpty == true)
    }
}
