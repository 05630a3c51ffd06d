import Foundation

/// Why `ModelScheduler.lease` refused a request. (Cancellation is `CancellationError`, and loader
/// failures are rethrown unchanged.)
public enum SchedulerError: Error, Sendable, Equatable, CustomStringConvertible, LocalizedError {
    /// `depth` requests are already waiting, the queue's limit: the server is busy, try again later.
    case queueFull(depth: Int)
    /// The model's estimate is larger than the whole budget, so waiting can never help.
    case neverFits(key: ModelKey, estimateBytes: Int64, budgetBytes: Int64)
    /// A negative memory estimate (a bug in the caller's estimate).
    case invalidEstimate(key: ModelKey, estimateBytes: Int64)

    /// One readable sentence.
    public var description: String {
        switch self {
        case let .queueFull(depth):
            return "busy: \(depth) requests are already waiting for a model; try again later"
        case let .neverFits(key, estimate, budget):
            return "model \(key) needs about \(Self.mib(estimate)) but the memory budget is \(Self.mib(budget)); "
                + "use a smaller context, fewer sequences or a larger budget"
        case let .invalidEstimate(key, estimate):
            return "invalid memory estimate for \(key): \(estimate) bytes"
        }
    }

    /// Same as `description`, for APIs that read `localizedDescription`.
    public var errorDescription: String? { description }

    private static func mib(_ bytes: Int64) -> String {
        String(format: "%.1f MiB", Double(bytes) / 1_048_576)
    }
}
