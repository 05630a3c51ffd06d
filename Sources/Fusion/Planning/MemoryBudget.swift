import Foundation

/// The most memory the models of one request may hold at once, in bytes. A pure value: where it
/// came from is recorded, but nothing here allocates or probes after it is made.
///
/// Resolution order (``resolve(explicit:environment:system:)``):
/// 1. an explicit value (the CLI's `--memory-budget`, already parsed to bytes);
/// 2. `FUSION_MEMORY_BUDGET` (`1.2GB`, `800MiB`, or plain bytes; see ``ByteFormat``);
/// 3. automatic: **70 % of physical RAM** (capped by a container's cgroup limit), **but no more
///    than 90 % of what the kernel reports available** when the budget is made. The first term
///    leaves room for the OS, the page cache and the rest of this process; the second respects
///    memory other programs already use. Make the automatic budget once, at startup, before any
///    model is loaded: afterwards "available" would count this process's own models against it.
public struct MemoryBudget: Sendable, Hashable, Codable {
    /// Where a budget came from, for `fusion plan` and traces.
    public enum Source: String, Sendable, Hashable, Codable {
        /// Given on the command line or by the caller.
        case explicit
        /// From `FUSION_MEMORY_BUDGET`.
        case environment
        /// Derived from the machine's memory.
        case automatic
    }

    /// The budget in bytes.
    public let bytes: UInt64
    /// Where it came from.
    public let source: Source
    /// How it was derived, e.g. `70% of 23.5 GiB RAM` (empty for explicit budgets).
    public let detail: String

    /// The environment variable read by ``resolve(explicit:environment:system:)``.
    public static let environmentKey = "FUSION_MEMORY_BUDGET"
    /// Share of physical RAM the automatic budget may use.
    public static let physicalFraction = 0.70
    /// Share of currently available memory the automatic budget may use.
    public static let availableFraction = 0.90

    /// Creates a budget of `bytes`.
    public init(bytes: UInt64, source: Source = .explicit, detail: String = "") {
        self.bytes = bytes
        self.source = source
        self.detail = detail
    }

    /// Whether `bytes` fit in the budget.
    public func fits(_ bytes: UInt64) -> Bool { bytes <= self.bytes }

    /// The automatic budget for a machine: 70 % of its RAM, at most 90 % of what is available.
    public static func automatic(for memory: SystemMemory) -> MemoryBudget {
        let share = UInt64((Double(memory.totalBytes) * physicalFraction).rounded())
        var detail = "70% of \(ByteFormat.string(memory.totalBytes)) RAM"
        guard let available = memory.availableBytes else {
            return MemoryBudget(bytes: share, source: .automatic, detail: detail)
        }
        let free = UInt64((Double(available) * availableFraction).rounded())
        if free < share {
            detail = "90% of \(ByteFormat.string(available)) available (of \(ByteFormat.string(memory.totalBytes)) RAM)"
        }
        return MemoryBudget(bytes: min(share, free), source: .automatic, detail: detail)
    }

    /// Parses a budget text such as `1.2GB`, `800MiB` or `2000000000`.
    ///
    /// - Parameter source: names the origin in the error message (`FUSION_MEMORY_BUDGET`, `--memory-budget`).
    /// - Throws: ``PlanningError/invalidBudget(text:source:)`` for anything that is not a positive size.
    public static func parse(_ text: String, source: String = environmentKey) throws(PlanningError) -> UInt64 {
        guard let bytes = ByteFormat.parse(text), bytes > 0 else { throw .invalidBudget(text: text, source: source) }
        return bytes
    }

    /// The budget to use: `explicit` if given, else `FUSION_MEMORY_BUDGET` from `environment`,
    /// else the automatic budget for `system()` (only called in that case).
    ///
    /// - Throws: ``PlanningError/invalidBudget(text:source:)`` when the variable is set but is not
    ///   a positive size (a typo must not silently become the automatic budget), or when
    ///   `explicit` is 0.
    public static func resolve(explicit: UInt64? = nil, environment: [String: String],
                               system: () -> SystemMemory = SystemMemory.current) throws(PlanningError) -> MemoryBudget {
        if let explicit {
            guard explicit > 0 else { throw .invalidBudget(text: "0", source: "--memory-budget") }
            return MemoryBudget(bytes: explicit, source: .explicit)
        }
        if let text = environment[environmentKey], !text.trimmingCharacters(in: .whitespaces).isEmpty {
            return MemoryBudget(bytes: try parse(text), source: .environment, detail: environmentKey + "=" + text)
        }
        return automatic(for: system())
    }
}
