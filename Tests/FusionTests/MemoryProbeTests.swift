import Foundation
import Fusion
import Llama
import Testing

/// Real models for the planning tests, found where `fusion models pull` puts them (or in
/// `$FUSION_MODELS`). A missing model is a recorded failure, as in LlamaTests, unless
/// LOCALFUSION_SKIP_MODEL_TESTS=1.
enum PlanningModels {
    static let environment = ProcessInfo.processInfo.environment

    static let directory: String = {
        if let dir = environment["FUSION_MODELS"], !dir.isEmpty { return dir }
        let cache = environment["LOCALFUSION_CACHE"]
            ?? ((environment["XDG_CACHE_HOME"] ?? NSHomeDirectory() + "/.cache") + "/localfusion")
        return cache + "/models"
    }()

    /// Whether model tests run at all.
    static var enabled: Bool { environment["LOCALFUSION_SKIP_MODEL_TESTS"] != "1" }

    /// The path of catalog model `id`, or a recorded failure naming the fix.
    static func path(_ id: String) throws -> String {
        let path = directory + "/" + id + ".gguf"
        guard FileManager.default.fileExists(atPath: path) else {
            Issue.record("model \(id) is missing at \(path): run 'fusion models pull \(id)' or set FUSION_MODELS")
            throw Missing()
        }
        return path
    }

    /// Thrown after the failure is recorded, to end the test.
    struct Missing: Error {}
}

/// Resident-memory readings of this process, from /proc/self/status (Linux only).
enum MemoryProbeRSS {
    /// The value of a `VmRSS:`-style line in bytes, or nil off Linux.
    static func read(_ key: String) -> UInt64? {
        guard let text = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return nil }
        for line in text.split(separator: "\n") where line.hasPrefix(key + ":") {
            let fields = line.split(whereSeparator: { $0 == " " || $0 == "\t" })
            guard fields.count >= 2, let kib = UInt64(fields[1]) else { return nil }
            return kib * 1024
        }
        return nil
    }

    /// Current resident set size.
    static var current: UInt64 { read("VmRSS") ?? 0 }
    /// Peak resident set size since the process started.
    static var peak: UInt64 { read("VmHWM") ?? 0 }
}

/// One model's RSS growth, measured in a process that does nothing else: the parent test below
/// runs this test binary again with `FUSION_MEMORY_PROBE=<gguf>` and reads the `MEMPROBE` line.
/// `FUSION_MEMORY_PROBE_CTX`, `_SEQS` and `_TOKENS` (approximate prompt length; 0 = a short
/// question) set the shape. This is also the tool behind the calibration table in docs/MEMORY.md.
@Suite("Memory probe (child process only)", .serialized)
struct MemoryProbeChild {
    static let environment = ProcessInfo.processInfo.environment

    @Test("measure RSS of load + context + generation",
          .enabled(if: ProcessInfo.processInfo.environment["FUSION_MEMORY_PROBE"] != nil,
                   "runs only inside the child process that estimateBoundsRSS starts"))
    func probe() async throws {
        let path = try #require(Self.environment["FUSION_MEMORY_PROBE"])
        let contextSize = Int(Self.environment["FUSION_MEMORY_PROBE_CTX"] ?? "") ?? 4096
        let sequences = Int(Self.environment["FUSION_MEMORY_PROBE_SEQS"] ?? "") ?? 1
        let promptTokens = Int(Self.environment["FUSION_MEMORY_PROBE_TOKENS"] ?? "") ?? 0
        _ = LlamaRuntime.version   // backend initialised before the baseline
        let base = MemoryProbeRSS.current
        let model = try LlamaModel(path: path)
        let loaded = MemoryProbeRSS.current
        let session = try LlamaSession(model: model, options: ContextOptions(contextSize: contextSize, threads: 2,
                                                                             sequences: sequences))
        let withContext = MemoryProbeRSS.current
        let text = promptTokens > 0
            ? String(repeating: "The quick brown fox jumps over the lazy dog near the river bank. ",
                     count: promptTokens / 13) + "Summarise this text."
            : "Name three primary colors."
        let prompt = Prompt.chat([.user(text)])
        if sequences > 1 {
            let parameters = (0..<sequences).map {
                GenerationParameters(maxTokens: 16, temperature: 0.7, seed: UInt32($0 + 1))
            }
            for try await _ in session.generateBatch(prompt, parameters: parameters).events {}
        } else {
            _ = try await session.complete(prompt, parameters: .greedy(maxTokens: 16))
        }
        let generated = MemoryProbeRSS.current
        print("MEMPROBE load=\(loaded - base) context=\(withContext - base) generate=\(generated - base) "
              + "peak=\(MemoryProbeRSS.peak - base)")
        withExtendedLifetime((model, session)) {}
    }
}

/// The estimate must bound what a model really costs: each model is loaded in a fresh child
/// process (so nothing else running in this test process can blur the number), with a prompt
/// longer than one micro-batch so the compute buffer is exercised.
@Suite("Memory estimate vs measured RSS", .serialized, .enabled(if: PlanningModels.enabled))
struct MemoryRSSTests {
    /// One measurement: RSS growth from before loading to after the generation.
    struct Measured { let generate: UInt64; let peak: UInt64 }

    /// Runs this test binary as a child with the probe enabled and parses its report.
    static func measure(path: String, contextSize: Int, sequences: Int, promptTokens: Int) throws -> Measured {
        let child = Process()
        child.executableURL = URL(fileURLWithPath: CommandLine.arguments[0])
        child.arguments = ["--testing-library", "swift-testing", "--filter", "MemoryProbeChild"]
        var environment = ProcessInfo.processInfo.environment
        environment["FUSION_MEMORY_PROBE"] = path
        environment["FUSION_MEMORY_PROBE_CTX"] = String(contextSize)
        environment["FUSION_MEMORY_PROBE_SEQS"] = String(sequences)
        environment["FUSION_MEMORY_PROBE_TOKENS"] = String(promptTokens)
        environment.removeValue(forKey: "LOCALFUSION_LLAMA_LOG")
        child.environment = environment
        let pipe = Pipe()
        child.standardOutput = pipe
        child.standardError = FileHandle.nullDevice
        try child.run()
        let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        child.waitUntilExit()
        let line = try #require(output.split(separator: "\n").first { $0.contains("MEMPROBE") },
                                "the probe child printed no MEMPROBE line (status \(child.terminationStatus))")
        var values: [String: UInt64] = [:]
        for field in line.split(separator: " ") {
            let parts = field.split(separator: "=")
            if parts.count == 2, let value = UInt64(parts[1]) { values[String(parts[0])] = value }
        }
        return Measured(generate: try #require(values["generate"]), peak: try #require(values["peak"]))
    }

    #if os(Linux)
    static let canMeasure = true
    #else
    static let canMeasure = false   // VmRSS and re-running the test binary directly are Linux-only here.
    #endif

    @Test("estimate ≥ measured RSS growth, and within 20 % of it",
          .enabled(if: canMeasure), arguments: [("smollm2-135m", 1), ("gemma3-270m", 4)])
    func estimateBoundsRSS(id: String, sequences: Int) throws {
        let path = try PlanningModels.path(id)
        let estimate = try MemoryEstimate.forModel(at: path, contextSize: 4096, sequences: sequences)
        let measured = try Self.measure(path: path, contextSize: 4096, sequences: sequences, promptTokens: 600)
        let ratio = Double(estimate.totalBytes) / Double(measured.peak)
        print("RSS \(id) ×\(sequences): estimate \(ByteFormat.string(estimate.totalBytes)), measured "
              + "\(ByteFormat.string(measured.generate)) (peak \(ByteFormat.string(measured.peak))), ratio \(ratio)")
        #expect(estimate.totalBytes >= measured.peak)
        #expect(ratio < 1.20, "estimate is too loose: \(ratio)× the measured peak")
    }

    /// Prints the calibration table of docs/MEMORY.md for every catalog model present:
    /// `FUSION_MEMORY_CALIBRATE=1 swift test --filter MemoryRSSTests` (optionally
    /// `FUSION_MEMORY_CALIBRATE_MODELS=id,id`). Takes minutes on 2 cores.
    @Test("calibration table (opt-in)",
          .enabled(if: canMeasure && ProcessInfo.processInfo.environment["FUSION_MEMORY_CALIBRATE"] == "1",
                   "opt-in: regenerates docs/MEMORY.md's table (FUSION_MEMORY_CALIBRATE=1)"))
    func calibrationTable() throws {
        let ids = ProcessInfo.processInfo.environment["FUSION_MEMORY_CALIBRATE_MODELS"]?.split(separator: ",").map(String.init)
            ?? ["smollm2-135m", "gemma3-270m", "qwen2.5-coder-0.5b", "qwen2.5-coder-1.5b"]
        func mib(_ bytes: UInt64) -> String { String(format: "%.1f MiB", Double(bytes) / 1_048_576) }
        let runs = [(sequences: 1, tokens: 0), (sequences: 1, tokens: 3600), (sequences: 4, tokens: 3600)]
        var rows = ["| model | seqs | prompt | weights | KV | estimate | measured RSS | estimate / measured |",
                    "|---|---:|---:|---:|---:|---:|---:|---:|"]
        for id in ids {
            let path = PlanningModels.directory + "/" + id + ".gguf"
            guard FileManager.default.fileExists(atPath: path) else { continue }
            for run in runs {
                let estimate = try MemoryEstimate.forModel(at: path, contextSize: 4096, sequences: run.sequences)
                let measured = try Self.measure(path: path, contextSize: 4096, sequences: run.sequences,
                                                promptTokens: run.tokens)
                let ratio = Double(estimate.totalBytes) / Double(measured.peak)
                rows.append("| \(id) | \(run.sequences) | \(run.tokens == 0 ? "short" : "~\(run.tokens) tok") | "
                            + "\(mib(estimate.weightBytes)) | \(mib(estimate.kvCacheBytes)) | "
                            + "\(mib(estimate.totalBytes)) | \(mib(measured.peak)) | "
                            + "\((ratio * 100).rounded() / 100) |")
                #expect(estimate.totalBytes >= measured.peak, "\(id) ×\(run.sequences), \(run.tokens) tokens")
            }
        }
        print(rows.joined(separator: "\n"))
    }
}
