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
        // Above the largest model plus the process's own memory, below the panel's total.
        let budget = max(largest + 200 << 20, total * 6 / 10)
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

/// The quickstart's path: `fusion ask` with the default preset, through the real CLI.
@Suite("Default preset end to end", .serialized)
struct DefaultPresetTests {
    @Test("fusion ask with the default preset answers, with an analysis and every seat")
    func defaultPreset() throws {
        let presets = try FusionPresetsFile.load()
        for id in presets.models { _ = try JudgeTestModels.require(id) }
        let run = try FusionMemoryBudgetTests.runFusion([
            "ask", "--json", "--seed", "5", "--max-tokens", "32", "--judge-max-tokens", "160",
            "--synthesis-max-tokens", "48", "--ctx-size", "2048", "What is 12 times 12?"])
        #expect(run.status == 0, "\(run.stderr)")
        let json = try #require(run.json, "stderr: \(run.stderr)")
        #expect(json["status"] as? String == "ok")
        #expect(((json["final"] as? String) ?? "").trimmingCharacters(in: .whitespacesAndNewlines).isEmpty == false)
        #expect((json["responses"] as? [Any])?.count == presets.panelSize)
        #expect(json["analysis"] is [String: Any], "judge note: \(((json["trace"] as? [String: Any])?["judge_note"] as? String) ?? "none")")
        let stages = try #require((json["trace"] as? [String: Any])?["stages"] as? [String: Any])
        for stage in ["panel", "judge", "synthesis", "total"] { #expect(stages[stage] is NSNumber, "stage \(stage)") }
    }
}

/// Reads models/presets.json the way a user would see it (no engine types needed).
struct FusionPresetsFile {
    var models: [String]
    var panelSize: Int

    static func load() throws -> FusionPresetsFile {
        let data = try Data(contentsOf: URL(fileURLWithPath: FileManager.default.currentDirectoryPath + "/models/presets.json"))
        let json = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        let name = try #require(json["default"] as? String)
        let preset = try #require((json["presets"] as? [String: Any])?[name] as? [String: Any])
        let panel = try #require(preset["panel"] as? [[String: Any]])
        let judge = try #require(preset["judge"] as? String)
        let samples = panel.map { ($0["samples"] as? Int) ?? 1 }.reduce(0, +)
        return FusionPresetsFile(models: Array(Set(panel.compactMap { $0["model"] as? String } + [judge])), panelSize: samples)
    }
}
