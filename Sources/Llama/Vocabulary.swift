internal import CLlama

/// A token id in a model's vocabulary.
public typealias Token = Int32

/// The tokenizer of a loaded model. Thread-safe: llama.cpp's tokenizer API is.
public struct Vocabulary: @unchecked Sendable {
    // @unchecked: an immutable C vocabulary; `owner` (the LlamaModel) keeps it alive as long as
    // this value exists, so a vocabulary can outlive the variable that held its model.
    let pointer: OpaquePointer
    let owner: AnyObject

    /// Number of tokens.
    public var count: Int { Int(llama_vocab_n_tokens(pointer)) }
    /// Whether the tokenizer adds a beginning-of-sequence token by itself.
    public var addsBOS: Bool { llama_vocab_get_add_bos(pointer) }
    /// The beginning-of-sequence token, if the model has one.
    public var bos: Token? { let t = llama_vocab_bos(pointer); return t < 0 ? nil : t }

    /// True for end-of-generation tokens (EOS, EOT, <|im_end|>, …).
    public func isEndOfGeneration(_ token: Token) -> Bool { llama_vocab_is_eog(pointer, token) }

    /// Text → tokens. `addSpecial` adds BOS/EOS as the model wants; `parseSpecial` lets text such as
    /// `<|im_start|>` become control tokens (wanted for chat-formatted prompts, not for user text).
    public func tokenize(_ text: String, addSpecial: Bool, parseSpecial: Bool) throws(LlamaError) -> [Token] {
        let utf8 = Array(text.utf8)
        guard utf8.count < Int(Int32.max) else { throw .tokenizationFailed(reason: "text too long") }
        var capacity = utf8.count + 8
        for _ in 0..<2 {
            var tokens = [Token](repeating: 0, count: capacity)
            let n = utf8.withUnsafeBufferPointer { bytes in
                bytes.withMemoryRebound(to: CChar.self) { chars in
                    llama_tokenize(pointer, chars.baseAddress, Int32(utf8.count), &tokens, Int32(capacity),
                                   addSpecial, parseSpecial)
                }
            }
            if n >= 0 { return Array(tokens.prefix(Int(n))) }
            if n == Int32.min { throw .tokenizationFailed(reason: "token count overflows") }
            capacity = Int(-n)
        }
        throw .tokenizationFailed(reason: "tokenizer kept asking for more space")
    }

    /// The raw bytes of one token's text (may be part of a multi-byte UTF-8 character).
    /// Special tokens render as nothing unless `special` is true.
    public func bytes(of token: Token, special: Bool = false) -> [UInt8] {
        var buffer = [CChar](repeating: 0, count: 64)
        var n = llama_token_to_piece(pointer, token, &buffer, Int32(buffer.count), 0, special)
        if n < 0 {
            buffer = [CChar](repeating: 0, count: Int(-n))
            n = llama_token_to_piece(pointer, token, &buffer, Int32(buffer.count), 0, special)
        }
        guard n > 0 else { return [] }
        return buffer.prefix(Int(n)).map { UInt8(bitPattern: $0) }
    }

    /// Tokens → text, replacing invalid UTF-8 with U+FFFD.
    public func text(of tokens: [Token], special: Bool = false) -> String {
        var decoder = UTF8StreamDecoder()
        var out = ""
        for token in tokens { out += decoder.append(bytes(of: token, special: special)) }
        return out + decoder.flush()
    }
}
