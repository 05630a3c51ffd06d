// When to try again and how long to wait first.
import Foundation

/// Exponential backoff with the server's `Retry-After` taking precedence, both capped so a
/// hostile or confused server cannot park a seat for hours.
struct RetryPolicy {
    /// Attempts after the first.
    var maxRetries: Int
    /// Delay before the first retry; doubles each time.
    var baseDelay: Double
    /// Upper bound for any single wait.
    var maxDelay: Double = 30

    /// Seconds to wait before retry number `retry` (1-based).
    func delay(beforeRetry retry: Int, retryAfter: Double?) -> Double {
        if let retryAfter { return min(max(0, retryAfter), maxDelay) }
        let exponent = Double(max(0, min(retry - 1, 30)))
        return min(max(0, baseDelay) * pow(2, exponent), maxDelay)
    }

    /// `Retry-After` in seconds (the delta-seconds form; an HTTP date is rare from these servers
    /// and is parsed too).
    static func parseRetryAfter(_ value: String?, now: Date = Date()) -> Double? {
        guard let value = value?.trimmingCharacters(in: .whitespaces), !value.isEmpty else { return nil }
        if let seconds = Double(value), seconds.isFinite { return max(0, seconds) }
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "GMT")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss zzz"
        guard let date = formatter.date(from: value) else { return nil }
        return max(0, date.timeIntervalSince(now))
    }
}
