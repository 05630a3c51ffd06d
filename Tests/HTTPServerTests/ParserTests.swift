import Testing
@testable import HTTPServer

private let limits = HTTPRequestParser.Limits(maxRequestLineBytes: 8192, maxHeaderBytes: 16384,
                                              maxHeaderCount: 100, maxBodyBytes: 1024)

/// Feeds `text` to a fresh parser in pieces of `step` bytes and collects every event.
private func events(_ text: String, step: Int = .max) -> [HTTPRequestParser.Event] {
    var parser = HTTPRequestParser(limits: limits)
    var collected: [HTTPRequestParser.Event] = []
    let bytes = Array(text.utf8)
    var offset = 0
    while offset < bytes.count {
        let end = min(bytes.count, offset + step)
        parser.append(Array(bytes[offset..<end]))
        offset = end
        while let event = parser.next() { collected.append(event) }
    }
    return collected
}

private func requests(_ events: [HTTPRequestParser.Event]) -> [HTTPRequest] {
    events.compactMap { if case .request(let request) = $0 { return request } else { return nil } }
}

private func failure(_ text: String) -> HTTPParseError? {
    for event in events(text) { if case .failure(let error) = event { return error } }
    return nil
}

@Suite("Request parser")
struct ParserTests {
    @Test func parsesAnyByteSplitIdentically() {
        let text = "POST /v1/chat/completions?stream=1 HTTP/1.1\r\nHost: localhost\r\ncontent-TYPE: application/json\r\n"
            + "Content-Length: 7\r\n\r\n{\"a\":1}"
        for step in [1, 2, 3, 7, 64, .max] {
            let parsed = requests(events(text, step: step))
            #expect(parsed.count == 1)
            let request = parsed[0]
            #expect(request.method == "POST")
            #expect(request.path == "/v1/chat/completions")
            #expect(request.query == "stream=1")
            #expect(request.queryValue("stream") == "1")
            #expect(request.headers["Content-Type"] == "application/json")
            #expect(request.headers["CONTENT-LENGTH"] == "7")
            #expect(request.bodyText == "{\"a\":1}")
        }
    }

    @Test func pipelinedRequestsComeOutInOrder() {
        let text = "GET /1 HTTP/1.1\r\nHost: a\r\n\r\nPOST /2 HTTP/1.1\r\nHost: a\r\nContent-Length: 2\r\n\r\nhi"
            + "\r\nGET /3 HTTP/1.0\n\n"  // a stray CRLF and bare-LF line ends are tolerated
        for step in [1, 5, .max] {
            let parsed = requests(events(text, step: step))
            #expect(parsed.map(\.path) == ["/1", "/2", "/3"])
            #expect(parsed[1].body == Array("hi".utf8))
            #expect(parsed[2].version == .http1_0)
        }
    }

    @Test func chunkedBodyIsDecoded() {
        let text = "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: Chunked\r\n\r\n4\r\nWiki\r\n5;x=y\r\npedia\r\nE\r\n in\r\n\r\nchunks.\r\n0\r\nX-T: 1\r\n\r\n"
        for step in [1, 3, .max] {
            #expect(requests(events(text, step: step)).first?.bodyText == "Wikipedia in\r\n\r\nchunks.")
        }
    }

    @Test func expectContinueIsSignalledOnlyWhenTheBodyHasNotStarted() {
        let head = "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 2\r\nExpect: 100-Continue\r\n\r\n"
        #expect(events(head + "ok", step: head.utf8.count).first == .continueExpected)
        #expect(events(head + "ok").first != .continueExpected)
        #expect(requests(events(head + "ok", step: head.utf8.count)).first?.bodyText == "ok")
    }

    @Test func limitsAndStatuses() {
        #expect(failure("GET /\(String(repeating: "a", count: 9000)) HTTP/1.1\r\n")?.status == .uriTooLong)
        // Detected before the line ends: a client cannot make us buffer an endless line.
        #expect(failure("GET /\(String(repeating: "a", count: 9000))")?.status == .uriTooLong)
        #expect(failure("GET / HTTP/1.1\r\nX: \(String(repeating: "a", count: 17000))")?.status == .requestHeaderFieldsTooLarge)
        #expect(failure("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 1025\r\n\r\n")?.status == .contentTooLarge)
        #expect(failure("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 1, 2\r\n\r\n")?.status == .badRequest)
        #expect(failure("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: +1\r\n\r\n")?.status == .badRequest)
        #expect(failure("POST / HTTP/1.1\r\nHost: a\r\nContent-Length:\r\n\r\n")?.status == .badRequest)
        #expect(failure("POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n")?.status == .badRequest)
        #expect(failure("GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n")?.status == .badRequest)
        #expect(failure("GET  / HTTP/1.1\r\n")?.status == .badRequest)
        #expect(failure("GET / HTTP/1.1\rX\r\n")?.status == .badRequest)
        #expect(failure("G(T / HTTP/1.1\r\n")?.status == .badRequest)
        #expect(failure("GET / HTTP/3.0\r\n")?.status == .httpVersionNotSupported)
        #expect(failure("GET / HTTP/1.1\r\nHost: a\r\nX: a\u{7}b\r\n\r\n")?.status == .badRequest)
    }

    @Test func repeatedIdenticalContentLengthIsAccepted() {
        let parsed = requests(events("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 2, 2\r\nContent-Length: 2\r\n\r\nok"))
        #expect(parsed.first?.bodyText == "ok")
    }

    @Test func latin1HeaderValuesAreKept() {
        var parser = HTTPRequestParser(limits: limits)
        parser.append(Array("GET / HTTP/1.1\r\nHost: a\r\nX-Name: caf".utf8) + [0xE9] + Array("\r\n\r\n".utf8))
        guard case .request(let request) = parser.next() else { Issue.record("no request"); return }
        #expect(request.headers["x-name"] == "café")
    }

    @Test func isMidRequestTracksPartialInput() {
        var parser = HTTPRequestParser(limits: limits)
        #expect(!parser.isMidRequest)
        parser.append(Array("GET / HT".utf8))
        #expect(parser.next() == nil)
        #expect(parser.isMidRequest)
        parser.append(Array("TP/1.1\r\nHost: a\r\n\r\n".utf8))
        #expect(requests([parser.next()!]).count == 1)
        #expect(!parser.isMidRequest)
    }
}

@Suite("Headers, responses and error bodies")
struct ValueTypeTests {
    @Test func headersAreCaseInsensitiveAndOrdered() {
        var headers: HTTPHeaders = ["Content-Type": "a", "X-Multi": "1"]
        headers.add(name: "x-multi", value: "2")
        #expect(headers["content-type"] == "a")
        #expect(headers.values(for: "X-MULTI") == ["1", "2"])
        headers["X-Multi"] = "3"
        #expect(headers.values(for: "x-multi") == ["3"])
        headers["content-type"] = nil
        #expect(!headers.contains("Content-Type"))
        #expect(HTTPHeaders([("Connection", "Keep-Alive, Upgrade")]).tokens(for: "connection") == ["keep-alive", "upgrade"])
    }

    @Test func openAIErrorShapeHasExplicitNulls() throws {
        let body = OpenAIErrorBody(status: .contentTooLarge, message: "too \"big\"")
        let text = String(decoding: body.jsonBytes, as: UTF8.self)
        #expect(text == #"{"error":{"code":null,"message":"too \"big\"","param":null,"type":"invalid_request_error"}}"#)
        #expect(OpenAIErrorBody.decode(body.jsonBytes) == body)
        #expect(OpenAIErrorBody(status: .serviceUnavailable, message: "x").type == "server_error")
        let response = HTTPResponse.openAIError(.notFound, message: "no such model", param: "model", code: "model_not_found")
        #expect(response.headers["Content-Type"] == "application/json")
        #expect(OpenAIErrorBody.decode(response.body)?.code == "model_not_found")
    }

    @Test func responseHeadOwnsFramingAndRefusesInjection() {
        let head = ResponseHead.bytes(status: .ok, headers: ["Content-Length": "999", "X-Evil": "a\r\nSet-Cookie: x"],
                                      framing: .contentLength(2), connection: .close)
        #expect(String(decoding: head, as: UTF8.self)
                == "HTTP/1.1 200 OK\r\nX-Evil: a Set-Cookie: x\r\nContent-Length: 2\r\nConnection: close\r\n\r\n")
    }

    @Test func requestTargetForms() {
        #expect(HTTPRequest(method: "GET", target: "http://example.com/a/b?c=d").path == "/a/b")
        #expect(HTTPRequest(method: "GET", target: "http://example.com/a/b?c=d").query == "c=d")
        #expect(HTTPRequest(method: "GET", target: "/p#frag").path == "/p")
        #expect(HTTPRequest(method: "GET", target: "/p?").query == "")
    }
}
