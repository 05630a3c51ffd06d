// Remote seats and fallback chains against real servers on loopback: llama-server built from the
// same llama.cpp source, scripted fakes for failures, a second LocalFusion server.
import Foundation
import Testing
import Fusion
import FusionServer
import HTTPServer
import HTTPTestSupport
import Llama

@Suite("Remote seats and chains", .serialized)
struct RemoteSeatTests {
    @Test("A remote seat served by a real llama-server answers inside a mixed panel; trace shows the link and cost")
    func llamaServerSeat() async throws {
        if ProcessInfo.processInfo.environment["LOCALFUSION_SKIP_REMOTE_SERVER_TESTS"] == "1" {
            print("⚠️  SKIPPED: LOCALFUSION_SKIP_REMOTE_SERVER_TESTS=1 — the llama-server remote seat test did not run")
            return
        }
        let server = try await LlamaServerProcess(binary: try LlamaServerProcess.serverBinary(),
                                                  model: try LlamaServerProcess.model("smollm2-135m"))
        defer { server.stop() }
        let engine = try RemoteTests.engine(try RemoteTests.providers(["lab": "http://127.0.0.1:\(server.port)/v1"]))
        let result = try await engine.fuse(RemoteTests.request(panel: ["smollm2-135m", "remote:lab/smollm2"]))
        #expect(result.status == .ok, "\(result.error ?? "")")
        #expect(result.responses.map(\.source) == ["local:smollm2-135m", "remote:lab/smollm2"])
        let remote = try #require(result.responses.last)
        #expect(!remote.text.isEmpty)
        #expect(remote.usage.completionTokens > 0 && remote.usage.promptTokens > 0)
        #expect(remote.cost > 0 && result.cost == remote.cost, "price 1/2 per Mtok gives a small positive cost")
        #expect(result.responses.first?.cost == 0)
        #expect(!result.final.isEmpty)
    }

    @Test("A chain falls back to remote when the local file is missing, and says why")
    func chainMissingFile() async throws {
        let fake = try FakeProvider([.stream(["Blue", "."])])
        let providers = try RemoteTests.providers(["lab": fake.baseURL],
                                                  seats: ["painter": ["local:/nonexistent/painter.gguf", "remote:lab/painter-large"]])
        let result = try await RemoteTests.engine(providers).fuse(RemoteTests.request(panel: ["smollm2-135m", "painter"]))
        await fake.stop()
        #expect(result.status == .ok)
        let answer = try #require(result.responses.first { $0.model == "painter" })
        #expect(answer.text == "Blue.")
        #expect(answer.source == "remote:lab/painter-large")
        #expect(answer.skippedLinks.count == 1 && answer.skippedLinks[0].contains("local:/nonexistent/painter.gguf")
                && answer.skippedLinks[0].contains("not found"), "\(answer.skippedLinks)")
        #expect(fake.requests.count == 1)
    }

    @Test("A chain falls back to remote when the memory budget cannot hold the local model")
    func chainOverBudget() async throws {
        let fake = try FakeProvider([.stream(["Red"])])
        let providers = try RemoteTests.providers(["lab": fake.baseURL],
                                                  seats: ["big": ["local:qwen2.5-coder-1.5b", "remote:lab/big"]])
        // Room for smollm2 (panel and judge) but not for the 1.5B model. The engine keeps the
        // process's own resident memory out of the budget, and a test process that already ran
        // other suites is large, so the budget is that plus 700 MiB for models.
        let resident = UInt64(max(0, ProcessMemoryProbe().residentBytes()))
        let engine = try RemoteTests.engine(providers, budget: resident + (48 << 20) + (700 << 20))
        let result = try await engine.fuse(RemoteTests.request(panel: ["smollm2-135m", "big"]))
        await fake.stop()
        #expect(result.status == .ok, "\(result.error ?? "")")
        let answer = try #require(result.responses.first { $0.model == "big" })
        #expect(answer.source == "remote:lab/big")
        #expect(answer.skippedLinks.first?.contains("memory budget") == true, "\(answer.skippedLinks)")
    }

    @Test("Provider down, HTTP 500 then 200, garbage SSE: a clear failed_models entry or a successful retry")
    func providerFailures() async throws {
        let flaky = try FakeProvider([.status(500), .stream(["Green"])])
        let garbage = try FakeProvider([.garbage])
        let providers = try RemoteTests.providers([
            "down": "http://127.0.0.1:\(closedPort())/v1", "flaky": flaky.baseURL, "garbage": garbage.baseURL])
        let engine = try RemoteTests.engine(providers)
        let result = try await engine.fuse(RemoteTests.request(panel: ["smollm2-135m", "remote:down/m", "remote:flaky/m", "remote:garbage/m"]))
        await flaky.stop()
        await garbage.stop()
        #expect(result.status == .ok)
        #expect(result.responses.map(\.source) == ["local:smollm2-135m", "remote:flaky/m"])
        #expect(result.responses.last?.text == "Green")
        #expect(flaky.requests.count == 2, "one failure, one retry")
        let failures = Dictionary(uniqueKeysWithValues: result.failedModels.map { ($0.model, $0) })
        #expect(failures["remote:down/m"]?.reason == .remoteError)
        #expect(failures["remote:down/m"]?.message.contains("127.0.0.1") == true)
        #expect(failures["remote:garbage/m"]?.reason == .remoteError)
        #expect(failures["remote:garbage/m"]?.message.lowercased().contains("invalid") == true)
    }

    @Test("A silent provider times out and a stream cut mid-way fails; neither hangs the fusion")
    func slowAndCut() async throws {
        let silent = try RawSocketServer { connection in _ = connection.waitForPeerClose(timeout: 600) }
        let cut = try RawSocketServer { connection in
            connection.write("HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n\r\n")
            connection.write("data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"Hal\"},\"finish_reason\":null}]}\n\n")
            connection.hangUp()
        }
        defer { silent.stop(); cut.stop() }
        let providers = try RemoteTests.providers(["silent": "http://127.0.0.1:\(silent.port)/v1",
                                                   "cut": "http://127.0.0.1:\(cut.port)/v1"], timeout: 1.5)
        let start = ContinuousClock.now
        let result = try await RemoteTests.engine(providers).fuse(
            RemoteTests.request(panel: ["smollm2-135m", "remote:silent/m", "remote:cut/m"]))
        #expect(result.status == .ok)
        // Bounded by the 1.5 s provider timeout, not by the silent server's 600 s (generous for a busy CI).
        #expect(ContinuousClock.now - start < .seconds(120))
        let failures = Dictionary(uniqueKeysWithValues: result.failedModels.map { ($0.model, $0) })
        #expect(failures["remote:silent/m"]?.reason == .timeout, "\(result.failedModels)")
        #expect(failures["remote:cut/m"]?.reason == .remoteError, "\(result.failedModels)")
        #expect(result.responses.map(\.source) == ["local:smollm2-135m"])
    }

    @Test("A quorum counts remote answers too: a quick remote answer stops a long local one, a local answer stops a silent remote")
    func quorumAcrossLocalAndRemote() async throws {
        let fake = try FakeProvider([.stream(["Green", "."])])
        let silent = try RawSocketServer { connection in _ = connection.waitForPeerClose(timeout: 600) }
        defer { silent.stop() }
        // Without the quorum the silent seat would end only at the 60 s read timeout, as `timeout`.
        let providers = try RemoteTests.providers(["lab": fake.baseURL, "silent": "http://127.0.0.1:\(silent.port)/v1"],
                                                  timeout: 600)
        let engine = try RemoteTests.engine(providers)

        var remoteFirst = RemoteTests.request(panel: ["smollm2-135m", "remote:lab/green"])
        remoteFirst.quorum = 1
        remoteFirst.panelMaxTokens = 2000
        remoteFirst.contextSize = 4096
        remoteFirst.ignoreEOS = true   // the local seat would decode for many seconds
        let stoppedLocal = try await engine.fuse(remoteFirst)
        await fake.stop()
        #expect(stoppedLocal.status == .ok, "\(stoppedLocal.error ?? "")")
        #expect(stoppedLocal.responses.map(\.source) == ["remote:lab/green"])
        #expect(stoppedLocal.failedModels.map(\.model) == ["smollm2-135m"])
        #expect(stoppedLocal.failedModels.first?.reason == .quorumReached, "\(stoppedLocal.failedModels)")

        var localFirst = RemoteTests.request(panel: ["smollm2-135m", "remote:silent/m"])
        localFirst.quorum = 1
        let stoppedRemote = try await engine.fuse(localFirst)
        #expect(stoppedRemote.status == .ok, "\(stoppedRemote.error ?? "")")
        #expect(stoppedRemote.responses.map(\.source) == ["local:smollm2-135m"])
        #expect(stoppedRemote.failedModels.map(\.model) == ["remote:silent/m"])
        #expect(stoppedRemote.failedModels.first?.reason == .quorumReached, "\(stoppedRemote.failedModels)")
    }

    @Test("Offline mode and deny_domains make zero connections")
    func offlineMakesNoConnections() async throws {
        let accepts = LockedList<Int>()
        let listener = try RawSocketServer { connection in _ = accepts.append(1); connection.hangUp() }
        defer { listener.stop() }
        let url = "http://127.0.0.1:\(listener.port)/v1"
        let offline = try RemoteTests.engine(try RemoteTests.providers(["lab": url], seats: ["chain": ["remote:lab/a", "local:smollm2-135m"]]),
                                             offline: true)
        let result = try await offline.fuse(RemoteTests.request(panel: ["remote:lab/m", "chain"]))
        #expect(result.status == .ok)
        #expect(result.failedModels.first?.reason == .offline)
        #expect(result.responses.map(\.source) == ["local:smollm2-135m"], "the chain skipped its remote link")
        #expect(result.responses.first?.skippedLinks.first?.contains("offline") == true)

        let denied = try RemoteTests.engine(try RemoteTests.providers(["lab": url], extra: ["deny_domains": ["127.0.0.1"]]))
        let refused = try await denied.fuse(RemoteTests.request(panel: ["smollm2-135m", "remote:lab/m"]))
        #expect(refused.failedModels.first?.reason == .policy)
        try await Task.sleep(for: .milliseconds(200))
        #expect(accepts.items.isEmpty, "no connection was made")
        #expect(RemoteSettings.offlineFromEnvironment(["FUSION_OFFLINE": "1"]))
        #expect(!RemoteSettings.offlineFromEnvironment([:]))
    }

    @Test("The API key reaches the provider as a bearer token and never appears in the result or trace")
    func apiKeyHandling() async throws {
        let fake = try FakeProvider([.stream(["ok"])])
        let result = try await RemoteTests.engine(try RemoteTests.providers(["lab": fake.baseURL]))
            .fuse(RemoteTests.request(panel: ["remote:lab/m"]))
        await fake.stop()
        #expect(result.status == .ok, "\(result.error ?? "")")
        #expect(fake.requests.first?.headers["Authorization"] == "Bearer \(RemoteTests.secret)")
        #expect(fake.requests.first?.headers["X-LocalFusion-Depth"] == "1")
        #expect(!(try RemoteTests.json(result)).contains(RemoteTests.secret))
        // A key written into the file itself is refused.
        let inFile = Data(#"{"providers":{"x":{"base_url":"http://h/v1","api_key":"sk-oops"}}}"#.utf8)
        #expect(throws: FusionError.self) { try ProvidersConfig.parse(inFile) }
    }

    @Test("Another LocalFusion server can be a remote seat; asking it for fusion is refused by the recursion guard")
    func localFusionAsProvider() async throws {
        let inner = try RemoteTests.engine(ProvidersConfig())
        var configuration = FusionServerConfiguration()
        configuration.http = HTTPServerConfiguration(host: "127.0.0.1", port: 0)
        configuration.contextSize = 1024
        let server = FusionAPIServer(engine: inner, presets: try FusionPresets.loadDefault(), configuration: configuration)
        try server.start()
        let providers = try RemoteTests.providers(["lf": "http://127.0.0.1:\(server.port)/v1"])
        let result = try await RemoteTests.engine(providers).fuse(
            RemoteTests.request(panel: ["remote:lf/smollm2-135m", "remote:lf/fusion"]))
        await server.stop(gracePeriod: .seconds(1))
        #expect(result.status == .ok, "\(result.error ?? "")")
        #expect(result.responses.map(\.source) == ["remote:lf/smollm2-135m"])
        let refused = try #require(result.failedModels.first)
        #expect(refused.model == "remote:lf/fusion")
        #expect(refused.message.contains("fusion of fusion"), "\(refused.message)")
    }
}
