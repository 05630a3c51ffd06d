/// Finds a JSON object inside model output and, when the output was cut off (max tokens reached),
/// closes it so that what was written so far can still be read.
///
/// Works on bytes: the structural characters of JSON are ASCII, and UTF-8 continuation bytes can
/// never be mistaken for them.
enum JSONRepair {
    /// The outcome of scanning from an opening `{`.
    enum Scan: Equatable {
        /// A balanced object ends at this byte offset (exclusive).
        case complete(end: Int)
        /// The text ended inside the object; `repaired` is a closed version of what was written.
        case truncated(repaired: String)
        /// Something that cannot be JSON (e.g. a closing bracket that does not match).
        case invalid
    }

    private enum Container { case object, array }

    private struct Frame {
        var kind: Container
        /// Inside an object: the next string is a key (after `{` or `,`).
        var expectingKey: Bool
    }

    /// Scans `bytes` starting at `start`, which must be `{`.
    static func scan(_ bytes: [UInt8], from start: Int) -> Scan {
        var stack: [Frame] = []
        var inString = false
        var stringIsKey = false
        var escaped = false
        /// Byte offset up to which the text is valid JSON once the saved stack is closed.
        var safeEnd = start
        var safeStack: [Frame] = []
        /// Start of the current string and its last complete character (for closing it early).
        var stringSafeEnd = start

        var i = start
        while i < bytes.count {
            let b = bytes[i]
            if inString {
                if escaped {
                    escaped = false
                    if b == UInt8(ascii: "u") {
                        // \uXXXX: the character is complete only after four hex digits.
                        let hexEnd = i + 5
                        if hexEnd <= bytes.count { stringSafeEnd = hexEnd; i = hexEnd; continue }
                        break
                    }
                    stringSafeEnd = i + 1
                } else if b == UInt8(ascii: "\\") {
                    escaped = true
                } else if b == UInt8(ascii: "\"") {
                    inString = false
                    if !stringIsKey { safeEnd = i + 1; safeStack = stack }
                } else {
                    stringSafeEnd = i + 1   // a cut-off multi-byte character is trimmed at the end
                }
                i += 1
                continue
            }
            switch b {
            case UInt8(ascii: "{"), UInt8(ascii: "["):
                if !stack.isEmpty { stack[stack.count - 1].expectingKey = false }
                stack.append(Frame(kind: b == UInt8(ascii: "{") ? .object : .array, expectingKey: b == UInt8(ascii: "{")))
                safeEnd = i + 1
                safeStack = stack
            case UInt8(ascii: "}"), UInt8(ascii: "]"):
                guard let top = stack.popLast(), (top.kind == .object) == (b == UInt8(ascii: "}")) else { return .invalid }
                if stack.isEmpty { return .complete(end: i + 1) }
                safeEnd = i + 1
                safeStack = stack
            case UInt8(ascii: "\""):
                inString = true
                stringIsKey = stack.last.map { $0.kind == .object && $0.expectingKey } ?? false
                stringSafeEnd = i + 1
            case UInt8(ascii: ","):
                if let last = stack.last, last.kind == .object { stack[stack.count - 1].expectingKey = true }
            case UInt8(ascii: ":"):
                if !stack.isEmpty { stack[stack.count - 1].expectingKey = false }
            default:
                // Numbers and literals: complete once followed by a delimiter; treat their end as
                // safe lazily (a cut-off `tru` is dropped by falling back to the last safe point).
                if isLiteralByte(b), i + 1 < bytes.count, !isLiteralByte(bytes[i + 1]) {
                    safeEnd = i + 1
                    safeStack = stack
                }
            }
            i += 1
        }

        // Cut off. Inside a value string, keep the text written so far and close the string;
        // anywhere else, go back to the last point where a value was complete.
        var text: [UInt8]
        var frames: [Frame]
        if inString && !stringIsKey {
            text = trimmingIncompleteUTF8(Array(bytes[start..<stringSafeEnd])) + [UInt8(ascii: "\"")]
            frames = stack
        } else {
            text = Array(bytes[start..<safeEnd])
            frames = safeStack
        }
        while let last = text.last, last == UInt8(ascii: ",") || last == UInt8(ascii: " ")
            || last == UInt8(ascii: "\n") || last == UInt8(ascii: "\t") || last == UInt8(ascii: "\r") {
            text.removeLast()
        }
        for frame in frames.reversed() {
            text.append(frame.kind == .object ? UInt8(ascii: "}") : UInt8(ascii: "]"))
        }
        return .truncated(repaired: String(decoding: text, as: UTF8.self))
    }

    /// Drops a multi-byte UTF-8 character that was cut off at the end.
    static func trimmingIncompleteUTF8(_ bytes: [UInt8]) -> [UInt8] {
        var lead = bytes.count - 1
        while lead >= 0, bytes[lead] & 0xC0 == 0x80, bytes.count - lead < 4 { lead -= 1 }
        guard lead >= 0, bytes[lead] >= 0xC0 else { return bytes }
        let needed = bytes[lead] >= 0xF0 ? 4 : bytes[lead] >= 0xE0 ? 3 : 2
        return bytes.count - lead < needed ? Array(bytes[..<lead]) : bytes
    }

    private static func isLiteralByte(_ b: UInt8) -> Bool {
        (b >= UInt8(ascii: "0") && b <= UInt8(ascii: "9")) || (b >= UInt8(ascii: "a") && b <= UInt8(ascii: "z"))
            || b == UInt8(ascii: "-") || b == UInt8(ascii: "+") || b == UInt8(ascii: ".")
            || (b >= UInt8(ascii: "A") && b <= UInt8(ascii: "Z"))
    }
}
