// The grammar checks of RFC 9112 that the parser applies to each line, and the framing decision
// for the body. Strictness here is deliberate: every ambiguity in framing (two lengths, a length plus
// chunked, an unknown coding) is a request-smuggling vector, so it is refused rather than guessed.

extension HTTPRequestParser {
    /// How the body of the current request is delimited.
    enum Framing: Equatable {
        case none
        case length(Int)
        case chunked
    }

    /// `method SP request-target SP HTTP-version`, exactly one space apart.
    mutating func parseRequestLine(_ line: ArraySlice<UInt8>) -> HTTPParseError? {
        let parts = line.split(separator: 0x20, omittingEmptySubsequences: false)
        guard parts.count == 3, parts.allSatisfy({ !$0.isEmpty }) else {
            return .badRequest("Malformed request line.")
        }
        guard parts[0].allSatisfy(Self.isTokenByte) else { return .badRequest("Malformed request method.") }
        // Visible ASCII only: rejects control bytes, NUL and anything non-ASCII (including invalid
        // UTF-8); clients percent-encode everything else.
        guard parts[1].allSatisfy({ (0x21...0x7E).contains($0) }) else {
            return .badRequest("The request target contains invalid characters.")
        }
        let versionBytes = Array(parts[2])
        guard versionBytes.count == 8, versionBytes.starts(with: Array("HTTP/".utf8)), versionBytes[6] == UInt8(ascii: "."),
              let major = Self.digit(versionBytes[5]), let minor = Self.digit(versionBytes[7]) else {
            return .badRequest("Malformed HTTP version.")
        }
        guard major == 1 else {
            return HTTPParseError(.httpVersionNotSupported, "Only HTTP/1.0 and HTTP/1.1 are supported.")
        }
        method = String(decoding: parts[0], as: UTF8.self)
        target = String(decoding: parts[1], as: UTF8.self)
        // HTTP/1.2+ would be compatible with 1.1 (RFC 9110 §2.5), so treat any minor ≥ 1 as 1.1.
        version = minor == 0 ? .http1_0 : .http1_1
        return nil
    }

    /// `field-name ":" OWS field-value OWS`.
    static func parseField(_ line: ArraySlice<UInt8>) -> Result<HTTPHeaders.Field, HTTPParseError> {
        if let first = line.first, first == 0x20 || first == 0x09 {
            return .failure(.badRequest("Obsolete header line folding is not supported."))
        }
        guard let colon = line.firstIndex(of: UInt8(ascii: ":")) else {
            return .failure(.badRequest("Malformed header line (no colon)."))
        }
        let name = line[line.startIndex..<colon]
        guard !name.isEmpty, name.allSatisfy(isTokenByte) else {
            return .failure(.badRequest("Malformed header name."))
        }
        var value = line[(colon + 1)...]
        while let first = value.first, first == 0x20 || first == 0x09 { value.removeFirst() }
        while let last = value.last, last == 0x20 || last == 0x09 { value.removeLast() }
        // field-vchar / SP / HTAB / obs-text; control characters are refused.
        guard value.allSatisfy({ $0 == 0x09 || $0 >= 0x20 && $0 != 0x7F }) else {
            return .failure(.badRequest("Invalid character in a header value."))
        }
        let text = String(validating: value, as: UTF8.self)
            // Legacy senders use Latin-1; map bytes one-to-one rather than reject or lose them.
            ?? String(String.UnicodeScalarView(value.map { Unicode.Scalar($0) }))
        return .success(HTTPHeaders.Field(name: String(decoding: name, as: UTF8.self), value: text))
    }

    /// `chunk-size [; chunk-ext]`: hex digits, at most 15 of them (anything larger cannot be a valid
    /// body here, and this keeps the arithmetic far from overflow).
    static func parseChunkSize(_ line: ArraySlice<UInt8>) -> Int? {
        var digits = line
        if let semicolon = line.firstIndex(of: UInt8(ascii: ";")) { digits = line[line.startIndex..<semicolon] }
        while let last = digits.last, last == 0x20 || last == 0x09 { digits.removeLast() }
        guard !digits.isEmpty, digits.count <= 15 else { return nil }
        var size = 0
        for byte in digits {
            guard let value = hexValue(byte) else { return nil }
            size = size * 16 + value
        }
        return size
    }

    /// Decides the body framing from Content-Length / Transfer-Encoding (RFC 9112 §6.3).
    func bodyFraming() -> Result<Framing, HTTPParseError> {
        let hosts = headers.values(for: "Host")
        if version == .http1_1 && hosts.isEmpty { return .failure(.badRequest("Missing Host header.")) }
        if hosts.count > 1 { return .failure(.badRequest("Multiple Host headers.")) }

        let lengths = headers.values(for: "Content-Length")
        if headers.contains("Transfer-Encoding") {
            if !lengths.isEmpty {
                return .failure(.badRequest("Content-Length and Transfer-Encoding must not both be present."))
            }
            if version == .http1_0 {
                return .failure(.badRequest("Transfer-Encoding is not allowed in HTTP/1.0 requests."))
            }
            let codings = headers.tokens(for: "Transfer-Encoding")
            guard codings.last == "chunked", codings.filter({ $0 == "chunked" }).count == 1 else {
                return .failure(.badRequest("Transfer-Encoding must end with a single chunked coding."))
            }
            guard codings.count == 1 else {
                return .failure(HTTPParseError(.notImplemented, "Only the chunked transfer coding is supported."))
            }
            return .success(.chunked)
        }
        guard !lengths.isEmpty else { return .success(.none) }

        // Several identical values (or a list of them) are tolerated; differing ones are not.
        let items = lengths.flatMap { $0.split(separator: ",", omittingEmptySubsequences: false) }
            .map { $0.trimmingASCIIWhitespace() }
        guard let first = items.first, items.allSatisfy({ $0 == first }),
              !first.isEmpty, first.utf8.allSatisfy({ (0x30...0x39).contains($0) }) else {
            return .failure(.badRequest("Invalid Content-Length header."))
        }
        // Digits only, so the one way to fail conversion is a number too large for Int: too large.
        guard let length = Int(first), length <= limits.maxBodyBytes else { return .failure(bodyTooLarge()) }
        return .success(length == 0 ? .none : .length(length))
    }

    /// RFC 9110 `tchar`: the characters allowed in methods and header names.
    static func isTokenByte(_ byte: UInt8) -> Bool {
        switch byte {
        case 0x30...0x39, 0x41...0x5A, 0x61...0x7A: return true
        // ! # $ % & ' * + - . ^ _ ` | ~
        case 0x21, 0x23...0x27, 0x2A, 0x2B, 0x2D, 0x2E, 0x5E...0x60, 0x7C, 0x7E: return true
        default: return false
        }
    }

    private static func digit(_ byte: UInt8) -> Int? {
        (0x30...0x39).contains(byte) ? Int(byte - 0x30) : nil
    }

    private static func hexValue(_ byte: UInt8) -> Int? {
        switch byte {
        case 0x30...0x39: return Int(byte - 0x30)
        case 0x41...0x46: return Int(byte - 0x41 + 10)
        case 0x61...0x66: return Int(byte - 0x61 + 10)
        default: return nil
        }
    }
}
