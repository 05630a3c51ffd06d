import Fusion
import HTTPServer
import Llama

/// Writes one answer either as a single `chat.completion` document or as `chat.completion.chunk`
/// events, so every route (single model, fusion, fusion tool) has one code path for both.
///
/// A stream is only started by `begin()`: errors found before that still get a real HTTP status.
final class AnswerWriter {
    let writer: ResponseWriter
    let streaming: Bool
    let includeUsage: Bool
    let chunks: ChunkFactory
    private(set) var started = false
    private var text = ""

    init(writer: ResponseWriter, request: ChatCompletionRequest) {
        self.writer = writer
        streaming = request.stream
        includeUsage = request.includeUsage
        chunks = ChunkFactory(model: request.model)
    }

    /// Opens the SSE stream with the role chunk (nothing for a JSON answer).
    func begin() async {
        guard streaming, !started else { return }
        started = true
        writer.startEventStream()
        await event(chunks.role())
    }

    /// A progress note as an SSE comment, which OpenAI clients skip; also keeps proxies from
    /// timing out while the panel works silently.
    func progress(_ note: String) async {
        guard streaming, started else { return }
        await writer.sendComment(note)
    }

    func delta(_ piece: String) async {
        guard !piece.isEmpty else { return }
        if streaming {
            await begin()
            await event(chunks.text(piece))
        } else {
            text += piece
        }
    }

    /// The final chunk (finish reason, `fusion` details), the usage chunk and `[DONE]` — or the whole document.
    func finish(reason: String, usage: TokenUsage, fusion: FusionDetails?) async -> Int {
        if streaming {
            await begin()
            await event(chunks.finish(reason, fusion: fusion))
            if includeUsage { await event(chunks.usage(usage)) }
            await writer.sendEvent(data: "[DONE]")
            writer.finish()
        } else {
            writer.send(.json(WireJSON.encode(chunks.completion(text: text, finishReason: reason, usage: usage, fusion: fusion))))
        }
        return 200
    }

    /// An error: a normal error response before the stream started, else an `error` event (the
    /// `openai` client raises it as an APIError) and `[DONE]`.
    func fail(_ error: APIError) async -> Int {
        guard streaming, started else {
            var headers = error.headers
            headers.add(name: "Content-Type", value: "application/json")
            writer.send(HTTPResponse(status: error.status, headers: headers, body: error.body.jsonBytes))
            return error.status.code
        }
        await writer.sendEvent(data: String(decoding: error.body.jsonBytes, as: UTF8.self))
        await writer.sendEvent(data: "[DONE]")
        writer.finish()
        return error.status.code
    }

    private func event<T: Encodable>(_ value: T) async {
        await writer.sendEvent(data: WireJSON.string(value))
    }
}
