import Foundation

/// Memory sizes as people write them, with the same conventions as the CLI's `--memory-budget`
/// parser: `1.2GB`/`1.2G` are decimal (×1000³), `800MiB`/`800Mi` binary (×1024²), a bare number
/// is bytes; units are case-insensitive and may follow a space.
public enum ByteFormat {
    private static let multipliers: [String: UInt64] = [
        "": 1, "b": 1, "byte": 1, "bytes": 1,
        "k": 1_000, "kb": 1_000, "m": 1_000_000, "mb": 1_000_000,
        "g": 1_000_000_000, "gb": 1_000_000_000, "t": 1_000_000_000_000, "tb": 1_000_000_000_000,
        "ki": 1 << 10, "kib": 1 << 10, "mi": 1 << 20, "mib": 1 << 20,
        "gi": 1 << 30, "gib": 1 << 30, "ti": 1 << 40, "tib": 1 << 40,
    ]

    /// The number of bytes `text` denotes (rounded to the nearest byte), or nil when it is not a
    /// non-negative size that fits in 63 bits.
    public static func parse(_ text: String) -> UInt64? {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        let number = trimmed.prefix { $0.isASCII && ($0.isNumber || $0 == ".") }
        let unit = trimmed.dropFirst(number.count).trimmingCharacters(in: .whitespaces).lowercased()
        guard let multiplier = multipliers[unit] else { return nil }
        let parts = number.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count <= 2, parts.contains(where: { !$0.isEmpty }) else { return nil }
        guard let whole = parts[0].isEmpty ? 0 : UInt64(parts[0]) else { return nil }
        let (scaled, overflow) = whole.multipliedReportingOverflow(by: multiplier)
        guard !overflow, scaled <= UInt64(Int64.max) else { return nil }
        guard parts.count == 2, !parts[1].isEmpty else { return scaled }
        guard let fraction = Double("0." + parts[1]) else { return nil }
        let (total, overflowed) = scaled.addingReportingOverflow(UInt64((fraction * Double(multiplier)).rounded()))
        return overflowed || total > UInt64(Int64.max) ? nil : total
    }

    /// A short form in binary units with one decimal where it matters: `800 MiB`, `1.5 GiB`, `512 B`.
    public static func string(_ bytes: UInt64) -> String {
        let units = ["B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"]
        var value = Double(bytes), unit = 0
        while value >= 1024, unit < units.count - 1 {
            value /= 1024
            unit += 1
        }
        if unit == 0 { return "\(bytes) B" }
        let tenths = (value * 10).rounded() / 10
        let text = tenths == tenths.rounded() ? String(Int(tenths)) : String(tenths)
        return "\(text) \(units[unit])"
    }
}
