// One call to the endpoint — every attempt, backoff and the final verdict — run synchronously on
// a dedicated thread.
import Foundation

/// Runs attempts until one succeeds, a failure is final, retries run out, the overall deadline
/// passes or the caller cancels. Never retries once text reached the consumer.
struct CallRunner {
    let endpoint: RemoteEndpoint
    let request: RemoteChatRequest
    let cancellation: CancellationFlag
    /// Receives each text delta of a stream, on the transfer thread.
    let emit: @Sendable (String) -> Void

    /// How one attempt ended.
    private enum Verdict {
        case success
        case failure(RemoteError, retryable: Bool, retryAfter: Double?)
    }

    /// Header names the caller's `extraHeaders` cannot override.
    private static let reservedHeaders: Set<String> = [
        "content-type", "content-length", "transfer-encoding", "authorization", "x-localfusion-depth", "expect", "accept",
    ]

    private var host: String { endpoint.hostDescription }

    func run() -> Result<RemoteChatReply, RemoteError> {
        let start = DispatchTime.now().uptimeNanoseconds
        func elapsed() -> Double { Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9 }
        let body: [UInt8]
        do {
            body = Array(try JSONEncoder().encode(request))
        } catch {
            return .failure(.invalidResponse("the request for \(host) could not be encoded as JSON (\(error))"))
        }
        let policy = RetryPolicy(maxRetries: max(0, endpoint.maxRetries), baseDelay: endpoint.retryBaseDelay)
        var attempt = 0
        while true {
            attempt += 1
            if cancellation.isCancelled { return .failure(.cancelled) }
            let remaining = endpoint.overallTimeout.map { $0 - elapsed() }
            if let remaining, remaining <= 0 { return .failure(overallTimeoutError) }
            let reader = ResponseReader(streaming: request.stream, host: host, emit: emit)
            let settings = TransferSettings(url: endpoint.chatCompletionsURL, headers: headerLines, body: body,
                                            connectTimeout: endpoint.connectTimeout, readTimeout: endpoint.readTimeout,
                                            overallTimeout: remaining)
            let end = CurlTransfer(settings: settings, cancellation: cancellation, sink: reader).perform()
            switch verdict(for: end, reader: reader) {
            case .success:
                return .success(RemoteChatReply(text: reader.text, finishReason: reader.finishReason, usage: reader.usage,
                                                model: reader.model, attempts: attempt, seconds: elapsed()))
            case .failure(let error, let retryable, let retryAfter):
                if cancellation.isCancelled { return .failure(.cancelled) }
                let error = redacted(error)
                guard retryable, attempt <= policy.maxRetries, !reader.deliveredText else { return .failure(error) }
                let delay = policy.delay(beforeRetry: attempt, retryAfter: retryAfter)
                if let overall = endpoint.overallTimeout, elapsed() + delay >= overall { return .failure(error) }
                guard cancellation.sleep(seconds: delay) else { return .failure(.cancelled) }
            }
        }
    }

    /// Content type, accept, depth marker, bearer key when set, then the caller's extra headers
    /// (minus reserved names and anything that could inject a header line).
    private var headerLines: [String] {
        var lines = ["Content-Type: application/json",
                     "Accept: " + (request.stream ? "text/event-stream" : "application/json"),
                     "X-LocalFusion-Depth: 1",
                     "Expect:"]     // no 100-continue round trip
        if let key = endpoint.apiKey, !key.isEmpty { lines.append("Authorization: Bearer " + key) }
        for (name, value) in endpoint.extraHeaders.sorted(by: { $0.key < $1.key }) {
            let unsafe = name.isEmpty || name.contains(where: { $0 == ":" || $0.isWhitespace || $0.isNewline })
                || value.contains(where: \.isNewline)
            if unsafe || Self.reservedHeaders.contains(name.lowercased()) { continue }
            lines.append("\(name): \(value)")
        }
        return lines
    }

    private func verdict(for end: TransferEnd, reader: ResponseReader) -> Verdict {
        if cancellation.isCancelled { return .failure(.cancelled, retryable: false, retryAfter: nil) }
        switch end {
        case .cancelled:
            return .failure(.cancelled, retryable: false, retryAfter: nil)
        case .readStalled:
            return .failure(.timeout("\(host) sent nothing for \(Self.seconds(endpoint.readTimeout))"),
                            retryable: false, retryAfter: nil)
        case .timedOut(connecting: true, _):
            return .failure(.timeout("could not connect to \(host) within \(Self.seconds(endpoint.connectTimeout))"),
                            retryable: true, retryAfter: nil)
        case .timedOut(connecting: false, _):
            return .failure(overallTimeoutError, retryable: false, retryAfter: nil)
        case .couldNotConnect(let detail):
            return .failure(.connectionFailed("could not connect to \(host) (\(detail))"), retryable: true, retryAfter: nil)
        case .failed(let detail):
            return .failure(.connectionFailed("the request to \(host) failed (\(detail))"), retryable: false, retryAfter: nil)
        case .connectionLost(let detail, let afterBytes):
            if let failure = reader.failure { return .failure(failure, retryable: false, retryAfter: nil) }
            if reader.status >= 300 { return httpVerdict(reader) }
            if reader.sawDone || (request.stream && reader.finishReason != nil) { return .success }
            let when = afterBytes ? "in the middle of the response" : "before it answered"
            return .failure(.connectionFailed("the connection to \(host) broke \(when) (\(detail))"),
                            retryable: true, retryAfter: nil)
        case .completed, .abortedBySink:
            if let failure = reader.failure { return .failure(failure, retryable: false, retryAfter: nil) }
            guard (200...299).contains(reader.status) else { return httpVerdict(reader) }
            if let error = reader.finishSuccessfulBody() { return .failure(error, retryable: false, retryAfter: nil) }
            return .success
        }
    }

    /// A non-2xx answer: retried for 429 and 5xx, honouring `Retry-After`.
    private func httpVerdict(_ reader: ResponseReader) -> Verdict {
        let status = reader.status
        guard status >= 400 else {
            return .failure(.invalidResponse("\(host) answered with unexpected HTTP status \(status)"),
                            retryable: false, retryAfter: nil)
        }
        let retryable = status == 429 || (500...599).contains(status)
        return .failure(reader.httpError, retryable: retryable,
                        retryAfter: RetryPolicy.parseRetryAfter(reader.headers["retry-after"]))
    }

    private var overallTimeoutError: RemoteError {
        .timeout("\(host) did not finish within the overall limit of \(Self.seconds(endpoint.overallTimeout ?? 0))")
    }

    /// The same error with the API key scrubbed from every message (servers sometimes echo it).
    private func redacted(_ error: RemoteError) -> RemoteError {
        switch error {
        case .connectionFailed(let text): .connectionFailed(endpoint.redacting(text))
        case .timeout(let text): .timeout(endpoint.redacting(text))
        case .http(let status, let message): .http(status: status, message: endpoint.redacting(message))
        case .invalidResponse(let text): .invalidResponse(endpoint.redacting(text))
        case .cancelled: .cancelled
        }
    }

    private static func seconds(_ value: Double) -> String {
        value == value.rounded() ? "\(Int(value)) s" : String(format: "%.2f s", value)
    }
}
