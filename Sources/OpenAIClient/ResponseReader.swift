// Interprets one attempt's response: an error body, a JSON completion, or an SSE stream.
import Foundation

/// The transfer sink for one attempt. For a stream it parses events as bytes arrive and hands
/// text deltas to `emit` immediately; for everything else it collects the body and decodes it at
/// the end. Lives on the transfer thread only.
final class ResponseReader: TransferSink {
    /// Largest body kept (a completion is kilobytes; this only stops a runaway server).
    static let maxBodyBytes = 32 << 20

    private let streaming: Bool
    private let emit: (String) -> Void
    private let host: String
    private(set) var status = 0
    private(set) var headers: [String: String] = [:]
    private var body: [UInt8] = []
    private var parser = SSEParser()
    private var parsesEvents = false
    private var decoder = JSONDecoder()

    /// Generated text so far.
    private(set) var text = ""
    private(set) var finishReason: String?
    private(set) var usage: RemoteUsage?
    private(set) var model: String?
    /// True once any delta went to the consumer: from then on the attempt must not be retried.
    private(set) var deliveredText = false
    /// `data: [DONE]` was seen.
    private(set) var sawDone = false
    /// Why the reader aborted the transfer, if it did so because of a problem.
    private(set) var failure: RemoteError?

    init(streaming: Bool, host: String, emit: @escaping (String) -> Void) {
        self.streaming = streaming
        self.host = host
        self.emit = emit
    }

    func receiveHead(status: Int, headers: [String: String]) {
        self.status = status
        self.headers = headers
        let contentType = headers["content-type"]?.lowercased() ?? ""
        // A server that ignores `stream: true` answers with JSON; read that as a completion.
        parsesEvents = streaming && (200...299).contains(status) && !contentType.hasPrefix("application/json")
    }

    func receiveBody(_ bytes: UnsafeRawBufferPointer) -> Bool {
        guard parsesEvents else {
            guard body.count + bytes.count <= Self.maxBodyBytes else {
                return fail(.invalidResponse("\(host) sent a body larger than \(Self.maxBodyBytes >> 20) MB"))
            }
            body.append(contentsOf: bytes)
            return true
        }
        do {
            for data in try parser.feed(bytes) where !handleEvent(data) { return false }
            return true
        } catch {
            return fail(.invalidResponse("\(host) sent an event-stream line longer than \(SSEParser.maxLineBytes >> 20) MB"))
        }
    }

    /// The body as an HTTP error (status outside 2xx).
    var httpError: RemoteError {
        .http(status: status, message: WireFormat.errorMessage(from: body))
    }

    /// After the transfer completed with a 2xx status: the finished result, or why it is not one.
    func finishSuccessfulBody() -> RemoteError? {
        if let failure { return failure }
        if parsesEvents {
            if sawDone { return nil }
            for data in parser.finish() where !handleEvent(data) { return failure }
            if sawDone || finishReason != nil { return nil }
            return .invalidResponse("the stream from \(host) ended early, without [DONE] or a finish_reason")
        }
        return decodeCompletion()
    }

    /// Handles one SSE event's data; false stops the transfer (at [DONE] or on bad data).
    private func handleEvent(_ data: String) -> Bool {
        if data == "[DONE]" {
            sawDone = true
            return false
        }
        let chunk: WireChunk
        do {
            chunk = try decoder.decode(WireChunk.self, from: Data(data.utf8))
        } catch {
            return fail(.invalidResponse("\(host) sent an event that is not a JSON chunk: \(WireFormat.excerpt(data))"))
        }
        if let error = chunk.error {
            return fail(.http(status: error.code ?? 500, message: error.message ?? "error in the stream from \(host)"))
        }
        if let model = chunk.model { self.model = model }
        if let usage = chunk.usage { self.usage = usage.usage }
        if let choice = chunk.choices?.first {
            if let piece = choice.delta?.content, !piece.isEmpty {
                text += piece
                deliveredText = true
                emit(piece)
            }
            if let reason = choice.finish_reason { finishReason = reason }
        }
        return true
    }

    private func decodeCompletion() -> RemoteError? {
        let completion: WireCompletion
        do {
            completion = try decoder.decode(WireCompletion.self, from: Data(body))
        } catch {
            let excerpt = WireFormat.excerpt(String(decoding: body.prefix(200), as: UTF8.self))
            return .invalidResponse("\(host) answered with something that is not a chat completion: \(excerpt)")
        }
        if let error = completion.error {
            return .http(status: error.code ?? 500, message: error.message ?? "error from \(host)")
        }
        guard let choice = completion.choices?.first else {
            return .invalidResponse("the completion from \(host) has no choices")
        }
        text = choice.message?.content ?? ""
        finishReason = choice.finish_reason
        usage = completion.usage?.usage
        model = completion.model
        if streaming, !text.isEmpty {
            deliveredText = true
            emit(text)
        }
        return nil
    }

    private func fail(_ error: RemoteError) -> Bool {
        failure = error
        return false
    }
}
