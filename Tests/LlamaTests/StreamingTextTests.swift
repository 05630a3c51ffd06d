import Llama
import Testing

@Suite("Streaming text: stop strings and UTF-8 carry-over")
struct StreamingTextTests {
    /// Feeds pieces, returns (emitted text, stopped?).
    func feed(_ stops: [String], _ pieces: [String]) -> (String, Bool) {
        var matcher = StopMatcher(stops: stops)
        var out = ""
        for piece in pieces {
            switch matcher.feed(piece) {
            case .text(let t): out += t
            case .stop(let t): return (out + t, true)
            }
        }
        return (out + matcher.flush(), false)
    }

    @Test("a stop string split across tokens is caught and not emitted")
    func splitStop() {
        #expect(feed(["</answer>"], ["The result", " is 4</", "ans", "wer> trailing"]) == ("The result is 4", true))
    }

    @Test("text that only looks like a stop prefix is released")
    func falseStart() {
        #expect(feed(["STOP"], ["ST", "ATE ", "of ST", "uff"]) == ("STATE of STuff", false))
    }

    @Test("the earliest of several stop strings wins")
    func earliest() {
        #expect(feed(["world", "lo"], ["hello world"]) == ("hel", true))
    }

    @Test("no stop strings passes everything through")
    func none() {
        #expect(feed([], ["a", "b"]) == ("ab", false))
    }

    @Test("multi-byte stop strings")
    func multibyte() {
        #expect(feed(["。"], ["日本", "語です", "。次"]) == ("日本語です", true))
    }

    @Test("UTF-8 split across chunks is held until complete")
    func utf8Carry() {
        var decoder = UTF8StreamDecoder()
        let bytes = Array("a🙂b".utf8)   // 🙂 is 4 bytes
        #expect(decoder.append(Array(bytes[0..<2])) == "a")
        #expect(decoder.hasPendingBytes)
        #expect(decoder.append(Array(bytes[2..<4])) == "")
        #expect(decoder.append(Array(bytes[4...])) == "🙂b")
        #expect(decoder.flush() == "")
    }

    @Test("invalid bytes become U+FFFD instead of vanishing")
    func invalidBytes() {
        var decoder = UTF8StreamDecoder()
        let text = decoder.append([0x61, 0xFF, 0x62]) + decoder.append([0xE6, 0x97]) + decoder.flush()
        #expect(text == "a\u{FFFD}b\u{FFFD}")
    }
}
