import Fusion
import Llama

/// What a request's model string (plus `plugins` / `tools`) asks for.
enum ModelRoute: Sendable {
    /// One local model answers.
    case single(model: String)
    /// A fusion answers: `fusion`, `fusion/<preset>` or the fusion plugin.
    case fusion(FusionRequest, kind: String, preset: String?)
    /// The outer model answers after receiving a fusion's result as a tool message.
    case tool(outerModel: String, fusion: FusionRequest, preset: String?)
}

/// Turns model strings into routes, using the catalog (models present on disk) and the presets.
struct ModelRouter: Sendable {
    static let fusionModel = "fusion"
    let store: ModelStore
    let presets: FusionPresets
    let remote: RemoteSettings
    /// Context size and threads every model uses on this server.
    let contextSize: Int
    let threads: Int?

    /// Catalog models that are downloaded, in catalog order.
    var localModels: [String] {
        store.catalog.models.filter { store.status(for: $0) != .missing }.map(\.id)
    }

    /// Every model string `/v1/models` lists: local models, `fusion` and `fusion/<preset>`.
    var advertisedModels: [String] {
        localModels + [Self.fusionModel] + presets.names.map { Self.fusionModel + "/" + $0 }
    }

    /// - Parameter depth: `X-LocalFusion-Depth` of the request; above 0 the caller is itself a
    ///   fusion (a remote seat), and fusing again would recurse.
    func route(_ request: ChatCompletionRequest, depth: Int) throws(APIError) -> ModelRoute {
        let wantsTool = request.fusionTool != nil && request.toolChoice != .none
        let fusesAtAll = isFusionModel(request.model) || request.fusionPlugin != nil || wantsTool
        if depth > 0 && fusesAtAll {
            throw .badRequest("fusion of fusion is refused: this request comes from another fusion (X-LocalFusion-Depth: \(depth)); ask for a single model",
                              param: "model", code: "fusion_recursion")
        }
        if isFusionModel(request.model) {
            if wantsTool {
                throw .badRequest("the fusion tool cannot be given to the fusion model (fusion would call itself)",
                                  param: "tools", code: "fusion_recursion")
            }
            let presetName = request.model == Self.fusionModel ? nil : String(request.model.dropFirst(Self.fusionModel.count + 1))
            if let presetName, presets.presets[presetName] == nil {
                throw .modelNotFound(request.model, known: advertisedModels)
            }
            var fusion = try baseRequest(preset: presetName ?? request.fusionPlugin?.preset, plugin: request.fusionPlugin,
                                         judge: request.fusionPlugin?.model, messages: request.messages)
            apply(request, to: &fusion)
            return .fusion(fusion, kind: request.fusionPlugin == nil ? "model" : "plugin", preset: presetName ?? presets.default)
        }
        try requireLocal(request.model, param: "model")
        if let plugin = request.fusionPlugin {
            var fusion = try baseRequest(preset: plugin.preset, plugin: plugin, judge: plugin.model ?? request.model,
                                         messages: request.messages)
            apply(request, to: &fusion)
            return .fusion(fusion, kind: "plugin", preset: plugin.analysisModels == nil ? (plugin.preset ?? presets.default) : plugin.preset)
        }
        if wantsTool, let tool = request.fusionTool {
            var fusion = try baseRequest(preset: tool.preset, plugin: tool, judge: tool.model, messages: request.messages)
            apply(request, to: &fusion, answersClient: false)
            return .tool(outerModel: request.model, fusion: fusion, preset: tool.analysisModels == nil ? (tool.preset ?? presets.default) : tool.preset)
        }
        return .single(model: request.model)
    }

    func isFusionModel(_ model: String) -> Bool {
        model == Self.fusionModel || model.hasPrefix(Self.fusionModel + "/")
    }

    /// A preset's request, with the plugin's panel, judge, panel temperature and panel length on top.
    private func baseRequest(preset: String?, plugin: FusionPlugin?, judge: String?, messages: [ChatMessage]) throws(APIError) -> FusionRequest {
        var fusion: FusionRequest
        do { fusion = try presets.request(named: preset, question: "") } catch {
            throw .badRequest(error.description, param: "plugins.preset", code: "unknown_preset")
        }
        fusion.messages = messages
        if let models = plugin?.analysisModels {
            for model in models {
                if isFusionModel(model) {
                    throw .badRequest("'fusion' cannot be a member of its own panel", param: "analysis_models", code: "fusion_recursion")
                }
                try requireKnown(model, param: "analysis_models")
            }
            fusion.panel = models.map { SeatSpec(model: $0) }
            // A preset's panel length was measured for its own panel, not for this one.
            fusion.panelMaxTokens = FusionRequest.defaultPanelMaxTokens
        }
        if let judge {
            if isFusionModel(judge) { throw .badRequest("'fusion' cannot judge a fusion", param: "plugins.model", code: "fusion_recursion") }
            try requireLocal(judge, param: "model")
            fusion.judge = judge
            fusion.synthesizer = nil
        }
        if let temperature = plugin?.temperature { fusion.temperature = temperature }
        if let tokens = plugin?.maxCompletionTokens { fusion.panelMaxTokens = tokens }
        if let bytes = plugin?.memoryBudget { fusion.memoryBudget = bytes }
        return fusion
    }

    /// Request-level sampling: the panel's (unless the plugin set it) and, when the fused answer is
    /// what the client reads (not the tool's input), its length and stop strings. For the tool,
    /// max_tokens and stop shape the outer model's answer only.
    private func apply(_ request: ChatCompletionRequest, to fusion: inout FusionRequest, answersClient: Bool = true) {
        if request.fusionPlugin?.temperature == nil && request.fusionTool?.temperature == nil,
           let temperature = request.temperature { fusion.temperature = temperature }
        request.applySampling(to: &fusion)
        if let seed = request.seed { fusion.seed = seed }
        // The client's length and stop strings end the answer it reads; the panel's answers are not cut by them.
        if answersClient {
            if let tokens = request.maxTokens { fusion.synthesisMaxTokens = tokens }
            fusion.finalStop = request.stop
        }
        fusion.contextSize = contextSize
        fusion.threads = threads
    }

    /// A catalog id (downloaded or not: a missing member becomes a `failed_models` entry), a seat
    /// chain alias or a `remote:<provider>/<model>` of the providers file.
    private func requireKnown(_ model: String, param: String) throws(APIError) {
        guard store.catalog.ids.contains(model) || remote.knows(model) else { throw APIError.modelNotFound(model, known: localModels).with(param: param) }
    }

    /// A catalog id whose file is on disk. Paths are refused: clients must not name server files.
    private func requireLocal(_ model: String, param: String) throws(APIError) {
        guard localModels.contains(model) else { throw APIError.modelNotFound(model, known: advertisedModels).with(param: param) }
    }
}

extension APIError {
    func with(param: String) -> APIError {
        var copy = self
        copy.param = param
        return copy
    }
}
