/// Turns a stream of byte chunks into text without ever splitting a UTF-8 character.
///
/// Tokens often end in the middle of a multi-byte character (emoji, CJK, accents); the incomplete
/// tail is kept until the next chunk completes it. Bytes that can never become valid UTF-8 are
/// replaced with U+FFFD rather than dropped, so nothing is lost silently.
public struct UTF8StreamDecoder: Sendable {
    private var pending: [UInt8] = []

    public init() {}

    /// Appends bytes and returns every complete character so far.
    public mutating func append(_ bytes: [UInt8]) -> String {
        pending.append(contentsOf: bytes)
        let keep = Self.incompleteTailLength(pending)
        let ready = pending.count - keep
        guard ready > 0 else { return "" }
        let text = String(decoding: pending[..<ready], as: UTF8.self)
        pending.removeFirst(ready)
        return text
    }

    /// Returns whatever is left (an incomplete tail becomes U+FFFD) and resets.
    public mutating func flush() -> String {
        defer { pending.removeAll() }
        return pending.isEmpty ? "" : String(decoding: pending, as: UTF8.self)
    }

    /// True while bytes of an unfinished character are held back.
    public var hasPendingBytes: Bool { !pending.isEmpty }

    /// Length of a trailing, still-completable multi-byte sequence (0…3).
    static func incompleteTailLength(_ bytes: [UInt8]) -> Int {
        // Walk back over at most 3 continuation bytes to the lead byte.
        var index = bytes.count - 1
        var continuation = 0
        while index >= 0, continuation < 3, bytes[index] & 0xC0 == 0x80 {
            continuation += 1
            index -= 1
        }
        guard index >= 0 else { return 0 }
        let lead = bytes[index]
        let needed: Int
        switch lead {
        case 0xC2...0xDF: needed = 2
        case 0xE0...0xEF: needed = 3
        case 0xF0...0xF4: needed = 4
        default: return 0   // ASCII or an invalid lead: nothing to wait for
        }
        let have = continuation + 1
        return have < needed ? have : 0
    }
}
