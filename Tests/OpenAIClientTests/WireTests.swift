// Pure pieces: request encoding, SSE framing, retry delays, error and endpoint descriptions.
import Foundation
import HTTPTestSupport
@testable import OpenAIClient
import Testing

extension OpenAIClientTests {
    @Suite("Wire format and helpers", .serialized)
    struct WireTests {
        @Test func requestEncodesSnakeCaseAndOmitsNils() throws {
            var request = RemoteChatRequest(model: "m", messages: [.user("hi")], maxTokens: 24, temperature: 0, topP: 0.9,
                                            seed: 7, stop: ["\n\n"])
            request.stream = true
            request.frequencyPenalty = 0.5
            let object = try #require(try JSONSerialization.jsonObject(with: JSONEncoder().encode(request)) as? [String: Any])
            #expect(object["max_tokens"] as? Int == 24)
            #expect(object["top_p"] as? Double == 0.9)
            #expect(object["seed"] as? Int == 7)
            #expect(object["frequency_penalty"] as? Double == 0.5)
            #expect(object["presence_penalty"] == nil)
            #expect(object["stream"] as? Bool == true)
            #expect((object["stream_options"] as? [String: Bool]) == ["include_usage": true])
            #expect((object["messages"] as? [[String: String]]) == [["role": "user", "content": "hi"]])

            let plain = RemoteChatRequest(model: "m", messages: [.user("hi")])
            let minimal = try #require(try JSONSerialization.jsonObject(with: JSONEncoder().encode(plain)) as? [String: Any])
            #expect(Set(minimal.keys) == ["model", "messages", "stream"])
            #expect(minimal["stream"] as? Bool == false)
        }

        @Test func sseParserHandlesSplitsLineEndingsCommentsAndMultilineData() throws {
            var parser = SSEParser()
            let text = ": keep-alive\r\ndata: {\"a\":1}\r\n\r\nevent: x\ndata: line one\ndata:line two\n\ndata: é\r\rdata: [DONE]\n\n"
            var events: [String] = []
            // One byte at a time: every possible split point, including inside CRLF and UTF-8.
            for byte in Array(text.utf8) { events += try parser.feed([byte]) }
            events += parser.finish()
            #expect(events == ["{\"a\":1}", "line one\nline two", "é", "[DONE]"])

            var unterminated = SSEParser()
            #expect(try unterminated.feed(Array("data: tail".utf8)).isEmpty)
            #expect(unterminated.finish() == ["tail"])
        }

        @Test func retryDelaysDoubleAndRetryAfterWinsButIsCapped() {
            let policy = RetryPolicy(maxRetries: 3, baseDelay: 0.5)
            #expect(policy.delay(beforeRetry: 1, retryAfter: nil) == 0.5)
            #expect(policy.delay(beforeRetry: 2, retryAfter: nil) == 1.0)
            #expect(policy.delay(beforeRetry: 3, retryAfter: nil) == 2.0)
            #expect(policy.delay(beforeRetry: 1, retryAfter: 1) == 1)
            #expect(policy.delay(beforeRetry: 1, retryAfter: 86_400) == 30)
            #expect(RetryPolicy.parseRetryAfter(" 2 ") == 2)
            #expect(RetryPolicy.parseRetryAfter("soon") == nil)
            let now = Date(timeIntervalSince1970: 1_700_000_000)
            #expect(RetryPolicy.parseRetryAfter("Tue, 14 Nov 2023 22:13:30 GMT", now: now) == 10)
        }

        @Test func errorMessagesComeFromOpenAIJSONOrBodyText() {
            #expect(WireFormat.errorMessage(from: Array(#"{"error":{"message":"bad model","type":"x"}}"#.utf8)) == "bad model")
            #expect(WireFormat.errorMessage(from: Array(#"{"error":"plain"}"#.utf8)) == "plain")
            #expect(WireFormat.errorMessage(from: Array("  upstream down \n".utf8)) == "upstream down")
        }

        @Test func endpointAndErrorDescriptionsNeverShowTheKey() {
            let endpoint = RemoteEndpoint(baseURL: "https://user:pw@api.example.com:8443/v1", apiKey: "sk-very-secret")
            #expect(endpoint.hostDescription == "api.example.com:8443")
            #expect(endpoint.chatCompletionsURL == "https://user:pw@api.example.com:8443/v1/chat/completions")
            #expect(!endpoint.description.contains("sk-very-secret"))
            var dumped = ""
            dump(endpoint, to: &dumped)
            #expect(!dumped.contains("sk-very-secret"))
            #expect(endpoint.redacting("key sk-very-secret rejected") == "key [redacted] rejected")
            #expect(RemoteError.http(status: 400, message: "nope").description == "The remote endpoint answered HTTP 400: nope")
            #expect(RemoteError.cancelled.description == "The remote request was cancelled.")
        }
    }
}
