// An incremental HTTP/1.1 request parser. Bytes are appended as they arrive, in any split, and
// `next()` yields complete requests in order, which gives pipelining for free: leftover bytes after
// one request are simply the start of the next. Every stage has a limit checked *before* buffering
// more, so memory per connection is bounded by the configured limits no matter what a client sends.

/// Turns a byte stream into requests, one event at a time.
struct HTTPRequestParser {
    /// The size limits enforced while parsing.
    struct Limits: Equatable {
        var maxRequestLineBytes: Int
        var maxHeaderBytes: Int
        var maxHeaderCount: Int
        var maxBodyBytes: Int
    }

    /// What the parser found.
    enum Event: Equatable {
        /// A complete request; the parser is ready for the next one.
        case request(HTTPRequest)
        /// The head asked for `Expect: 100-continue` and the body has not started: send 100 now.
        case continueExpected
        /// The request is invalid; respond with the error and close the connection.
        case failure(HTTPParseError)
    }

    private enum State: Equatable {
        case requestLine
        case headers
        case body(remaining: Int)
        case chunkSize
        case chunkData(remaining: Int)
        case chunkDataEnd
        case trailers
        case failed
    }

    /// A chunk-size line is a hex number plus optional extensions, which we ignore; this bounds them.
    static let maxChunkSizeLineBytes = 4096

    let limits: Limits
    private var buffer: [UInt8] = []
    private var readIndex = 0
    /// Where the search for the next LF resumes, so a line arriving byte by byte is scanned once.
    private var scanIndex = 0
    private var state = State.requestLine

    // The request being assembled (internal: the syntax extension fills them in).
    var method = ""
    var target = ""
    var version = HTTPVersion.http1_1
    var headers = HTTPHeaders()
    private var headerBytes = 0
    private var body: [UInt8] = []

    init(limits: Limits) {
        self.limits = limits
    }

    /// Bytes received but not yet consumed by ``next()``.
    var bufferedByteCount: Int { buffer.count - readIndex }

    /// Whether part of a request has arrived (so a timeout now is a 408, not an idle close).
    var isMidRequest: Bool { state != .requestLine || bufferedByteCount > 0 }

    /// Adds received bytes.
    mutating func append(_ bytes: UnsafeRawBufferPointer) {
        compact()
        buffer.append(contentsOf: bytes)
    }

    /// Adds received bytes.
    mutating func append(_ bytes: [UInt8]) {
        bytes.withUnsafeBytes { append($0) }
    }

    /// The next event, or nil when more bytes are needed (or after a failure).
    mutating func next() -> Event? {
        while true {
            switch state {
            case .failed:
                return nil
            case .requestLine:
                switch takeLine(limit: limits.maxRequestLineBytes + 2) { // + CRLF
                case .needMore: return nil
                case .tooLong: return fail(HTTPParseError(.uriTooLong, "The request line exceeds \(limits.maxRequestLineBytes) bytes."))
                case .invalid(let error): return fail(error)
                case .line(let line, _):
                    // RFC 9112 §2.2: ignore empty lines before a request line (robustness after a body).
                    if line.isEmpty { continue }
                    if let error = parseRequestLine(line) { return fail(error) }
                    state = .headers
                }
            case .headers:
                switch takeLine(limit: limits.maxHeaderBytes - headerBytes) {
                case .needMore: return nil
                case .tooLong: return fail(headersTooLarge())
                case .invalid(let error): return fail(error)
                case .line(let line, let consumed):
                    headerBytes += consumed
                    if line.isEmpty {
                        if let event = finishHead() { return event }
                        continue
                    }
                    if headers.count >= limits.maxHeaderCount { return fail(headersTooLarge()) }
                    switch Self.parseField(line) {
                    case .success(let field): headers.add(name: field.name, value: field.value)
                    case .failure(let error): return fail(error)
                    }
                }
            case .body(let remaining):
                let count = min(remaining, bufferedByteCount)
                body.append(contentsOf: buffer[readIndex..<readIndex + count])
                readIndex += count
                if count < remaining {
                    state = .body(remaining: remaining - count)
                    return nil
                }
                return complete()
            case .chunkSize:
                switch takeLine(limit: Self.maxChunkSizeLineBytes) {
                case .needMore: return nil
                case .tooLong: return fail(.badRequest("A chunk-size line is too long."))
                case .invalid(let error): return fail(error)
                case .line(let line, _):
                    guard let size = Self.parseChunkSize(line) else {
                        return fail(.badRequest("Invalid chunked encoding: bad chunk size."))
                    }
                    if size == 0 {
                        state = .trailers
                    } else if size > limits.maxBodyBytes - body.count {
                        return fail(bodyTooLarge())
                    } else {
                        state = .chunkData(remaining: size)
                    }
                }
            case .chunkData(let remaining):
                let count = min(remaining, bufferedByteCount)
                body.append(contentsOf: buffer[readIndex..<readIndex + count])
                readIndex += count
                if count < remaining {
                    state = .chunkData(remaining: remaining - count)
                    return nil
                }
                state = .chunkDataEnd
            case .chunkDataEnd:
                // The CRLF after chunk data; anything else means the declared size was wrong.
                guard bufferedByteCount >= 1 else { return nil }
                if buffer[readIndex] == 0x0A {
                    readIndex += 1
                } else if buffer[readIndex] == 0x0D {
                    guard bufferedByteCount >= 2 else { return nil }
                    guard buffer[readIndex + 1] == 0x0A else { return fail(.badRequest("Invalid chunked encoding: missing CRLF after chunk data.")) }
                    readIndex += 2
                } else {
                    return fail(.badRequest("Invalid chunked encoding: chunk data longer than its declared size."))
                }
                state = .chunkSize
            case .trailers:
                switch takeLine(limit: limits.maxHeaderBytes - headerBytes) {
                case .needMore: return nil
                case .tooLong: return fail(headersTooLarge())
                case .invalid(let error): return fail(error)
                case .line(let line, let consumed):
                    headerBytes += consumed
                    if line.isEmpty { return complete() }
                    // Trailer fields are checked for syntax but not merged: nothing here uses them,
                    // and merging late fields into headers invites framing confusion.
                    if case .failure(let error) = Self.parseField(line) { return fail(error) }
                }
            }
        }
    }

    // MARK: - Stages

    /// Validates the head once the empty line arrives and chooses how the body is framed.
    private mutating func finishHead() -> Event? {
        switch bodyFraming() {
        case .failure(let error):
            return fail(error)
        case .success(let framing):
            let expectations = headers.tokens(for: "Expect")
            if !expectations.isEmpty && expectations != ["100-continue"] {
                return fail(HTTPParseError(.expectationFailed, "Unsupported Expect header; only 100-continue is supported."))
            }
            switch framing {
            case .none:
                return complete()
            case .length(let length):
                body.reserveCapacity(length)
                state = .body(remaining: length)
            case .chunked:
                state = .chunkSize
            }
            // Only worth a 100 if the client is actually waiting (no body bytes sent yet).
            let wantsContinue = !expectations.isEmpty && version == .http1_1 && bufferedByteCount == 0
            return wantsContinue ? .continueExpected : nil
        }
    }

    private mutating func complete() -> Event {
        let request = HTTPRequest(method: method, target: target, version: version, headers: headers, body: body)
        method = ""
        target = ""
        headers = HTTPHeaders()
        headerBytes = 0
        body = []
        state = .requestLine
        return .request(request)
    }

    private mutating func fail(_ error: HTTPParseError) -> Event {
        state = .failed
        return .failure(error)
    }

    private func headersTooLarge() -> HTTPParseError {
        HTTPParseError(.requestHeaderFieldsTooLarge,
                       "Request headers exceed \(limits.maxHeaderBytes) bytes or \(limits.maxHeaderCount) fields.")
    }

    func bodyTooLarge() -> HTTPParseError {
        HTTPParseError(.contentTooLarge, "The request body exceeds \(limits.maxBodyBytes) bytes.")
    }

    // MARK: - Lines

    private enum LineResult {
        /// The line without its terminator, and the bytes consumed including the terminator.
        case line(ArraySlice<UInt8>, consumed: Int)
        case needMore
        case tooLong
        case invalid(HTTPParseError)
    }

    /// Takes one line ending in CRLF (or a bare LF, which RFC 9112 lets recipients accept) if it is
    /// complete and no longer than `limit` bytes including its terminator.
    private mutating func takeLine(limit: Int) -> LineResult {
        let searchStart = max(scanIndex, readIndex)
        guard let newline = buffer[searchStart...].firstIndex(of: 0x0A) else {
            scanIndex = buffer.count
            return bufferedByteCount > limit ? .tooLong : .needMore
        }
        let consumed = newline + 1 - readIndex
        if consumed > limit { return .tooLong }
        var end = newline
        if end > readIndex && buffer[end - 1] == 0x0D { end -= 1 }
        let line = buffer[readIndex..<end]
        readIndex = newline + 1
        scanIndex = readIndex
        if line.contains(0) { return .invalid(.badRequest("NUL byte in the request head.")) }
        if line.contains(0x0D) { return .invalid(.badRequest("Bare CR in the request head.")) }
        return .line(line, consumed: consumed)
    }

    /// Drops consumed bytes so the buffer holds only what is still needed.
    private mutating func compact() {
        guard readIndex > 0 else { return }
        if readIndex == buffer.count {
            // Give back the memory of a large body, but keep a small buffer for the next request.
            buffer.removeAll(keepingCapacity: buffer.capacity <= 64 * 1024)
        } else if readIndex >= 4096 && readIndex * 2 >= buffer.count {
            buffer.removeSubrange(0..<readIndex)
        } else {
            return
        }
        scanIndex = max(0, scanIndex - readIndex)
        readIndex = 0
    }
}
