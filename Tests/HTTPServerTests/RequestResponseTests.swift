import Foundation
import Testing
@testable import HTTPServer

@Suite("Requests and responses over loopback")
struct RequestResponseTests {
    @Test func getAndPostWithContentLength() async throws {
        try await withServer(handler: echoHandler) { server in
            let getResponse = try await roundTrip(server.port, get("/v1/models?limit=2"))
            #expect(getResponse.status == 200)
            #expect(getResponse.text == "GET /v1/models limit=2 ")
            #expect(getResponse.headers["Content-Type"] == "text/plain; charset=utf-8")
            #expect(getResponse.headers["Content-Length"] == String(getResponse.body.count))

            let postResponse = try await roundTrip(server.port, post("/v1/chat", body: #"{"a":"é"}"#))
            #expect(postResponse.status == 200)
            #expect(postResponse.text == #"POST /v1/chat - {"a":"é"}"#)
        }
    }

    @Test func chunkedRequestBody() async throws {
        try await withServer(handler: echoHandler) { server in
            let request = "POST /c HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
                + "5\r\nhello\r\n1;ext=1\r\n \r\nA\r\n0123456789\r\n0\r\nTrailer: yes\r\n\r\n"
            let response = try await roundTrip(server.port, request)
            #expect(response.status == 200)
            #expect(response.text == "POST /c - hello 0123456789")
        }
    }

    @Test func keepAliveServesTwoRequestsOnOneConnection() async throws {
        try await withServer(handler: echoHandler) { server in
            let port = server.port
            let (first, second) = try await blocking {
                let client = try TestClient(port: port)
                client.send(get("/one"))
                let first = try client.readResponse()
                client.send(post("/two", body: "2"))
                return (first, try client.readResponse())
            }
            #expect(first.text == "GET /one - ")
            #expect(first.headers["Connection"] == nil)
            #expect(second.text == "POST /two - 2")
            #expect(server.metrics.totalConnections == 1)
            #expect(server.metrics.totalRequests == 2)
        }
    }

    @Test func pipelinedRequestsAreAnsweredInOrder() async throws {
        // The first handler is the slowest, so out-of-order completion would show.
        let handler: HTTPServer.Handler = { request, writer in
            let delay = Int(request.queryValue("delay") ?? "0") ?? 0
            try? await Task.sleep(for: .milliseconds(delay))
            writer.send(.text(request.path))
        }
        try await withServer(handler: handler) { server in
            let port = server.port
            let paths = try await blocking {
                let client = try TestClient(port: port)
                client.send(get("/a?delay=150") + post("/b", body: "xyz") + get("/c?delay=10") + get("/d"))
                return try (0..<4).map { _ in try client.readResponse().text }
            }
            #expect(paths == ["/a", "/b", "/c", "/d"])
        }
    }

    @Test func connectionCloseIsHonoured() async throws {
        try await withServer(handler: echoHandler) { server in
            let port = server.port
            let (response, closed) = try await blocking {
                let client = try TestClient(port: port)
                client.send(get("/bye", headers: "Connection: close\r\n"))
                return (try client.readResponse(), client.waitForClose(timeout: .seconds(2)))
            }
            #expect(response.status == 200)
            #expect(response.headers["Connection"] == "close")
            #expect(closed)
        }
    }

    @Test func http10ClosesUnlessKeepAliveIsRequested() async throws {
        try await withServer(handler: echoHandler) { server in
            let port = server.port
            let (plain, plainClosed, kept, keptOpen) = try await blocking {
                let first = try TestClient(port: port)
                first.send("GET /old HTTP/1.0\r\n\r\n")
                let plain = try first.readResponse()
                let second = try TestClient(port: port)
                second.send("GET /old HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
                let kept = try second.readResponse()
                second.send("GET /again HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
                let again = try second.readResponse()
                return (plain, first.waitForClose(), kept, again.text == "GET /again - ")
            }
            #expect(plain.status == 200 && plain.headers["Connection"] == "close" && plainClosed)
            #expect(kept.headers["Connection"] == "keep-alive")
            #expect(keptOpen)
        }
    }

    @Test func expectContinueIsAnswered() async throws {
        try await withServer(handler: echoHandler) { server in
            let port = server.port
            let (interim, response) = try await blocking {
                let client = try TestClient(port: port)
                client.send("POST /e HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\nExpect: 100-continue\r\n\r\n")
                let interim = try client.readHead(keepInformational: true).status
                client.send("body")
                return (interim, try client.readResponse())
            }
            #expect(interim == 100)
            #expect(response.text == "POST /e - body")
        }
    }

    @Test func headRequestsGetHeadersOnly() async throws {
        try await withServer(handler: echoHandler) { server in
            let port = server.port
            let (head, next) = try await blocking {
                let client = try TestClient(port: port)
                client.send("HEAD /h HTTP/1.1\r\nHost: x\r\n\r\n" + get("/after"))
                return (try client.readResponse(method: "HEAD"), try client.readResponse())
            }
            #expect(head.status == 200 && head.body.isEmpty)
            #expect(head.headers["Content-Length"] == String("HEAD /h - ".utf8.count))
            #expect(next.text == "GET /after - ")
        }
    }

    @Test func handlerThatSendsNothingYields500() async throws {
        try await withServer(handler: { _, _ in }) { server in
            let response = try await roundTrip(server.port, get("/nothing"))
            #expect(response.status == 500)
            #expect(response.error?.type == "server_error")
        }
    }

    @Test func largeResponseBodyArrivesIntact() async throws {
        let payload = (0..<(3 * 1024 * 1024)).map { UInt8(truncatingIfNeeded: $0 &* 31) }
        try await withServer(handler: { _, writer in writer.send(body: payload) }) { server in
            let response = try await roundTrip(server.port, get("/big"), timeout: .seconds(20))
            #expect(response.body == payload)
        }
    }

    @Test func portZeroReportsTheChosenPortAndStartTwiceFails() async throws {
        let server = HTTPServer(configuration: .test, handler: echoHandler)
        #expect(server.port == 0)
        try server.start()
        #expect(server.port > 0 && server.isRunning)
        #expect(throws: HTTPServerError.alreadyStarted) { try server.start() }
        let other = HTTPServer(configuration: HTTPServerConfiguration(port: server.port), handler: echoHandler)
        #expect(throws: HTTPServerError.self) { try other.start() }
        await server.stop()
        #expect(!server.isRunning)
    }
}
