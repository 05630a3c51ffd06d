import Foundation
import Fusion
import HTTPServer
import Llama

/// `POST /v1/chat/completions`: parse, route, wait for a slot, answer (JSON or SSE).
extension FusionAPIServer {
    /// Returns the metrics route label and the status sent.
    func chatCompletions(_ http: HTTPRequest, _ writer: ResponseWriter) async -> (String, Int) {
        let request: ChatCompletionRequest
        let route: ModelRoute
        do {
            request = try ChatCompletionRequest.parse(http.body)
            let depth = Int(http.headers["X-LocalFusion-Depth"]?.trimmingCharacters(in: .whitespaces) ?? "") ?? 0
            route = try router.route(request, depth: depth)
        } catch {
            return ("chat", send(APIError.from(error), to: writer))
        }
        let label: String
        switch route {
        case .single: label = "chat"
        case .fusion: label = "fusion"
        case .tool: label = "fusion_tool"
        }
        if let error = readinessError() { return (label, send(error, to: writer)) }
        let ticket: AdmissionTicket
        do { ticket = try await admission.acquire() } catch {
            return (label, send(APIError.from(error), to: writer))
        }
        let out = AnswerWriter(writer: writer, request: request)
        let status: Int
        switch route {
        case .single(let model):
            status = await answerWithModel(model, messages: request.messages, request: request, out: out, prior: nil)
        case let .fusion(fusion, kind, preset):
            status = await answerWithFusion(fusion, kind: kind, preset: preset, out: out)
        case let .tool(outer, fusion, preset):
            status = await answerWithTool(outer: outer, fusion: fusion, preset: preset, request: request, out: out)
        }
        await admission.release(ticket)
        return (label, status)
    }

    /// Sampling for a single-model answer, from the request (llama-server's defaults otherwise).
    func parameters(for request: ChatCompletionRequest) -> GenerationParameters {
        var p = GenerationParameters(maxTokens: request.maxTokens ?? configuration.contextSize,
                                     temperature: request.temperature ?? 0.8,
                                     seed: request.seed ?? 0xFFFF_FFFF, stop: request.stop)
        request.applySampling(to: &p)
        return p
    }

    /// One local model answers `messages`. `prior` (the fusion tool's result) is added to usage and details.
    func answerWithModel(_ model: String, messages: [ChatMessage], request: ChatCompletionRequest, out: AnswerWriter,
                         prior: (result: FusionResult, details: FusionDetails)?) async -> Int {
        let chat = ChatRequest(model: model, messages: messages, parameters: parameters(for: request),
                               contextSize: configuration.contextSize)
        do {
            for try await event in engine.chat(chat).events {
                switch event {
                // The stream opens once the prompt is in the context, so a prompt that does not fit
                // still gets its 400 instead of a 200 stream carrying an error.
                case .started: break
                case .promptProcessed: await out.begin()
                case .text(let piece): await out.delta(piece)
                case .finished(let summary):
                    metrics.tokens(summary.usage)
                    if summary.stopReason == .cancelled { return await out.fail(APIError(FusionError.cancelled)) }
                    let usage = prior.map { $0.result.usage + summary.usage } ?? summary.usage
                    return await out.finish(reason: summary.stopReason.wireName, usage: usage, fusion: prior?.details)
                }
            }
            return await out.fail(APIError(FusionError.cancelled))
        } catch {
            return await out.fail(APIError.from(error))
        }
    }

    func answerWithFusion(_ fusion: FusionRequest, kind: String, preset: String?, out: AnswerWriter) async -> Int {
        switch await runFusion(fusion, out: out, streamFinal: true) {
        case .failure(let error): return await out.fail(error)
        case .success(let result):
            return await out.finish(reason: (result.finishReason ?? .stop).wireName, usage: result.usage,
                                    fusion: FusionDetails(route: kind, preset: preset, result: result))
        }
    }

    /// The server tool: fusion runs first, its answer goes to the outer model as a system message
    /// after the conversation, and the outer model writes (and streams) the final answer.
    /// Not a second user turn: small models read that as a new question. On 8 short questions
    /// sampled 50 times each, qwen2.5-coder-0.5b gave the fused answer 208 of 400 times that way,
    /// 275 with no tool at all, and 349 with the system message (qwen2.5-coder-1.5b: 336, 373, 397).
    func answerWithTool(outer: String, fusion: FusionRequest, preset: String?, request: ChatCompletionRequest,
                        out: AnswerWriter) async -> Int {
        switch await runFusion(fusion, out: out, streamFinal: false) {
        case .failure(let error): return await out.fail(error)
        case .success(let result):
            let toolText = result.final.trimmingCharacters(in: .whitespacesAndNewlines)
            await out.progress("fusion tool: result received (\(toolText.count) characters); \(outer) writes the answer")
            let messages = request.messages + [.system("""
                The fusion tool compared the answers of a panel of models to the user's question and returned:

                \(toolText)

                Use this result to answer the user's question.
                """)]
            let details = FusionDetails(route: "tool", preset: preset, result: result, toolResult: toolText)
            return await answerWithModel(outer, messages: messages, request: request, out: out, prior: (result, details))
        }
    }

    /// Runs a fusion, sending progress as SSE comments (and the final text when `streamFinal`).
    private func runFusion(_ fusion: FusionRequest, out: AnswerWriter, streamFinal: Bool) async -> Result<FusionResult, APIError> {
        // Plan first: a request that cannot run (memory, missing judge) gets its own status, not a broken stream.
        do { _ = try engine.plan(fusion) } catch { return .failure(APIError.from(error)) }
        await out.begin()
        let run = engine.run(fusion)
        do {
            for try await event in run.events {
                switch event {
                case .planned(let plan):
                    await out.progress("fusion: plan \(plan.schedule.kind), \(fusion.panel.count) seats")
                case let .seat(index, model, state):
                    if let note = Self.progressNote(index: index, model: model, state: state) { await out.progress(note) }
                case .stage(let stage, let model):
                    await out.progress("fusion: \(stage.rawValue) by \(model)")
                case .analysis(let analysis, let note):
                    await out.progress(analysis != nil ? "fusion: analysis ready" : "fusion: no analysis (\(note ?? "judge failed"))")
                case .finalDelta(let piece):
                    if streamFinal { await out.delta(piece) }
                case .done(let result):
                    metrics.fusion(result)
                    metrics.tokens(result.usage)
                    return result.status == .ok ? .success(result) : .failure(APIError(failedFusion: result))
                case .seatDelta, .seatFinished, .seatFailed:
                    break
                }
            }
        } catch {
            return .failure(APIError.from(error))
        }
        return .failure(APIError(FusionError.cancelled))
    }

    /// Seat state changes worth a comment; token ticks only every 32 tokens.
    static func progressNote(index: Int, model: String, state: SeatState) -> String? {
        let seat = "fusion: seat \(index) \(model)"
        switch state {
        case .waiting: return nil
        case .loading: return "\(seat) loading"
        case .prefill(let tokens): return "\(seat) reading \(tokens) prompt tokens"
        case .generating(let tokens): return tokens % 32 == 0 ? "\(seat) \(tokens) tokens" : nil
        case let .done(tokens, seconds): return "\(seat) done, \(tokens) tokens in \(String(format: "%.1f", seconds)) s"
        case .failed(let why): return "\(seat) failed: \(why)"
        }
    }
}
