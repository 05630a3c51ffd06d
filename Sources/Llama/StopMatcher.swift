/// Finds stop strings in generated text across token boundaries.
///
/// Text that might be the start of a stop string is held back until it either completes the stop
/// string (generation ends, the stop string is not emitted) or diverges (the text is released).
/// Matching is on UTF-8 bytes; a match or a held-back prefix always starts at a character boundary
/// because stop strings are themselves valid UTF-8.
public struct StopMatcher: Sendable {
    private let stops: [[UInt8]]
    private var held: [UInt8] = []

    public init(stops: [String]) {
        self.stops = stops.filter { !$0.isEmpty }.map { Array($0.utf8) }
    }

    /// Result of feeding text.
    public enum Outcome: Equatable, Sendable {
        /// Safe to emit; more may follow.
        case text(String)
        /// A stop string was found: emit this text, then stop.
        case stop(String)
    }

    /// Feeds newly generated text.
    public mutating func feed(_ text: String) -> Outcome {
        guard !stops.isEmpty else { return .text(text) }
        held.append(contentsOf: text.utf8)
        if let cut = earliestMatch() {
            let before = String(decoding: held[..<cut], as: UTF8.self)
            held.removeAll()
            return .stop(before)
        }
        let keep = longestSuffixThatStartsAStop()
        let release = held.count - keep
        let out = String(decoding: held[..<release], as: UTF8.self)
        held.removeFirst(release)
        return .text(out)
    }

    /// Releases held-back text at the end of generation.
    public mutating func flush() -> String {
        defer { held.removeAll() }
        return String(decoding: held, as: UTF8.self)
    }

    private func earliestMatch() -> Int? {
        var best: Int?
        for stop in stops where stop.count <= held.count {
            var start = 0
            while start + stop.count <= held.count {
                if best.map({ start >= $0 }) == true { break }
                if held[start] == stop[0], held[start..<(start + stop.count)].elementsEqual(stop) {
                    best = start
                    break
                }
                start += 1
            }
        }
        return best
    }

    private func longestSuffixThatStartsAStop() -> Int {
        var longest = 0
        for stop in stops {
            let maxLength = min(stop.count - 1, held.count)
            var length = maxLength
            while length > longest {
                if held[(held.count - length)...].elementsEqual(stop[..<length]) {
                    longest = length
                    break
                }
                length -= 1
            }
        }
        return longest
    }
}
