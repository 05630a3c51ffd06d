import Foundation

/// How much memory the machine has, as far as this process may use it: a snapshot, read once.
///
/// On Linux: `MemTotal` and `MemAvailable` from /proc/meminfo, capped by the cgroup memory limit
/// (v2 `memory.max` or v1 `memory.limit_in_bytes`) when a container sets one. Elsewhere:
/// `ProcessInfo.physicalMemory` (`hw.memsize` on macOS), with availability unknown.
public struct SystemMemory: Sendable, Hashable, Codable {
    /// Physical RAM, or the cgroup limit when that is lower.
    public var totalBytes: UInt64
    /// Memory the kernel says can be allocated without swapping (includes reclaimable cache),
    /// or nil when the platform does not say.
    public var availableBytes: UInt64?

    /// Creates a snapshot from known numbers (tests, and callers with their own source).
    public init(totalBytes: UInt64, availableBytes: UInt64? = nil) {
        self.totalBytes = totalBytes
        self.availableBytes = availableBytes
    }

    /// Reads the current machine's memory.
    public static func current() -> SystemMemory {
        let physical = ProcessInfo.processInfo.physicalMemory
        #if os(Linux)
        var memory = (try? String(contentsOfFile: "/proc/meminfo", encoding: .utf8)).flatMap(parseMeminfo)
            ?? SystemMemory(totalBytes: physical)
        let limits = ["/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory/memory.limit_in_bytes"]
        if let limit = limits.lazy.compactMap({ try? String(contentsOfFile: $0, encoding: .utf8) })
            .compactMap(parseCgroupLimit).first {
            memory.totalBytes = min(memory.totalBytes, limit)
            memory.availableBytes = memory.availableBytes.map { min($0, limit) }
        }
        return memory
        #else
        return SystemMemory(totalBytes: physical)
        #endif
    }

    /// Parses /proc/meminfo text (`MemTotal:  24684092 kB`); nil without a `MemTotal` line.
    public static func parseMeminfo(_ text: String) -> SystemMemory? {
        var total: UInt64?
        var available: UInt64?
        for line in text.split(separator: "\n") {
            let fields = line.split(whereSeparator: { $0 == " " || $0 == "\t" })
            guard fields.count >= 2, let value = UInt64(fields[1]) else { continue }
            let bytes = fields.count >= 3 && fields[2].lowercased() == "kb" ? value * 1024 : value
            switch fields[0] {
            case "MemTotal:": total = bytes
            case "MemAvailable:": available = bytes
            default: continue
            }
        }
        return total.map { SystemMemory(totalBytes: $0, availableBytes: available) }
    }

    /// Parses a cgroup memory limit file: a byte count, or `max` / a huge value for "no limit" (nil).
    public static func parseCgroupLimit(_ text: String) -> UInt64? {
        guard let value = UInt64(text.trimmingCharacters(in: .whitespacesAndNewlines)) else { return nil }
        return value >= 1 << 60 ? nil : value
    }

    /// JSON keys in snake_case.
    enum CodingKeys: String, CodingKey {
        case totalBytes = "total_bytes", availableBytes = "available_bytes"
    }
}
