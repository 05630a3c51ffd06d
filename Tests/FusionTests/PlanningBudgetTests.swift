import Foundation
import Fusion
import Testing

@Suite("Planning: memory budget")
struct PlanningBudgetTests {
    @Test("sizes: decimal and binary units, plain bytes, fractions, spaces, any case",
          arguments: [("1.2GB", 1_200_000_000), ("800MiB", 838_860_800), ("2000000000", 2_000_000_000),
                      ("1.5 gib", 1_610_612_736), ("512", 512), ("64K", 64_000), ("1G", 1_000_000_000),
                      ("3Mi", 3_145_728), (".5GB", 500_000_000), ("12 bytes", 12), (" 4GB ", 4_000_000_000)] as [(String, UInt64)])
    func parses(text: String, bytes: UInt64) {
        #expect(ByteFormat.parse(text) == bytes)
    }

    @Test("rejects what is not a size", arguments: ["", "GB", "-1GB", "1.2.3GB", "12 parsecs", "1e9", "lots",
                                                    "99999999999999999999", "9999999999TB"])
    func rejects(text: String) {
        #expect(ByteFormat.parse(text) == nil)
    }

    @Test("formats in binary units")
    func formats() {
        #expect(ByteFormat.string(512) == "512 B")
        #expect(ByteFormat.string(800 << 20) == "800 MiB")
        #expect(ByteFormat.string(1_610_612_736) == "1.5 GiB")
    }

    @Test("explicit beats environment beats automatic")
    func resolution() throws {
        let machine = SystemMemory(totalBytes: 10_000_000_000, availableBytes: 9_000_000_000)
        let env = [MemoryBudget.environmentKey: "800MiB"]
        let explicit = try MemoryBudget.resolve(explicit: 1_200_000_000, environment: env) { machine }
        #expect(explicit == MemoryBudget(bytes: 1_200_000_000, source: .explicit))
        let fromEnv = try MemoryBudget.resolve(environment: env) { machine }
        #expect(fromEnv.bytes == 838_860_800 && fromEnv.source == .environment)
        #expect(fromEnv.detail == "FUSION_MEMORY_BUDGET=800MiB")
        let automatic = try MemoryBudget.resolve(environment: [:]) { machine }
        #expect(automatic.bytes == 7_000_000_000 && automatic.source == .automatic)
        let blank = try MemoryBudget.resolve(environment: [MemoryBudget.environmentKey: " "]) { machine }
        #expect(blank.source == .automatic)
    }

    @Test("a malformed or zero budget is an error, not the default")
    func invalid() {
        #expect(throws: PlanningError.invalidBudget(text: "lots", source: "FUSION_MEMORY_BUDGET")) {
            try MemoryBudget.resolve(environment: [MemoryBudget.environmentKey: "lots"]) { SystemMemory(totalBytes: 1) }
        }
        #expect(throws: PlanningError.self) { try MemoryBudget.resolve(environment: [MemoryBudget.environmentKey: "0"]) }
        #expect(throws: PlanningError.self) { try MemoryBudget.resolve(explicit: 0, environment: [:]) }
        #expect(PlanningError.invalidBudget(text: "lots", source: "--memory-budget").description.contains("1.2GB"))
    }

    @Test("automatic: 70 % of RAM, but at most 90 % of what is available")
    func automatic() {
        let idle = MemoryBudget.automatic(for: SystemMemory(totalBytes: 16_000_000_000, availableBytes: 15_000_000_000))
        #expect(idle.bytes == 11_200_000_000)
        #expect(idle.detail.hasPrefix("70% of"))
        let busy = MemoryBudget.automatic(for: SystemMemory(totalBytes: 16_000_000_000, availableBytes: 4_000_000_000))
        #expect(busy.bytes == 3_600_000_000)
        #expect(busy.detail.hasPrefix("90% of"))
        let unknown = MemoryBudget.automatic(for: SystemMemory(totalBytes: 8_000_000_000))
        #expect(unknown.bytes == 5_600_000_000)
        #expect(idle.fits(11_200_000_000) && !idle.fits(11_200_000_001))
    }

    @Test("reads /proc/meminfo and cgroup limits")
    func systemParsing() throws {
        let meminfo = "MemTotal:       24684092 kB\nMemFree:        20842572 kB\nMemAvailable:   23806404 kB\n"
        let memory = try #require(SystemMemory.parseMeminfo(meminfo))
        #expect(memory.totalBytes == 24_684_092 * 1024)
        #expect(memory.availableBytes == 23_806_404 * 1024)
        #expect(SystemMemory.parseMeminfo("MemFree: 1 kB\n") == nil)
        #expect(SystemMemory.parseCgroupLimit("max\n") == nil)
        #expect(SystemMemory.parseCgroupLimit("9223372036854771712\n") == nil)
        #expect(SystemMemory.parseCgroupLimit("4294967296\n") == 4_294_967_296)
        let current = SystemMemory.current()
        #expect(current.totalBytes > 0)
        #expect(current.totalBytes <= ProcessInfo.processInfo.physicalMemory)
        #if os(Linux)
        #expect(current.availableBytes != nil)
        #endif
    }

    @Test("budget JSON is snake_case friendly")
    func json() throws {
        let data = try JSONEncoder().encode(MemoryBudget(bytes: 5, source: .environment, detail: "x"))
        let text = String(decoding: data, as: UTF8.self)
        #expect(text.contains("\"bytes\":5") && text.contains("\"source\":\"environment\""))
        let memory = String(decoding: try JSONEncoder().encode(SystemMemory(totalBytes: 1, availableBytes: 2)), as: UTF8.self)
        #expect(memory.contains("total_bytes") && memory.contains("available_bytes"))
    }
}
