import Foundation
import GGUF
import Llama
import Testing

@Suite("Chat formats, UTF-8 and bad files", .serialized, .enabled(if: TestModels.enabled))
struct FormatAndFileTests {
    @Test("ChatML models get their template")
    func chatML() throws {
        let model = try LlamaModel(path: TestModels.path("smollm2-135m"))
        let formatted = model.format([.system("Be brief."), .user("hi")])
        #expect(formatted.formatName == "chatml")
        #expect(formatted.text.contains("<|im_start|>user\nhi<|im_end|>"))
        #expect(formatted.text.hasSuffix("<|im_start|>assistant\n"))
        #expect(formatted.parseSpecial)
    }

    @Test("a template-less base model (gemma3-270m) gets the plain fallback and answers")
    func gemmaFallback() async throws {
        let model = try LlamaModel(path: TestModels.path("gemma3-270m"))
        #expect(model.file.chatTemplate == nil)
        let formatted = model.format([.user("What is the capital of France?")])
        #expect(formatted.formatName == "plain")
        #expect(formatted.text == "User: What is the capital of France?\nAssistant:")
        let r = try await run(LlamaSession(model: model), .chat([.user("What is the capital of France?")]),
                              .greedy(maxTokens: 48))
        #expect(!r.text.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty)
        #expect(!r.text.contains("\nUser:"), "the fallback's stop strings keep it from writing the next turn")
    }

    @Test("multi-byte UTF-8 survives token-by-token streaming")
    func utf8Streaming() throws {
        let model = try LlamaModel(path: TestModels.path("smollm2-135m"))
        let text = "Café ☕️, naïve 日本語 テキスト, emoji 🙂👍🏽 and ∑ symbols."
        let tokens = try model.vocabulary.tokenize(text, addSpecial: false, parseSpecial: false)
        var decoder = UTF8StreamDecoder()
        var streamed = ""
        var splitCharacters = 0
        for token in tokens {
            let bytes = model.vocabulary.bytes(of: token)
            if String(validating: bytes, as: UTF8.self) == nil { splitCharacters += 1 }
            let piece = decoder.append(bytes)
            #expect(!piece.contains("\u{FFFD}"))
            streamed += piece
        }
        streamed += decoder.flush()
        #expect(streamed == text)
        #expect(splitCharacters > 0, "this text should make the tokenizer split at least one character")
    }

    @Test("missing, truncated and random-byte files give clear errors, not crashes")
    func badFiles() throws {
        let dir = try TestModels.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }

        func loadError(_ path: String) -> LlamaError? {
            do { _ = try LlamaModel(path: path); return nil } catch { return error }
        }

        let missing = dir.appendingPathComponent("nope.gguf").path
        guard case .invalidModelFile(.fileNotFound) = loadError(missing) else {
            Issue.record("missing file: \(String(describing: loadError(missing)))"); return
        }

        let random = dir.appendingPathComponent("random.gguf")
        try Data((0..<4096).map { _ in UInt8.random(in: 0...255) }).write(to: random)
        guard case .invalidModelFile(.notGGUF) = loadError(random.path) else {
            Issue.record("random bytes: \(String(describing: loadError(random.path)))"); return
        }

        let source = try TestModels.path("smollm2-135m")
        let handle = try FileHandle(forReadingFrom: URL(fileURLWithPath: source))
        for size in [10, 3_000_000, 60_000_000] {
            try handle.seek(toOffset: 0)
            let truncated = dir.appendingPathComponent("cut-\(size).gguf")
            try handle.read(upToCount: size)!.write(to: truncated)
            let error = loadError(truncated.path)
            guard case .invalidModelFile(.truncated) = error else {
                Issue.record("cut at \(size): \(String(describing: error))"); continue
            }
            #expect(error!.description.contains(truncated.path))
        }
        try handle.close()
    }
}
