// What the router makes of a request's sampling fields for each fusion route (no model runs):
// the client's stop and max_tokens shape the answer it reads, a preset's panel length applies
// to the preset's own panel only.
import Foundation
import Testing
import Fusion
@testable import FusionServer

@Suite("Model router: request fields per fusion route")
struct ModelRouterTests {
    static func router() throws -> ModelRouter {
        // Routes only name models that are on disk; none is loaded.
        let store = try ServerTests.requireModels(["smollm2-135m", "qwen2.5-coder-0.5b", "qwen2.5-coder-1.5b"])
        return ModelRouter(store: store, presets: try FusionPresets.loadDefault(), remote: RemoteSettings(environment: [:]),
                           contextSize: 4096, threads: nil)
    }

    static func route(_ json: [String: Any]) throws -> ModelRoute {
        let body = try JSONSerialization.data(withJSONObject: json)
        return try router().route(try ChatCompletionRequest.parse(Array(body)), depth: 0)
    }

    static let messages = [["role": "user", "content": "Name a color."]]

    @Test("fusion/quality: stop and max_tokens go to the final answer, the preset's 512-token panel length stays")
    func presetModel() throws {
        let route = try Self.route(["model": "fusion/quality", "messages": Self.messages, "stop": ["Sources:"], "max_tokens": 50])
        guard case .fusion(let fusion, _, _) = route else { Issue.record("expected a fusion route, got \(route)"); return }
        #expect(fusion.finalStop == ["Sources:"])
        #expect(fusion.stop.isEmpty, "the panel's answers are not cut by the client's stop")
        #expect(fusion.synthesisMaxTokens == 50)
        #expect(fusion.panelMaxTokens == 512)
    }

    @Test("A plugin's own panel gets the default panel length, not the preset's")
    func pluginPanel() throws {
        let plugin: [String: Any] = ["id": "fusion", "analysis_models": ["smollm2-135m", "qwen2.5-coder-0.5b"]]
        let route = try Self.route(["model": "qwen2.5-coder-0.5b", "messages": Self.messages, "plugins": [plugin]])
        guard case .fusion(let fusion, _, _) = route else { Issue.record("expected a fusion route, got \(route)"); return }
        #expect(fusion.panel.map(\.model) == ["smollm2-135m", "qwen2.5-coder-0.5b"])
        #expect(fusion.panelMaxTokens == FusionRequest.defaultPanelMaxTokens)
    }

    @Test("The fusion tool's result is not cut by the client's stop or max_tokens (the outer model's answer is)")
    func toolResultUncut() throws {
        let tool: [String: Any] = ["type": "fusion", "analysis_models": ["smollm2-135m"]]
        let route = try Self.route(["model": "qwen2.5-coder-0.5b", "messages": Self.messages, "stop": ["\n"], "max_tokens": 8,
                                    "tools": [tool], "tool_choice": "required"])
        guard case .tool(_, let fusion, _) = route else { Issue.record("expected a tool route, got \(route)"); return }
        #expect(fusion.finalStop.isEmpty)
        let unlimited = try Self.route(["model": "qwen2.5-coder-0.5b", "messages": Self.messages,
                                        "tools": [tool], "tool_choice": "required"])
        guard case .tool(_, let plain, _) = unlimited else { Issue.record("expected a tool route, got \(unlimited)"); return }
        #expect(fusion.synthesisMaxTokens == plain.synthesisMaxTokens && fusion.synthesisMaxTokens > 8,
                "an 8-token max_tokens would cut the tool result to a stub")
    }

    @Test("A plugin's or tool's memory_budget (bytes or \"800MiB\") becomes the fusion's own budget; a bad one is a 400 naming it")
    func memoryBudget() throws {
        func budget(_ value: Any, tool: Bool = false) throws -> Int64? {
            if tool {
                let route = try Self.route(["model": "qwen2.5-coder-0.5b", "messages": Self.messages, "tool_choice": "required",
                                            "tools": [["type": "fusion", "analysis_models": ["smollm2-135m"], "memory_budget": value]]])
                guard case .tool(_, let fusion, _) = route else { Issue.record("expected a tool route, got \(route)"); return nil }
                return fusion.memoryBudget
            }
            let route = try Self.route(["model": "fusion/fast", "messages": Self.messages,
                                        "plugins": [["id": "fusion", "memory_budget": value]]])
            guard case .fusion(let fusion, _, _) = route else { Issue.record("expected a fusion route, got \(route)"); return nil }
            return fusion.memoryBudget
        }
        #expect(try budget("800MiB") == 800 << 20)
        #expect(try budget(" 1.2 GB") == 1_200_000_000)
        #expect(try budget(500_000_000) == 500_000_000)
        #expect(try budget("600MiB", tool: true) == 600 << 20)
        let plain = try Self.route(["model": "fusion/fast", "messages": Self.messages])
        guard case .fusion(let unset, _, _) = plain else { Issue.record("expected a fusion route, got \(plain)"); return }
        #expect(unset.memoryBudget == nil, "without the field the server's budget applies")

        for bad: Any in ["lots", "", 0, -5, 1.5, 1e19, true, "-1GB", ["800MiB"]] {
            do {
                _ = try budget(bad)
                Issue.record("memory_budget \(bad) was accepted")
            } catch let error as APIError {
                #expect(error.status == .badRequest && error.param == "plugins[0].memory_budget", "\(bad): \(error)")
            }
        }
        do {
            _ = try budget("lots", tool: true)
            Issue.record("the tool's memory_budget 'lots' was accepted")
        } catch let error as APIError {
            #expect(error.param == "tools[0].memory_budget", "\(error)")
        }
    }
}
