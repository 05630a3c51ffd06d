// One local model through /v1/chat/completions: the OpenAI shapes, streaming that matches the
// non-streamed answer, and every sampling parameter the issue lists actually taking effect.
import Foundation
import Testing
import HTTPTestSupport
@testable import FusionServer

@Suite("Chat completions with one model", .serialized)
struct ChatCompletionTests {
    @Test("A non-streamed answer has OpenAI's shape, real content and usage")
    func nonStreamed() async throws {
        try await ServerTests.withServer(models: ["qwen2.5-coder-0.5b"]) { server in
            let response = try await postChat(server.port, chatBody(model: "qwen2.5-coder-0.5b",
                "What is the capital of France? Answer in one word.", extra: ["temperature": 0, "max_tokens": 16]))
            #expect(response.status == 200)
            #expect(response.headers["Content-Type"]?.hasPrefix("application/json") == true)
            #expect(response.json["object"] as? String == "chat.completion")
            #expect((response.json["id"] as? String)?.hasPrefix("chatcmpl-") == true)
            #expect(response.json["model"] as? String == "qwen2.5-coder-0.5b")
            #expect(response.content?.contains("Paris") == true, "content: \(response.content ?? "nil")")
            let usage = response.usage
            #expect(usage["prompt_tokens", default: 0] > 10)
            #expect(usage["completion_tokens", default: 0] >= 1)
            #expect(usage["total_tokens"] == usage["prompt_tokens", default: 0] + usage["completion_tokens", default: 0])
            #expect(response.json["fusion"] == nil, "a single model has no fusion details")
        }
    }

    @Test("Streaming sends role, deltas, one finish reason, usage and [DONE]; the text equals the non-streamed answer")
    func streamedMatchesNonStreamed() async throws {
        try await ServerTests.withServer(models: ["smollm2-135m"]) { server in
            let question = "List three fruits."
            let plain = try await postChat(server.port, chatBody(model: "smollm2-135m", question,
                extra: ["temperature": 0, "max_tokens": 24]))
            let streamed = try await postChat(server.port, chatBody(model: "smollm2-135m", question,
                extra: ["temperature": 0, "max_tokens": 24, "stream": true, "stream_options": ["include_usage": true]]))
            #expect(streamed.status == 200)
            #expect(streamed.headers["Content-Type"]?.hasPrefix("text/event-stream") == true)
            let events = EventStream(streamed.text)
            #expect(events.data.last == "[DONE]")
            let first = events.chunks.first
            #expect(first?["object"] as? String == "chat.completion.chunk")
            #expect(((first?["choices"] as? [[String: Any]])?.first?["delta"] as? [String: Any])?["role"] as? String == "assistant")
            #expect(events.chunks.count > 4, "the answer arrives in pieces")
            #expect(events.finishReasons.count == 1)
            let usageChunk = events.chunks.last { $0["usage"] != nil }
            #expect((usageChunk?["choices"] as? [Any])?.isEmpty == true)
            #expect((usageChunk?["usage"] as? [String: Int])?["completion_tokens"] == plain.usage["completion_tokens"])
            #expect(!events.text.isEmpty)
            #expect(events.text == plain.content, "streamed and non-streamed greedy answers differ")
        }
    }

    @Test("max_tokens, max_completion_tokens, stop and seed are honoured")
    func samplingParameters() async throws {
        try await ServerTests.withServer(models: ["smollm2-135m"]) { server in
            let port = server.port
            let question = "Count from 1 to 20, one number per line."
            let short = try await postChat(port, chatBody(model: "smollm2-135m", question, extra: ["temperature": 0, "max_tokens": 5]))
            #expect(short.usage["completion_tokens"] == 5)
            #expect((short.json["choices"] as? [[String: Any]])?.first?["finish_reason"] as? String == "length")
            let newer = try await postChat(port, chatBody(model: "smollm2-135m", question,
                extra: ["temperature": 0, "max_completion_tokens": 3, "max_tokens": 50]))
            #expect(newer.usage["completion_tokens"] == 3, "max_completion_tokens wins over max_tokens")

            let full = try await postChat(port, chatBody(model: "smollm2-135m", question, extra: ["temperature": 0, "max_tokens": 40]))
            let content = try #require(full.content)
            #expect(content.contains("3"))
            let stopped = try await postChat(port, chatBody(model: "smollm2-135m", question,
                extra: ["temperature": 0, "max_tokens": 40, "stop": ["3"]]))
            let cut = try #require(stopped.content)
            #expect(!cut.contains("3") && content.hasPrefix(cut), "stop text ends the answer before it: \(cut)")
            #expect((stopped.json["choices"] as? [[String: Any]])?.first?["finish_reason"] as? String == "stop")

            let story = "Write one sentence about a cat."
            let a = try await postChat(port, chatBody(model: "smollm2-135m", story, extra: ["temperature": 1.2, "seed": 42, "max_tokens": 24]))
            let b = try await postChat(port, chatBody(model: "smollm2-135m", story, extra: ["temperature": 1.2, "seed": 42, "max_tokens": 24]))
            #expect(a.content == b.content, "the same seed gives the same sample")
            var differs = false
            for seed in [7, 8, 9] where !differs {
                let other = try await postChat(port, chatBody(model: "smollm2-135m", story, extra: ["temperature": 1.2, "seed": seed, "max_tokens": 24]))
                differs = other.content != a.content
            }
            #expect(differs, "other seeds give other samples")
        }
    }

    @Test("A conversation with system and assistant turns and text parts is understood")
    func multiTurn() async throws {
        try await ServerTests.withServer(models: ["qwen2.5-coder-0.5b"]) { server in
            let body = """
            {"model":"qwen2.5-coder-0.5b","temperature":0,"max_tokens":12,"messages":[
              {"role":"system","content":"You answer with one word."},
              {"role":"user","content":[{"type":"text","text":"My name is Zorblax."}]},
              {"role":"assistant","content":"Noted."},
              {"role":"user","content":"What is my name?"}]}
            """
            let response = try await postChat(server.port, body)
            #expect(response.status == 200)
            #expect(response.content?.contains("Zorblax") == true, "content: \(response.content ?? "nil")")
        }
    }
}
