import Foundation
#if canImport(Darwin)
import Darwin
#endif

/// Reports how much memory the process actually holds, as a cross-check next to the scheduler's
/// reservations (shown in snapshots and traces).
///
/// The scheduler never *decides* from a probe: resident memory lags behind unloads (the allocator and
/// the page cache give memory back late), so a probe-driven scheduler would refuse loads that fit.
public protocol MemoryProbe: Sendable {
    /// Resident bytes of this process right now (0 if unknown).
    func residentBytes() -> Int64
}

/// The process's resident set size: `VmRSS` from `/proc/self/status` on Linux, the Mach task's
/// `resident_size` on Darwin, 0 elsewhere.
public struct ProcessMemoryProbe: MemoryProbe {
    /// Creates the probe; it holds no state.
    public init() {}

    /// Current resident set size in bytes, or 0 when it cannot be read.
    public func residentBytes() -> Int64 {
        #if os(Linux)
        guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return 0 }
        return Self.vmRSSBytes(inStatus: status) ?? 0
        #elseif canImport(Darwin)
        var info = mach_task_basic_info()
        var count = mach_msg_type_number_t(
            MemoryLayout<mach_task_basic_info>.size / MemoryLayout<natural_t>.size)
        let result = withUnsafeMutablePointer(to: &info) { pointer in
            pointer.withMemoryRebound(to: integer_t.self, capacity: Int(count)) {
                task_info(machTaskSelf, task_flavor_t(MACH_TASK_BASIC_INFO), $0, &count)
            }
        }
        return result == KERN_SUCCESS ? Int64(info.resident_size) : 0
        #else
        return 0
        #endif
    }

    /// Parses the `VmRSS:   1234 kB` line of a `/proc/<pid>/status` text into bytes.
    static func vmRSSBytes(inStatus status: String) -> Int64? {
        for line in status.split(separator: "\n") where line.hasPrefix("VmRSS:") {
            // Fields are separated by a tab and padding spaces.
            let fields = line.dropFirst("VmRSS:".count).split(whereSeparator: { $0 == " " || $0 == "\t" })
            guard let value = fields.first.flatMap({ Int64($0) }) else { return nil }
            // The kernel always reports kB here; anything else is treated as bytes.
            return fields.count > 1 && fields[1].lowercased() == "kb" ? value * 1024 : value
        }
        return nil
    }
}

#if canImport(Darwin)
// Cached once: older SDKs import `mach_task_self_` as plain shared mutable state (an error in Swift 6),
// and each `task_self_trap()` call takes another send right, so it must not be called per probe.
private let machTaskSelf: mach_port_t = task_self_trap()
#endif
