// The malformed-request corpus of the issue, against the full API server: each request gets a 4xx
// (or the connection is closed for bytes that are not HTTP at all) and the server keeps serving.
import Foundation
import Testing
import HTTPTestSupport
@testable import FusionServer

@Suite("Malformed requests", .serialized)
struct MalformedCorpusTests {
    static let tenMegabytes = String(repeating: "x", count: 10 << 20)

    static let corpus: [(name: String, bytes: [UInt8], status: Int)] = [
        ("huge header", Array("GET /v1/models HTTP/1.1\r\nHost: x\r\nX-Big: \(String(repeating: "a", count: 64 << 10))\r\n\r\n".utf8), 431),
        ("bad chunked encoding", Array("POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nhello\r\n0\r\n\r\n".utf8), 400),
        ("10 MB body", Array("POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Length: \(10 << 20)\r\n\r\n\(tenMegabytes)".utf8), 413),
        ("wrong JSON types", Array(post("/v1/chat/completions", body: #"{"model":7,"messages":{"role":"user"}}"#).utf8), 400),
        ("invalid UTF-8 body", Array("POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\n\r\n".utf8) + [0xFF, 0xFE, 0xC3, 0x28], 400),
        ("garbage request line", Array("HELLO\r\n\r\n".utf8), 400),
        ("bad content length", Array("POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Length: -5\r\n\r\n".utf8), 400),
    ]

    @Test("Every malformed request gets its 4xx in OpenAI's JSON shape and the server keeps serving")
    func corpus() async throws {
        try await ServerTests.withServer { server in
            let port = server.port
            for item in Self.corpus {
                let response = try await blocking { () -> RawResponse in
                    let client = try TestClient(port: port)
                    client.send(item.bytes)
                    return try client.readResponse(timeout: .seconds(10))
                }
                #expect(response.status == item.status, "\(item.name): got \(response.status) \(response.text.prefix(200))")
                #expect(response.error != nil, "\(item.name): not an OpenAI error body")
                #expect(try await roundTrip(port, get("/health")).status == 200, "still serving after \(item.name)")
            }
        }
    }

    @Test("Truncated headers time out with 408 instead of holding the connection forever")
    func truncatedHeaders() async throws {
        try await ServerTests.withServer(configure: { $0.http.readTimeout = .seconds(1) }) { server in
            let response = try await blocking { () -> RawResponse in
                let client = try TestClient(port: server.port)
                client.send("POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Le")
                return try client.readResponse(timeout: .seconds(5))
            }
            #expect(response.status == 408)
            #expect(try await roundTrip(server.port, get("/health")).status == 200)
        }
    }
}
