import Foundation
import Testing
@testable import HTTPServer

/// One hostile or broken request and the status it must get.
struct MalformedCase: Sendable, CustomTestStringConvertible {
    var name: String
    var bytes: [UInt8]
    /// nil: the client hangs up mid-request and expects no answer.
    var status: Int?
    var testDescription: String { name }

    init(_ name: String, _ text: String, _ status: Int?) {
        self.init(name, Array(text.utf8), status)
    }

    init(_ name: String, _ bytes: [UInt8], _ status: Int?) {
        self.name = name
        self.bytes = bytes
        self.status = status
    }
}

private let host = "Host: x\r\n"

let malformedCorpus: [MalformedCase] = [
    MalformedCase("truncated headers, then close", "GET / HTTP/1.1\r\nHost: x\r\nX-Partial: abc", nil),
    MalformedCase("garbage", "\u{16}\u{03}\u{01}\u{02}\u{00}\u{01}\u{00}\u{01}\u{fc}\u{03}\u{03}garbage\r\n\r\n", 400),
    MalformedCase("20 KB of headers", "GET / HTTP/1.1\r\n\(host)X-Big: \(String(repeating: "a", count: 20 * 1024))\r\n\r\n", 431),
    MalformedCase("101 headers", "GET / HTTP/1.1\r\n\(host)" + (0..<101).map { "X-\($0): v\r\n" }.joined() + "\r\n", 431),
    MalformedCase("10 KB request line", "GET /\(String(repeating: "p", count: 10 * 1024)) HTTP/1.1\r\n\(host)\r\n", 414),
    MalformedCase("invalid UTF-8 in the request line", Array("GET /caf".utf8) + [0xC3, 0x28, 0xFF] + Array(" HTTP/1.1\r\n\(host)\r\n".utf8), 400),
    MalformedCase("NUL in the request line", Array("GET /a".utf8) + [0] + Array("b HTTP/1.1\r\n\(host)\r\n".utf8), 400),
    MalformedCase("NUL in a header", Array("GET / HTTP/1.1\r\n\(host)X-A: a".utf8) + [0] + Array("b\r\n\r\n".utf8), 400),
    MalformedCase("bad chunk size", "POST / HTTP/1.1\r\n\(host)Transfer-Encoding: chunked\r\n\r\nzz\r\nhello\r\n0\r\n\r\n", 400),
    MalformedCase("chunk longer than declared", "POST / HTTP/1.1\r\n\(host)Transfer-Encoding: chunked\r\n\r\n3\r\nhello\r\n0\r\n\r\n", 400),
    MalformedCase("negative Content-Length", "POST / HTTP/1.1\r\n\(host)Content-Length: -5\r\n\r\nhello", 400),
    MalformedCase("garbage Content-Length", "POST / HTTP/1.1\r\n\(host)Content-Length: 12abc\r\n\r\nhello", 400),
    MalformedCase("conflicting Content-Lengths", "POST / HTTP/1.1\r\n\(host)Content-Length: 5\r\nContent-Length: 6\r\n\r\nhello!", 400),
    MalformedCase("Content-Length and Transfer-Encoding", "POST / HTTP/1.1\r\n\(host)Content-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n", 400),
    MalformedCase("huge Content-Length", "POST / HTTP/1.1\r\n\(host)Content-Length: 99999999999999999999999\r\n\r\n", 413),
    MalformedCase("unsupported transfer coding", "POST / HTTP/1.1\r\n\(host)Transfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n", 501),
    MalformedCase("chunked not last", "POST / HTTP/1.1\r\n\(host)Transfer-Encoding: chunked, gzip\r\n\r\n0\r\n\r\n", 400),
    MalformedCase("missing Host", "GET / HTTP/1.1\r\n\r\n", 400),
    MalformedCase("HTTP/2 request line", "GET / HTTP/2.0\r\n\(host)\r\n", 505),
    MalformedCase("space before colon", "GET / HTTP/1.1\r\n\(host)X-A : b\r\n\r\n", 400),
    MalformedCase("obsolete line folding", "GET / HTTP/1.1\r\n\(host)X-A: b\r\n  continued\r\n\r\n", 400),
    MalformedCase("unknown expectation", "POST / HTTP/1.1\r\n\(host)Content-Length: 1\r\nExpect: teapot\r\n\r\nx", 417),
]

@Suite("Malformed requests")
struct MalformedRequestTests {
    @Test(arguments: malformedCorpus)
    func eachGetsItsStatusAndTheServerKeepsServing(_ testCase: MalformedCase) async throws {
        try await withServer(handler: echoHandler) { server in
            let port = server.port
            let (response, closed) = try await blocking { () -> (RawResponse?, Bool) in
                let client = try TestClient(port: port)
                client.send(testCase.bytes)
                guard testCase.status != nil else {
                    client.close()
                    return (nil, true)
                }
                return (try client.readResponse(), client.waitForClose())
            }
            if let status = testCase.status {
                #expect(response?.status == status)
                #expect(response?.headers["Connection"] == "close")
                #expect(response?.headers["Content-Type"] == "application/json")
                #expect(response?.error?.type == "invalid_request_error" || response?.error?.type == "server_error")
                #expect(response?.error?.message.isEmpty == false)
                #expect(closed)
            }
            let healthy = try await roundTrip(port, get("/ok"))
            #expect(healthy.status == 200 && healthy.text == "GET /ok - ")
        }
    }

    @Test func tenMegabyteBodyIs413() async throws {
        try await withServer(handler: echoHandler) { server in
            let port = server.port
            let response = try await blocking {
                let client = try TestClient(port: port)
                let size = 10 * 1024 * 1024
                client.send("POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Length: \(size)\r\n\r\n")
                // Keep sending like a naive client would; the server drains it (lingering close)
                // so its 413 is not destroyed by a reset.
                _ = client.send([UInt8](repeating: 0x61, count: size))
                return try client.readResponse()
            }
            #expect(response.status == 413)
            #expect(response.headers["Connection"] == "close")
            #expect(response.error?.message.contains("8388608") == true)
            #expect(try await roundTrip(port, get("/ok")).status == 200)
        }
    }

    @Test func chunkedBodyOverTheLimitIs413() async throws {
        var configuration = HTTPServerConfiguration.test
        configuration.maxBodyBytes = 10
        try await withServer(configuration, handler: echoHandler) { server in
            let request = "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n8\r\n12345678\r\n8\r\n12345678\r\n0\r\n\r\n"
            let response = try await roundTrip(server.port, request)
            #expect(response.status == 413)
        }
    }

    @Test func malformedRequestAfterAGoodOneOnTheSameConnection() async throws {
        try await withServer(handler: echoHandler) { server in
            let port = server.port
            let (first, second, closed) = try await blocking {
                let client = try TestClient(port: port)
                client.send(get("/fine") + "BROKEN\r\n\r\n")
                return (try client.readResponse(), try client.readResponse(), client.waitForClose())
            }
            #expect(first.status == 200)
            #expect(second.status == 400)
            #expect(closed)
            #expect(server.metrics.rejectedRequests == 1)
            #expect(server.metrics.responses(statusClass: 4) == 1)
        }
    }
}
