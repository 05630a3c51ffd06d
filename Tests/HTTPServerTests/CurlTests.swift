import Foundation
import Testing
@testable import HTTPServer

/// Runs curl with `arguments`; returns stdout and the exit status.
private func curl(_ arguments: [String], stdin: Data? = nil) async throws -> (output: String, status: Int32) {
    try await blocking {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["curl", "--silent", "--show-error", "--max-time", "10"] + arguments
        let output = Pipe()
        process.standardOutput = output
        let input = Pipe()
        if stdin != nil { process.standardInput = input }
        try process.run()
        if let stdin {
            input.fileHandleForWriting.write(stdin)
            try input.fileHandleForWriting.close()
        }
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (String(decoding: data, as: UTF8.self), process.terminationStatus)
    }
}

@Suite("Interoperability with curl")
struct CurlTests {
    @Test func curlGetAndKeepAliveReuse() async throws {
        try await withServer(handler: echoHandler) { server in
            let url = "http://127.0.0.1:\(server.port)"
            let result = try await curl(["\(url)/one?x=1", "\(url)/two"])
            #expect(result.status == 0)
            #expect(result.output == "GET /one x=1 GET /two - ")
            #expect(server.metrics.totalConnections == 1)  // curl reused the connection
        }
    }

    @Test func curlChunkedUploadAndLargeBodyWithExpectContinue() async throws {
        try await withServer(handler: { request, writer in writer.send(.text("\(request.body.count)")) }) { server in
            let url = "http://127.0.0.1:\(server.port)/upload"
            let chunked = try await curl(["-H", "Transfer-Encoding: chunked", "--data-binary", "@-", url],
                                         stdin: Data(repeating: 0x62, count: 100_000))
            #expect(chunked.output == "100000")
            // Large uploads make curl send Expect: 100-continue and wait for our 100.
            let large = try await curl(["--data-binary", "@-", url], stdin: Data(repeating: 0x63, count: 2_000_000))
            #expect(large.output == "2000000")
            let tooLarge = try await curl(["-w", "%{http_code}", "-o", "/dev/null", "--data-binary", "@-", url],
                                          stdin: Data(repeating: 0x64, count: 9 * 1024 * 1024))
            #expect(tooLarge.output == "413")
        }
    }

    @Test func curlReadsAnSSEStream() async throws {
        let handler: HTTPServer.Handler = { _, writer in
            for index in 1...3 {
                await writer.sendEvent(data: #"{"i":\#(index)}"#)
                try? await Task.sleep(for: .milliseconds(20))
            }
            await writer.sendEvent(data: "[DONE]")
        }
        try await withServer(handler: handler) { server in
            let result = try await curl(["-N", "http://127.0.0.1:\(server.port)/v1/chat/completions"])
            #expect(result.status == 0)
            #expect(result.output == #"data: {"i":1}"# + "\n\n" + #"data: {"i":2}"# + "\n\n" + #"data: {"i":3}"# + "\n\ndata: [DONE]\n\n")
        }
    }
}
