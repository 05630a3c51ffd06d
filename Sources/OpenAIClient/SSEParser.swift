// Server-Sent Events framing, fed with bytes exactly as the network delivers them.

/// Incremental SSE parser: bytes may split lines, UTF-8 sequences or events anywhere. Lines end
/// with LF, CR or CRLF; `:` lines are comments; `data:` lines accumulate and a blank line
/// dispatches them as one event (joined with LF). Other fields (`event`, `id`, `retry`) carry
/// nothing a chat stream needs and are ignored.
struct SSEParser {
    /// Longest line accepted; a longer one means the peer is not speaking SSE.
    static let maxLineBytes = 4 << 20

    private var line: [UInt8] = []
    private var dataLines: [String] = []
    private var lastWasCR = false

    /// Thrown when a line exceeds ``maxLineBytes``.
    struct LineTooLong: Error {}

    /// Consumes bytes and returns the data of every event they completed, in order.
    mutating func feed(_ bytes: some Sequence<UInt8>) throws(LineTooLong) -> [String] {
        var events: [String] = []
        for byte in bytes {
            if lastWasCR {
                lastWasCR = false
                if byte == 0x0A { continue }     // the LF of a CRLF
            }
            switch byte {
            case 0x0A:
                endLine(into: &events)
            case 0x0D:
                lastWasCR = true
                endLine(into: &events)
            default:
                guard line.count < Self.maxLineBytes else { throw LineTooLong() }
                line.append(byte)
            }
        }
        return events
    }

    /// At the end of the body: an event whose blank line never came is still delivered (lenient
    /// towards servers that close right after the last `data:` line).
    mutating func finish() -> [String] {
        var events: [String] = []
        if !line.isEmpty { endLine(into: &events) }
        endLine(into: &events)
        return events
    }

    private mutating func endLine(into events: inout [String]) {
        defer { line.removeAll(keepingCapacity: true) }
        if line.isEmpty {
            if !dataLines.isEmpty {
                events.append(dataLines.joined(separator: "\n"))
                dataLines.removeAll()
            }
            return
        }
        if line[0] == UInt8(ascii: ":") { return }
        let colon = line.firstIndex(of: UInt8(ascii: ":")) ?? line.endIndex
        guard line[..<colon].elementsEqual("data".utf8) else { return }
        var valueStart = colon == line.endIndex ? colon : line.index(after: colon)
        if valueStart < line.endIndex, line[valueStart] == UInt8(ascii: " ") { valueStart += 1 }
        dataLines.append(String(decoding: line[valueStart...], as: UTF8.self))
    }
}
