import Foundation
import Fusion

/// The progress line of `fusion eval`, as text (the command writes it to stderr):
/// `[2/9] fusion-mixed-judge-1.5b [#####.........] 12/40 acc 41.7% · 31.2 s/item · ETA 14m33s · judge qwen2.5-coder-1.5b`
///
/// The rate counts only items that ran a model (cached items take milliseconds and would make
/// the ETA meaninglessly short), so the ETA assumes the remaining items are not cached: an
/// upper bound when resuming.
public struct EvalProgressMeter: Sendable {
    public var conditionIndex = 0
    public var conditionCount = 0
    public var condition = ""
    public var total = 0
    public var done = 0
    public var correct = 0
    public var cached = 0
    public var failed = 0
    /// Wall seconds of the items that ran a model, and how many.
    public var computedSeconds = 0.0
    public var computedItems = 0
    public var activity = ""
    public var width: Int

    public init(width: Int = 20) {
        self.width = width
    }

    public mutating func start(index: Int, count: Int, condition: String, items: Int) {
        self = EvalProgressMeter(width: width)
        conditionIndex = index
        conditionCount = count
        self.condition = condition
        total = items
    }

    public mutating func finish(correct isCorrect: Bool, cached isCached: Bool, failed isFailed: Bool, wallSeconds: Double) {
        done += 1
        if isCorrect { correct += 1 }
        if isFailed { failed += 1 }
        if isCached {
            cached += 1
        } else {
            computedItems += 1
            computedSeconds += wallSeconds
        }
        activity = ""
    }

    /// Seconds per computed item, nil before the first one.
    public var secondsPerItem: Double? { computedItems > 0 ? computedSeconds / Double(computedItems) : nil }

    /// Seconds left at the current rate, nil before the first computed item.
    public var etaSeconds: Double? { secondsPerItem.map { $0 * Double(max(0, total - done)) } }

    public var line: String {
        var text = "[\(conditionIndex + 1)/\(conditionCount)] \(condition) "
            + ProgressBar.bar(fraction: total > 0 ? Double(done) / Double(total) : 1, width: width)
            + " \(done)/\(total)"
        if done > 0 { text += String(format: " acc %.1f%%", 100 * Double(correct) / Double(done)) }
        if cached > 0 { text += " · \(cached) cached" }
        if failed > 0 { text += " · \(failed) failed" }
        if let rate = secondsPerItem { text += String(format: " · %.1f s/item", rate) }
        if let eta = etaSeconds, done < total { text += " · ETA " + Self.duration(eta) }
        if !activity.isEmpty { text += " · " + activity }
        return text
    }

    /// "45s", "14m33s", "2h05m".
    public static func duration(_ seconds: Double) -> String {
        let s = Int(seconds.rounded())
        if s < 60 { return "\(s)s" }
        if s < 3600 { return "\(s / 60)m\(String(format: "%02d", s % 60))s" }
        return "\(s / 3600)h\(String(format: "%02d", (s % 3600) / 60))m"
    }
}
