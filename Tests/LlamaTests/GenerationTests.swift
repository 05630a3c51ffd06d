import Foundation
import Llama
import Testing

/// Collects a generation's text and summary.
func run(_ session: LlamaSession, _ prompt: Prompt, _ parameters: GenerationParameters) async throws
    -> (text: String, summary: GenerationSummary, pieces: Int) {
    var text = ""
    var pieces = 0
    var summary: GenerationSummary?
    for try await event in session.generate(prompt, parameters: parameters).events {
        switch event {
        case .text(let t): text += t; pieces += 1
        case .finished(let s): summary = s
        case .promptProcessed: break
        }
    }
    let s = try #require(summary)
    return (text, s, pieces)
}

@Suite("Generation with real models", .serialized, .enabled(if: TestModels.enabled))
struct GenerationTests {
    static let smol: LlamaModel? = try? LlamaModel(path: TestModels.directory + "/smollm2-135m.gguf")

    func smolModel() throws -> LlamaModel {
        _ = try TestModels.path("smollm2-135m")
        return try #require(Self.smol)
    }

    @Test("greedy output is identical across runs, fresh or cached")
    func greedyIsDeterministic() async throws {
        let model = try smolModel()
        let prompt = Prompt.chat([.user("Name three primary colors.")])
        let a = try await run(LlamaSession(model: model), prompt, .greedy(maxTokens: 48))
        let session = try LlamaSession(model: model)
        let b = try await run(session, prompt, .greedy(maxTokens: 48))
        let c = try await run(session, prompt, .greedy(maxTokens: 48))   // whole prompt from the KV cache
        #expect(!a.text.isEmpty)
        #expect(a.text == b.text)
        #expect(b.text == c.text)
        #expect(c.summary.timings.cachedTokens > 0)
        #expect(a.text == a.summary.text)
    }

    @Test("max tokens is respected and reported as length")
    func maxTokens() async throws {
        var p = GenerationParameters.greedy(maxTokens: 7)
        p.ignoreEOS = true
        let r = try await run(LlamaSession(model: smolModel()), .chat([.user("Tell me a long story.")]), p)
        #expect(r.summary.usage.completionTokens == 7)
        #expect(r.summary.stopReason == .length)
        #expect(r.summary.usage.promptTokens > 5)
    }

    @Test("a stop string ends generation and is not emitted")
    func stopString() async throws {
        let model = try smolModel()
        let prompt = Prompt.chat([.user("Count from one to ten in words, separated by commas.")])
        let full = try await run(LlamaSession(model: model), prompt, .greedy(maxTokens: 40))
        // Stop at the second word of the greedy answer: known to appear, and after some text.
        let words = full.text.split(separator: " ")
        try #require(words.count >= 3, "need a few words, got: \(full.text)")
        let stop = String(words[1])
        var p = GenerationParameters.greedy(maxTokens: 40)
        p.stop = [stop]
        let stopped = try await run(LlamaSession(model: model), prompt, p)
        #expect(stopped.summary.stopReason == .stop)
        #expect(!stopped.text.contains(stop))
        #expect(full.text.hasPrefix(stopped.text))
        #expect(stopped.text.count < full.text.count)
    }

    @Test("cancelling mid-stream ends with cancelled, and the session serves the next request")
    func cancelMidStream() async throws {
        let model = try smolModel()
        let session = try LlamaSession(model: model)
        var p = GenerationParameters.greedy(maxTokens: 400)
        p.ignoreEOS = true
        let generation = session.generate(.chat([.user("Write a very long essay about the sea.")]), parameters: p)
        var pieces = 0
        var summary: GenerationSummary?
        for try await event in generation.events {
            switch event {
            case .text: pieces += 1; if pieces == 3 { generation.cancel() }
            case .finished(let s): summary = s
            case .promptProcessed: break
            }
        }
        let s = try #require(summary)
        #expect(s.stopReason == .cancelled)
        #expect(s.usage.completionTokens <= 4, "stopped within one token of the cancel")

        // The same session (same KV cache) still answers exactly like a fresh one.
        let prompt = Prompt.chat([.user("Name three primary colors.")])
        let after = try await run(session, prompt, .greedy(maxTokens: 32))
        let fresh = try await run(LlamaSession(model: model), prompt, .greedy(maxTokens: 32))
        #expect(after.summary.stopReason != .cancelled)
        #expect(after.text == fresh.text)
    }

    @Test("abandoning the stream stops the decode loop")
    func abandonStream() async throws {
        let session = try LlamaSession(model: smolModel())
        var p = GenerationParameters.greedy(maxTokens: 2000)
        p.ignoreEOS = true
        let start = ContinuousClock.now
        do {
            let generation = session.generate(.chat([.user("Write a long essay.")]), parameters: p)
            for try await event in generation.events { if case .text = event { break } }
        }
        // If the loop kept running, this request would wait behind 2000 tokens.
        let next = try await run(session, .chat([.user("Hi")]), .greedy(maxTokens: 4))
        #expect(next.summary.usage.completionTokens <= 4)
        #expect(ContinuousClock.now - start < .seconds(8))
    }

    @Test("a prompt longer than the context is a typed error")
    func contextOverflow() async throws {
        var options = ContextOptions(contextSize: 64)
        options.warmup = false
        let session = try LlamaSession(model: smolModel(), options: options)
        let long = String(repeating: "The quick brown fox jumps over the lazy dog. ", count: 80)
        await #expect(throws: LlamaError.self) {
            _ = try await run(session, .raw(long), .greedy(maxTokens: 8))
        }
        do {
            _ = try await run(session, .raw(long), .greedy(maxTokens: 8))
        } catch let error as LlamaError {
            guard case .contextOverflow(let tokens, let size) = error else { Issue.record("got \(error)"); return }
            // llama.cpp pads the context (to 256 here), so compare with what the session reports.
            #expect(size == session.contextSize)
            #expect(tokens > size)
        }
        // The session is still usable with a prompt that fits.
        let ok = try await run(session, .raw("Hello"), .greedy(maxTokens: 4))
        #expect(ok.summary.usage.completionTokens >= 1)
    }

    @Test("three samples from one prefill are different (self-fusion batching)")
    func batchedSamples() async throws {
        var options = ContextOptions(contextSize: 1024)
        options.sequences = 3
        let session = try LlamaSession(model: smolModel(), options: options)
        let parameters = (0..<3).map { i -> GenerationParameters in
            var p = GenerationParameters(maxTokens: 32, temperature: 1.0, seed: UInt32(100 + i))
            p.ignoreEOS = true
            return p
        }
        var texts = ["", "", ""]
        var finished = 0
        for try await event in session.generateBatch(.chat([.user("Invent a name for a cat.")]), parameters: parameters).events {
            switch event {
            case .text(let i, let t): texts[i] += t
            case .finished(let i, let s):
                finished += 1
                #expect(s.usage.completionTokens == 32)
                #expect(s.text == texts[i])
            case .promptProcessed: break
            }
        }
        #expect(finished == 3)
        #expect(Set(texts).count == 3, "samples: \(texts)")
    }
}
