// A client that goes away cancels its work and frees its model lease; /metrics reports what the
// server did in Prometheus' text format.
import Foundation
import Testing
import HTTPTestSupport
@testable import FusionServer

@Suite("Disconnects and metrics", .serialized)
struct DisconnectAndMetricsTests {
    @Test("Closing a stream mid-answer cancels the generation and frees the lease; the next request is served")
    func streamDisconnect() async throws {
        try await ServerTests.withServer { server in
            let port = server.port
            let body = chatBody(model: "smollm2-135m", "Tell a very long story.",
                                extra: ["max_tokens": 2000, "stream": true, "temperature": 0.8])
            let client = try TestClient(port: port)
            client.send(post("/v1/chat/completions", body: body))
            _ = try await blocking { () -> [UInt8]? in
                _ = try client.readHead(timeout: .seconds(30))
                return try client.readChunk(timeout: .seconds(30))
            }
            let leased = await server.engine.schedulerSnapshot().loaded.contains { $0.refCount > 0 }
            #expect(leased, "the model is leased while the answer streams")
            client.close()
            let freed = await eventually(timeout: .seconds(3)) {
                let idle = await server.engine.schedulerSnapshot().loaded.allSatisfy { $0.refCount == 0 }
                let running = await server.admission.running
                return idle && running == 0
            }
            #expect(freed, "a 2000-token generation stopped within 3 s of the disconnect")
            let next = try await postChat(port, chatBody(model: "smollm2-135m", "hi", extra: ["max_tokens": 4]))
            #expect(next.status == 200)
        }
    }

    @Test("Closing the connection during a non-streamed fusion cancels it and frees every lease")
    func fusionDisconnect() async throws {
        try await ServerTests.withServer(models: ["smollm2-135m", "gemma3-270m"]) { server in
            let client = try TestClient(port: server.port)
            client.send(post("/v1/chat/completions", body: chatBody(model: "fusion/fast", "Explain photosynthesis in detail.",
                                                                   extra: ["max_tokens": 400])))
            let busy = await eventually(timeout: .seconds(30)) {
                await server.engine.schedulerSnapshot().loaded.contains { $0.refCount > 0 }
            }
            #expect(busy)
            client.close()
            let freed = await eventually(timeout: .seconds(5)) {
                let idle = await server.engine.schedulerSnapshot().loaded.allSatisfy { $0.refCount == 0 }
                let running = await server.admission.running
                return idle && running == 0
            }
            #expect(freed)
            #expect(try await roundTrip(server.port, get("/health")).status == 200)
        }
    }

    @Test("/metrics counts requests and tokens and shows memory, models and latency histograms")
    func metrics() async throws {
        try await ServerTests.withServer { server in
            let port = server.port
            _ = try await postChat(port, chatBody(model: "smollm2-135m", "hi", extra: ["max_tokens": 4]))
            _ = try await postChat(port, chatBody(model: "no-such", "hi"))
            let response = try await roundTrip(port, get("/metrics"))
            #expect(response.status == 200)
            #expect(response.headers["Content-Type"]?.hasPrefix("text/plain") == true)
            let text = response.text
            for expected in [
                #"localfusion_requests_total{route="chat",status="200"} 1"#,
                #"localfusion_requests_total{route="chat",status="404"} 1"#,
                "# TYPE localfusion_request_duration_seconds histogram",
                #"localfusion_request_duration_seconds_bucket{route="chat",le="+Inf"} 2"#,
                "localfusion_models_loaded 1",
                "localfusion_queue_depth 0",
                "# TYPE localfusion_memory_reserved_bytes gauge",
                "localfusion_memory_budget_bytes ",
            ] {
                #expect(text.contains(expected), "missing \(expected)")
            }
            let completion = text.split(separator: "\n").first { $0.hasPrefix("localfusion_completion_tokens_total ") }
            #expect(completion.map { Int($0.split(separator: " ")[1]) ?? 0 } == 4)
            // Every sample line is `name{labels} value` with a numeric value.
            for line in text.split(separator: "\n") where !line.hasPrefix("#") {
                let value = line.split(separator: " ").last.map(String.init) ?? ""
                #expect(Double(value) != nil || value == "+Inf", "bad sample line: \(line)")
            }
        }
    }
}
