import Foundation
import Testing
@testable import EvalRunner

/// A fresh machine must resume an eval from another machine's calls: what one cache exports,
/// another imports into the very files a run reads, and a damaged export imports nothing.
@Suite("Eval cache export and import")
struct EvalCachePackTests {
    static func temporaryCache() -> EvalCache {
        EvalCache(directory: FileManager.default.temporaryDirectory.appendingPathComponent("evalpack-\(UUID().uuidString)").path)
    }

    static let seatRecord = SeatCallRecord(model: "smollm2-135m", answers: [
        .init(sample: 0, text: "2 + 2 = 4\nAnswer: 4", finishReason: "stop", promptTokens: 30, completionTokens: 9, seed: 7),
    ], seconds: 0.25)

    static let fusionKey = FusionCallKey(
        mode: "fusion", judge: "judge-sha", synthesizer: nil, question: "What is 2 + 2?",
        panel: [.init(model: "a-sha", samples: 1, reference: false), .init(model: "b-sha", samples: 1, reference: false)],
        answers: [.init(seat: 0, sample: 0, model: "a-sha", text: "Answer: 4"),
                  .init(seat: 1, sample: 0, model: "b-sha", text: "Answer: 5")],
        seed: 42, judgeMaxTokens: 384, synthesisMaxTokens: 256, contextSize: 4096, writers: "w1")

    static let fusionRecord = FusionCallRecord(
        final: "Both add; one slipped.\nAnswer: 4", judgeNote: nil, analyzed: true, labels: ["0": "A", "1": "B"],
        promptTokens: 200, completionTokens: 60, seconds: 3.5, judgeSeconds: 2.0, synthesisSeconds: 1.5)

    /// A cache holding one greedy seat call, one sampled seat call and one fusion.
    static func filledCache() throws -> EvalCache {
        let cache = temporaryCache()
        for key in [EvalCacheTests.seatKey(), EvalCacheTests.seatKey(temperature: 0.7, seed: 3)] {
            try cache.write(EvalCache.key(key), keyFields: key, value: seatRecord)
        }
        try cache.write(EvalCache.key(fusionKey), keyFields: fusionKey, value: fusionRecord)
        return cache
    }

    static func exportText(_ cache: EvalCache) -> (text: String, summary: EvalCachePack.ExportSummary) {
        var data = Data()
        let summary = EvalCachePack.export(cache) { data.append($0) }
        return (String(decoding: data, as: UTF8.self), summary)
    }

    static func importText(_ text: String, into cache: EvalCache) throws -> EvalCachePack.ImportSummary {
        try EvalCachePack.importEntries(Data(text.utf8), into: cache)
    }

    static let sampledKey = EvalCacheTests.seatKey(temperature: 0.7, seed: 3)

    @Test("an export imported elsewhere answers the same keys from the same files, and is stable")
    func roundTrip() throws {
        let source = try Self.filledCache()
        defer { try? FileManager.default.removeItem(atPath: source.directory) }
        let (text, exported) = Self.exportText(source)
        #expect(exported == .init(written: 3, skipped: 0))
        #expect(text.split(separator: "\n").count == 3)
        #expect(Self.exportText(source).text == text, "the same cache exports the same bytes")

        let target = Self.temporaryCache()
        defer { try? FileManager.default.removeItem(atPath: target.directory) }
        #expect(try Self.importText(text, into: target) == .init(added: 3, present: 0))
        // Read back under the keys a run computes, from the files a run opens.
        for key in [EvalCache.key(EvalCacheTests.seatKey()), EvalCache.key(Self.sampledKey)] {
            #expect(target.read(key, as: SeatCallRecord.self) == Self.seatRecord)
            #expect(FileManager.default.contents(atPath: target.path(for: key)) == FileManager.default.contents(atPath: source.path(for: key)),
                    "the imported file is byte-identical to the original")
        }
        #expect(target.read(EvalCache.key(Self.fusionKey), as: FusionCallRecord.self) == Self.fusionRecord)
        #expect(Self.exportText(target).text == text)

        // A second import (the same file pulled twice) adds nothing and leaves the files alone.
        let path = target.path(for: EvalCache.key(Self.fusionKey))
        let before = try FileManager.default.attributesOfItem(atPath: path)[.modificationDate] as? Date
        Thread.sleep(forTimeInterval: 0.02)
        #expect(try Self.importText(text, into: target) == .init(added: 0, present: 3))
        #expect(try FileManager.default.attributesOfItem(atPath: path)[.modificationDate] as? Date == before)
    }

    @Test("CRLF line ends, blank lines and non-ASCII text import unchanged")
    func lineEndings() throws {
        let cache = Self.temporaryCache()
        defer { try? FileManager.default.removeItem(atPath: cache.directory) }
        var record = Self.seatRecord
        record.answers[0].text = "Größe: 4 — “vier” 🧮\r\nAnswer: 4"
        let key = EvalCacheTests.seatKey(prompt: "Zwei plus zwei? ½ + ½ = 1")
        try cache.write(EvalCache.key(key), keyFields: key, value: record)
        let text = Self.exportText(cache).text
        #expect(!text.dropLast().contains("\n"), "one entry is one line even when its text has line breaks")

        let target = Self.temporaryCache()
        defer { try? FileManager.default.removeItem(atPath: target.directory) }
        let crlf = "\r\n" + text.replacingOccurrences(of: "\n", with: "\r\n") + "\r\n  \r\n"
        #expect(try Self.importText(crlf, into: target) == .init(added: 1, present: 0))
        #expect(target.read(EvalCache.key(key), as: SeatCallRecord.self) == record)
    }

    /// The export of `filledCache()` as lines, and its greedy seat line.
    static func exportedLines() throws -> (lines: [String], greedy: String) {
        let source = try filledCache()
        defer { try? FileManager.default.removeItem(atPath: source.directory) }
        let lines = exportText(source).text.split(separator: "\n").map(String.init)
        return (lines, try #require(lines.first { $0.contains("\"call\":\"seat\"") && !$0.contains("\"top_k\"") }))
    }

    @Test("a damaged line imports nothing and names the line and the reason")
    func damagedInput() throws {
        let (lines, greedy) = try Self.exportedLines()
        let target = Self.temporaryCache()
        defer { try? FileManager.default.removeItem(atPath: target.directory) }

        let cases: [(String, String)] = [
            ("{\"key\":{\"call\":\"seat\"", "not JSON"),
            ("{\"key\":{\"call\":\"tool\"},\"value\":{}}", "unknown call kind \"tool\""),
            ("{\"key\":{\"call\":\"seat\"},\"value\":{}}", "no \""),
            // A field from newer code would be dropped on decoding and the answer misfiled.
            (greedy.replacingOccurrences(of: "{\"key\":{", with: "{\"key\":{\"grammar\":\"root ::= x\","), "unknown key field \"grammar\""),
            // One answer where the key asks for two samples: a run would never use it.
            (greedy.replacingOccurrences(of: "\"samples\":1", with: "\"samples\":2"), "1 answers for 2 samples"),
        ]
        for (bad, reason) in cases {
            let text = lines[0] + "\n" + bad + "\n" + lines[1] + "\n"
            #expect(throws: EvalCachePack.PackError.self) { try Self.importText(text, into: target) }
            do { _ = try Self.importText(text, into: target) } catch {
                #expect("\(error)".hasPrefix("line 2 is not a cache entry"), "\(error)")
                #expect("\(error)".contains(reason), "\(error)")
            }
            #expect(target.entryCount() == 0, "no entry of a damaged file is imported")
        }
    }

    @Test("an entry edited by hand moves to the key its fields name; a torn file is replaced, not counted")
    func editedAndTorn() throws {
        let greedy = try Self.exportedLines().greedy
        let target = Self.temporaryCache()
        defer { try? FileManager.default.removeItem(atPath: target.directory) }

        // Changing the model an answer claims to come from must not make it answer the old call.
        let edited = greedy.replacingOccurrences(of: EvalCacheTests.seatKey().model, with: "another-model-sha")
        #expect(try Self.importText(edited + "\n", into: target) == .init(added: 1, present: 0))
        #expect(target.read(EvalCache.key(EvalCacheTests.seatKey()), as: SeatCallRecord.self) == nil)
        #expect(target.read(EvalCache.key(EvalCacheTests.seatKey(model: "another-model-sha")), as: SeatCallRecord.self)
                == Self.seatRecord)

        // A torn file where the entry belongs (a crash mid-copy) is no reason to skip the entry.
        let path = target.path(for: EvalCache.key(EvalCacheTests.seatKey()))
        try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try Data("{\"key\":".utf8).write(to: URL(fileURLWithPath: path))
        #expect(try Self.importText(greedy + "\n", into: target) == .init(added: 1, present: 0))
        #expect(target.read(EvalCache.key(EvalCacheTests.seatKey()), as: SeatCallRecord.self) == Self.seatRecord)
    }

    @Test("an unreadable file in the cache is skipped and counted, not exported")
    func staleEntries() throws {
        let cache = try Self.filledCache()
        defer { try? FileManager.default.removeItem(atPath: cache.directory) }
        let stale = cache.directory + "/ff/" + String(repeating: "f", count: 64) + ".json"
        try FileManager.default.createDirectory(atPath: cache.directory + "/ff", withIntermediateDirectories: true)
        try Data("{\"key\":{\"call\":\"seat\",\"version\":0},\"value\":\"old\"}".utf8).write(to: URL(fileURLWithPath: stale))
        let (text, summary) = Self.exportText(cache)
        #expect(summary == .init(written: 3, skipped: 1))
        #expect(!text.contains("\"old\""))
    }
}
