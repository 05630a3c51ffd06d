// Fusion through the API: `fusion/<preset>` as a model, OpenRouter's fusion plugin, and the
// server tool — each answered by real models, with the extra `fusion` object clients can read.
import Foundation
import Testing
import HTTPTestSupport
@testable import FusionServer

@Suite("Fusion through the API", .serialized)
struct FusionRouteTests {
    /// Keeps the final answer short and the run reproducible.
    static var short: [String: Any] { ["max_tokens": 48, "seed": 11] }

    @Test("model fusion/fast answers with the preset's panel in the fusion object, usage covering every call; the client's sampling reaches the panel")
    func presetAsModel() async throws {
        try await ServerTests.withServer(models: ["smollm2-135m", "gemma3-270m"]) { server in
            let sampling: [String: Any] = ["top_p": 0.9, "frequency_penalty": 0.5, "presence_penalty": 0.25]
            let response = try await postChat(server.port, chatBody(model: "fusion/fast", "Name a primary color.",
                                                                    extra: Self.short.merging(sampling) { a, _ in a }))
            #expect(response.status == 200, "\(response.text)")
            #expect(response.json["model"] as? String == "fusion/fast")
            #expect(!(response.content ?? "").isEmpty)
            let fusion = try #require(response.json["fusion"] as? [String: Any])
            #expect(fusion["route"] as? String == "model")
            #expect(fusion["preset"] as? String == "fast")
            #expect(fusion["status"] as? String == "ok")
            let responses = try #require(fusion["responses"] as? [[String: Any]])
            #expect(Set(responses.compactMap { $0["model"] as? String }) == ["smollm2-135m", "gemma3-270m"])
            #expect(responses.allSatisfy { !(($0["text"] as? String) ?? "").isEmpty })
            // The replayable trace holds the request the panel ran with.
            let traced = try #require((fusion["trace"] as? [String: Any])?["request"] as? [String: Any])
            #expect(traced["top_p"] as? Double == 0.9)
            #expect(traced["frequency_penalty"] as? Double == 0.5)
            #expect(traced["presence_penalty"] as? Double == 0.25)
            // The response's usage is the fusion's: every panel answer plus judge and synthesis.
            let panelTokens = responses.compactMap { ($0["usage"] as? [String: Int])?["completion_tokens"] }.reduce(0, +)
            #expect(response.usage["completion_tokens", default: 0] > panelTokens)
        }
    }

    @Test("The client's stop strings end the fused answer (not the panel's) and max_tokens cuts it with finish_reason length")
    func stopAndLengthShapeTheFinalAnswer() async throws {
        try await ServerTests.withServer(models: ["smollm2-135m", "gemma3-270m"]) { server in
            // smollm2 judges and writes (the plugin's judge defaults to the request's model): quick.
            let plugin: [String: Any] = ["id": "fusion", "analysis_models": ["smollm2-135m", "gemma3-270m"],
                                         "max_completion_tokens": 24]
            func ask(_ extra: [String: Any]) async throws -> RawResponse {
                let fixed: [String: Any] = ["seed": 11, "temperature": 0, "plugins": [plugin]]
                return try await postChat(server.port, chatBody(model: "smollm2-135m", "Name three colors of the rainbow.",
                                                                extra: fixed.merging(extra) { _, new in new }))
            }
            func finishReason(_ r: RawResponse) -> String? { (r.json["choices"] as? [[String: Any]])?.first?["finish_reason"] as? String }

            let cut = try await ask(["max_tokens": 3])
            #expect(cut.status == 200, "\(cut.text)")
            #expect(finishReason(cut) == "length", "a 3-token final answer is cut: \(cut.content ?? "")")

            let whole = try await ask(["max_tokens": 40])
            let full = try #require(whole.content)
            // Three characters from the middle of the answer: the same seeded run must end before them.
            try #require(full.count >= 6, "answer too short to pick a stop string: \(full)")
            let stopWord = String(full.dropFirst(full.count / 2).prefix(3))
            let stopped = try await ask(["max_tokens": 40, "stop": [stopWord]])
            #expect(stopped.status == 200, "\(stopped.text)")
            let text = try #require(stopped.content)
            #expect(!text.contains(stopWord) && full.hasPrefix(text) && text.count < full.count,
                    "stop \(stopWord) ends the answer before it: \(text) | \(full)")
            #expect(finishReason(stopped) == "stop")
            // The panel's answers are not cut by the client's stop string.
            let fusion = try #require(stopped.json["fusion"] as? [String: Any])
            let traced = try #require((fusion["trace"] as? [String: Any])?["request"] as? [String: Any])
            #expect(traced["final_stop"] as? [String] == [stopWord])
            #expect((traced["stop"] as? [String] ?? []).isEmpty)
        }
    }

    @Test("The fusion plugin sets the panel and the judge; streaming sends progress comments and the answer")
    func pluginStreamed() async throws {
        try await ServerTests.withServer(models: ["smollm2-135m", "qwen2.5-coder-0.5b"]) { server in
            let plugin: [String: Any] = ["id": "fusion", "model": "qwen2.5-coder-0.5b",
                                         "analysis_models": ["smollm2-135m", "qwen2.5-coder-0.5b"], "max_completion_tokens": 40]
            let response = try await postChat(server.port, chatBody(model: "qwen2.5-coder-0.5b", "What is 6 times 7?", extra: [
                "max_tokens": 48, "seed": 3, "plugins": [plugin], "stream": true, "stream_options": ["include_usage": true]]))
            #expect(response.status == 200)
            let events = EventStream(response.text)
            #expect(events.data.last == "[DONE]")
            #expect(!events.text.isEmpty)
            #expect(events.finishReasons.count == 1 && ["stop", "length"].contains(events.finishReasons.first ?? ""))
            #expect(events.comments.contains { $0.contains("seat 0 smollm2-135m") }, "progress comments: \(events.comments)")
            #expect(events.comments.contains { $0.contains("judge by qwen2.5-coder-0.5b") })
            let last = try #require(events.chunks.first { $0["fusion"] != nil })
            let fusion = try #require(last["fusion"] as? [String: Any])
            #expect(fusion["route"] as? String == "plugin")
            let models = (fusion["responses"] as? [[String: Any]])?.compactMap { $0["model"] as? String }
            #expect(models == ["smollm2-135m", "qwen2.5-coder-0.5b"])
            #expect(events.chunks.contains { $0["usage"] != nil })
        }
    }

    @Test("The fusion tool runs fusion, hands its answer to the outer model and reports both in usage")
    func serverTool() async throws {
        try await ServerTests.withServer(models: ["smollm2-135m", "qwen2.5-coder-0.5b"]) { server in
            let tool: [String: Any] = ["type": "fusion", "analysis_models": ["smollm2-135m"], "model": "qwen2.5-coder-0.5b",
                                       "max_completion_tokens": 32]
            let response = try await postChat(server.port, chatBody(model: "qwen2.5-coder-0.5b", "Name one planet.", extra: [
                "max_tokens": 40, "seed": 5, "tools": [tool], "tool_choice": "required"]))
            #expect(response.status == 200, "\(response.text)")
            #expect(!(response.content ?? "").isEmpty)
            let fusion = try #require(response.json["fusion"] as? [String: Any])
            #expect(fusion["route"] as? String == "tool")
            #expect(!((fusion["tool_result"] as? String) ?? "").isEmpty)
            let fusionUsage = try #require(fusion["usage"] as? [String: Int])
            #expect(response.usage["total_tokens", default: 0] > fusionUsage["total_tokens", default: 0],
                    "usage adds the outer model's call to the fusion's")
        }
    }

    /// With the result as a second user turn, qwen2.5-coder-0.5b answered "17" and "Earth" here
    /// although the fusion had returned 42 and Mars.
    @Test("The outer model answers with the fusion tool's result, not a fresh guess of its own")
    func serverToolResultIsUsed() async throws {
        try await ServerTests.withServer(models: ["qwen2.5-coder-0.5b", "qwen2.5-coder-1.5b"]) { server in
            let tool: [String: Any] = ["type": "fusion", "analysis_models": ["qwen2.5-coder-1.5b"], "model": "qwen2.5-coder-1.5b"]
            for (question, expected) in [("What is 17 + 25? Answer with the number only.", "42"),
                                         ("Which planet is known as the Red Planet? Answer in one word.", "Mars")] {
                let response = try await postChat(server.port, chatBody(model: "qwen2.5-coder-0.5b", question, extra: [
                    "max_tokens": 48, "temperature": 0, "tools": [tool], "tool_choice": "required"]))
                #expect(response.status == 200, "\(response.text)")
                let fusion = try #require(response.json["fusion"] as? [String: Any])
                let toolResult = (fusion["tool_result"] as? String) ?? ""
                try #require(toolResult.contains(expected), "the fusion itself answered \(toolResult.debugDescription)")
                #expect((response.content ?? "").contains(expected),
                        "fusion returned \(toolResult.debugDescription), the outer model said \((response.content ?? "").debugDescription)")
            }
        }
    }

    @Test("tool_choice none answers with the model alone")
    func toolChoiceNone() async throws {
        try await ServerTests.withServer(models: ["smollm2-135m"]) { server in
            let response = try await postChat(server.port, chatBody(model: "smollm2-135m", "Say hi.", extra: [
                "max_tokens": 8, "tools": [["type": "fusion"]], "tool_choice": "none"]))
            #expect(response.status == 200)
            #expect(response.json["fusion"] == nil)
        }
    }

    @Test("A plugin's memory_budget binds the fusion: the plan gets it minus the process's share and the trace reports it; one its model cannot fit is a 400 naming both")
    func requestMemoryBudget() async throws {
        try await ServerTests.withServer(models: ["smollm2-135m"]) { server in
            func ask(_ budget: String) async throws -> RawResponse {
                let plugin: [String: Any] = ["id": "fusion", "analysis_models": ["smollm2-135m"], "max_completion_tokens": 16,
                                             "memory_budget": budget]
                return try await postChat(server.port, chatBody(model: "smollm2-135m", "Name a fruit.",
                                                                extra: Self.short.merging(["plugins": [plugin]]) { a, _ in a }))
            }
            // 4 GiB is below the server's 8 GiB and roomy for smollm2.
            let fits = try await ask("4GiB")
            #expect(fits.status == 200, "\(fits.text)")
            let trace = try #require((fits.json["fusion"] as? [String: Any])?["trace"] as? [String: Any])
            #expect((trace["budget_bytes"] as? NSNumber)?.int64Value == 4 << 30, "the trace reports the request's budget")
            let plan = try #require(trace["plan"] as? [String: Any])
            let planBudget = try #require((plan["budget"] as? [String: Any])?["bytes"] as? NSNumber)
            let processShare = Int64(server.engine.requestedBudget.bytes - server.engine.budget.bytes)
            #expect(planBudget.int64Value == (4 << 30) - processShare,
                    "the plan gets the request's budget minus the process's own share: \(planBudget) vs \(processShare)")
            #expect(((trace["request"] as? [String: Any])?["memory_budget"] as? NSNumber)?.int64Value == 4 << 30,
                    "a replay of the trace keeps the budget")

            // smollm2 fits the server's budget but not 1 MiB: the request is wrong, retrying cannot help.
            let tiny = try await ask("1MiB")
            #expect(tiny.status == 400, "\(tiny.text)")
            let error = try #require(tiny.json["error"] as? [String: Any])
            let message = (error["message"] as? String) ?? ""
            #expect(message.contains("smollm2-135m") && message.contains("memory_budget") && message.contains("1 MiB"),
                    "the message names the model and the request's budget: \(message)")
        }
    }
}
