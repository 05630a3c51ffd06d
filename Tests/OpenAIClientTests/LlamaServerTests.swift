// The client against a real llama-server: the OpenAI dialect as llama.cpp actually speaks it.
// Missing prerequisites fail the test with the command that fixes them; only
// LOCALFUSION_SKIP_REMOTE_SERVER_TESTS=1 skips, and says so.
import Foundation
import HTTPTestSupport
import OpenAIClient
import Testing

extension OpenAIClientTests {
    @Suite("Real llama-server", .serialized)
    struct LlamaServerTests {
        static let skipRequested = ProcessInfo.processInfo.environment["LOCALFUSION_SKIP_REMOTE_SERVER_TESTS"] == "1"

        @Test(.disabled(if: skipRequested, "SKIPPED on request: LOCALFUSION_SKIP_REMOTE_SERVER_TESTS=1 is set"))
        func completionAndGreedyStreamAgreeOnARealServer() async throws {
            let server = try await LlamaServerProcess(binary: try LlamaServerProcess.serverBinary(),
                                                      model: try LlamaServerProcess.model("smollm2-135m"))
            defer { server.stop() }
            let client = RemoteChatClient(endpoint: RemoteEndpoint(baseURL: "http://127.0.0.1:\(server.port)/v1",
                                                                   readTimeout: 60, overallTimeout: 120))
            let request = RemoteChatRequest(model: "smollm2-135m",
                                            messages: [.user("Name three primary colors.")],
                                            maxTokens: 24, temperature: 0, seed: 1234)

            let reply = try await client.complete(request)
            #expect(!reply.text.isEmpty, "log:\n\(server.logTail())")
            let usage = try #require(reply.usage)
            #expect(usage.promptTokens > 0)
            #expect(usage.completionTokens > 0 && usage.completionTokens <= 24)
            #expect(["stop", "length"].contains(reply.finishReason ?? "none"))
            #expect(reply.attempts == 1)

            let (deltas, streamed) = try await collect(client.stream(request))
            let finished = try #require(streamed)
            #expect(deltas.count >= 3, "only \(deltas.count) deltas")
            #expect(deltas.joined() == finished.text)
            #expect(finished.text == reply.text)
            #expect(finished.usage?.completionTokens == usage.completionTokens)
            #expect(finished.finishReason == reply.finishReason)
        }
    }
}
