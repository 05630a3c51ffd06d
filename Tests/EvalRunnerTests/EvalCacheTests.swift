import Foundation
import Llama
import Testing
@testable import EvalRunner

/// The cache key decides whether a month-old answer is reused: it must not drift between runs,
/// and it must change exactly when the call would.
@Suite("Eval cache keys and storage", .serialized)
struct EvalCacheTests {
    static func seatKey(temperature: Double = 0, seed: UInt32? = nil, maxTokens: Int = 256,
                        model: String = "b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53",
                        prompt: String = "What is 2 + 2?\n\nAnswer: <number>") -> SeatCallKey {
        let greedy = temperature <= 0
        return SeatCallKey(model: model, messages: [.user(prompt)], samples: 1, temperature: temperature,
                           seed: greedy ? nil : seed, topK: greedy ? nil : 40, topP: greedy ? nil : 0.95,
                           minP: greedy ? nil : 0.05, repeatPenalty: 1.0, maxTokens: maxTokens, contextSize: 4096)
    }

    @Test("a key is the same on every run and machine (pinned digest)")
    func pinnedKey() {
        let key = EvalCache.key(Self.seatKey())
        #expect(key == EvalCache.key(Self.seatKey()))
        // If this changes, every cached answer becomes a miss: change it only on purpose (bump `version`).
        #expect(key == "a35e26bbed3fa27d3f8ec8bfe08fd41f3360fbd7b4853b92d7ca26ec408c1afa")
        let json = String(decoding: EvalCache.canonicalJSON(Self.seatKey()), as: UTF8.self)
        #expect(json.hasPrefix(#"{"call":"seat","context_size":4096,"max_tokens":256,"messages":[{"#), "keys are sorted: \(json)")
    }

    @Test("the key changes with model, prompt, max tokens and sampling, and greedy ignores the seed")
    func keySensitivity() {
        let base = EvalCache.key(Self.seatKey())
        #expect(EvalCache.key(Self.seatKey(model: "other")) != base)
        #expect(EvalCache.key(Self.seatKey(prompt: "What is 2 + 3?")) != base)
        #expect(EvalCache.key(Self.seatKey(maxTokens: 128)) != base)
        #expect(EvalCache.key(Self.seatKey(temperature: 0.7, seed: 1)) != base)
        #expect(EvalCache.key(Self.seatKey(temperature: 0.7, seed: 1)) != EvalCache.key(Self.seatKey(temperature: 0.7, seed: 2)))
        #expect(EvalCache.key(Self.seatKey(temperature: 0, seed: 1)) == base, "greedy decoding does not use the seed")
    }

    @Test("entries round-trip through sharded files and a stale format is a miss")
    func storage() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("evalcache-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let cache = EvalCache(directory: directory)
        let keyFields = Self.seatKey()
        let key = EvalCache.key(keyFields)
        #expect(cache.read(key, as: SeatCallRecord.self) == nil)
        let record = SeatCallRecord(model: "smollm2-135m", answers: [
            .init(sample: 0, text: "2 + 2 = 4\nAnswer: 4", finishReason: "stop", promptTokens: 30, completionTokens: 9, seed: 7),
        ], seconds: 0.25)
        try cache.write(key, keyFields: keyFields, value: record)
        #expect(cache.path(for: key) == directory + "/" + key.prefix(2) + "/" + key + ".json")
        #expect(FileManager.default.fileExists(atPath: cache.path(for: key)))
        #expect(cache.read(key, as: SeatCallRecord.self) == record)
        #expect(cache.entryCount() == 1)
        // Another type under the same key (a format change) reads as a miss, not a crash.
        #expect(cache.read(key, as: FusionCallRecord.self) == nil)
    }

    @Test("per-item seeds are fixed per item, differ between items, and never mean 'random'")
    func itemSeeds() {
        let a = EvalRunner.itemSeed(base: 42, item: "arc/00001")
        #expect(a == EvalRunner.itemSeed(base: 42, item: "arc/00001"))
        #expect(a != EvalRunner.itemSeed(base: 42, item: "arc/00002"))
        #expect(a != EvalRunner.itemSeed(base: 43, item: "arc/00001"))
        #expect(a != EvalRunner.itemSeed(base: 42, item: "arc/00001", salt: 1))
        let seeds = (0..<2000).map { EvalRunner.itemSeed(base: 1, item: "gsm8k/\($0)") }
        #expect(!seeds.contains(.max))
        #expect(Set(seeds).count > 1990)
    }
}
