import Foundation

/// Byte sizes written the way people write them.
///
/// `512`, `512B`, `64K`/`64KB` (×1000), `1.2G`/`1.2GB` (×1000³), `800Ki`/`800KiB` (×1024),
/// `800MiB` (×1024²), `1.5TiB`; units are case-insensitive and may follow a space (`1.2 GB`).
public enum ByteSize {
    private static let multipliers: [String: Int64] = [
        "": 1, "b": 1, "byte": 1, "bytes": 1,
        "k": 1_000, "kb": 1_000, "m": 1_000_000, "mb": 1_000_000,
        "g": 1_000_000_000, "gb": 1_000_000_000, "t": 1_000_000_000_000, "tb": 1_000_000_000_000,
        "ki": 1 << 10, "kib": 1 << 10, "mi": 1 << 20, "mib": 1 << 20,
        "gi": 1 << 30, "gib": 1 << 30, "ti": 1 << 40, "tib": 1 << 40,
    ]

    /// The number of bytes `text` denotes, rounded to the nearest byte, or nil if it is not a
    /// non-negative size that fits in `Int64`.
    public static func parse(_ text: String) -> Int64? {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        let number = trimmed.prefix { $0.isASCII && ($0.isNumber || $0 == ".") }
        let unit = trimmed.dropFirst(number.count).trimmingCharacters(in: .whitespaces).lowercased()
        guard let multiplier = multipliers[unit] else { return nil }
        let parts = number.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count <= 2, parts.contains(where: { !$0.isEmpty }) else { return nil }
        let whole = parts[0].isEmpty ? 0 : Int64(parts[0])
        guard let whole else { return nil }
        let (scaled, overflow) = whole.multipliedReportingOverflow(by: multiplier)
        guard !overflow else { return nil }
        guard parts.count == 2, !parts[1].isEmpty, let fraction = Double("0." + parts[1]) else {
            return scaled
        }
        let (total, overflowed) = scaled.addingReportingOverflow(Int64((fraction * Double(multiplier)).rounded()))
        return overflowed ? nil : total
    }

    /// A short human-readable form using binary units: `800 MiB`, `1.5 GiB`, `512 B`.
    public static func format(_ bytes: Int64) -> String {
        let units = ["B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"]
        var value = Double(bytes), unit = 0
        while abs(value) >= 1024, unit < units.count - 1 {
            value /= 1024
            unit += 1
        }
        if unit == 0 { return "\(bytes) B" }
        let tenths = (value * 10).rounded() / 10
        let text = tenths == tenths.rounded() ? String(Int(tenths)) : String(tenths)
        return "\(text) \(units[unit])"
    }
}
