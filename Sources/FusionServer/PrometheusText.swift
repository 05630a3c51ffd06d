import Foundation

/// Builds Prometheus' text exposition format (version 0.0.4): `# HELP`, `# TYPE`, then samples.
struct PrometheusText {
    private(set) var text = ""

    mutating func family(_ name: String, type: String, help: String) {
        text += "# HELP \(name) \(help)\n# TYPE \(name) \(type)\n"
    }

    mutating func sample(_ name: String, _ labels: [(String, String)] = [], _ value: Double) {
        text += name + Self.labelText(labels) + " " + Self.number(value) + "\n"
    }

    /// A whole single-sample family.
    mutating func metric(_ name: String, type: String, help: String, _ value: Double) {
        family(name, type: type, help: help)
        sample(name, [], value)
    }

    /// `name_bucket{le=…}` (cumulative), `name_sum`, `name_count` for each labelled histogram.
    mutating func histograms(_ name: String, help: String, label: String, _ series: [(String, Histogram)]) {
        family(name, type: "histogram", help: help)
        for (value, histogram) in series {
            var cumulative = 0
            for (index, bound) in histogram.bounds.enumerated() {
                cumulative += histogram.counts[index]
                sample(name + "_bucket", [(label, value), ("le", Self.number(bound))], Double(cumulative))
            }
            sample(name + "_bucket", [(label, value), ("le", "+Inf")], Double(histogram.count))
            sample(name + "_sum", [(label, value)], histogram.sum)
            sample(name + "_count", [(label, value)], Double(histogram.count))
        }
    }

    static func labelText(_ labels: [(String, String)]) -> String {
        guard !labels.isEmpty else { return "" }
        return "{" + labels.map { "\($0.0)=\"\(escape($0.1))\"" }.joined(separator: ",") + "}"
    }

    /// Label values escape backslash, double quote and newline.
    static func escape(_ value: String) -> String {
        value.replacingOccurrences(of: "\\", with: "\\\\")
            .replacingOccurrences(of: "\"", with: "\\\"")
            .replacingOccurrences(of: "\n", with: "\\n")
    }

    static func number(_ value: Double) -> String {
        if value.isNaN { return "NaN" }
        if value.isInfinite { return value > 0 ? "+Inf" : "-Inf" }
        if value.rounded() == value && abs(value) < 1e15 { return String(Int64(value)) }
        return String(value)
    }
}

/// Fixed-bucket latency histogram (seconds).
struct Histogram: Sendable, Equatable {
    /// Upper bounds, ascending; covers a 50 ms single-token reply to a multi-minute fusion.
    static let secondsBounds: [Double] = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 20, 40, 80, 160, 320]
    let bounds: [Double]
    private(set) var counts: [Int]
    private(set) var count = 0
    private(set) var sum = 0.0

    init(bounds: [Double] = Histogram.secondsBounds) {
        self.bounds = bounds
        counts = Array(repeating: 0, count: bounds.count)
    }

    mutating func observe(_ value: Double) {
        count += 1
        sum += value
        if let index = bounds.firstIndex(where: { value <= $0 }) { counts[index] += 1 }
    }
}
