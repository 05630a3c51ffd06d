internal import CLlama

/// Owns a llama.cpp sampler chain built from `GenerationParameters`, plus an optional grammar.
///
/// Order follows llama-server: penalties → top-k → typical → top-p → min-p → temperature →
/// dist(seed); temperature ≤ 0 ends the chain with greedy instead. A grammar is kept outside the
/// chain: checking it against the whole vocabulary every step costs ~1.8× decode time on a 150k
/// vocabulary, so the chain picks first and the grammar only checks that one token, falling back
/// to masking the full vocabulary when it is rejected (as llama-server's sampler does).
final class SamplerChain {
    let pointer: UnsafeMutablePointer<llama_sampler>
    private let grammar: UnsafeMutablePointer<llama_sampler>?
    private var candidates: [llama_token_data] = []
    /// Greedy without penalties: the pick is the argmax of the logits, no candidate array needed
    /// (building one costs ~0.5 ms per token on a 262k vocabulary).
    private let pureGreedy: Bool
    let seed: UInt32

    init(parameters p: GenerationParameters, vocabulary: Vocabulary) throws(LlamaError) {
        var grammarSampler: UnsafeMutablePointer<llama_sampler>?
        if let text = p.grammar {
            guard let g = llama_sampler_init_grammar(vocabulary.pointer, text, "root") else {
                throw .invalidGrammar(reason: "llama.cpp could not parse the GBNF grammar")
            }
            grammarSampler = g
        }
        var chainParams = llama_sampler_chain_default_params()
        chainParams.no_perf = true
        guard let chain = llama_sampler_chain_init(chainParams) else {
            if let grammarSampler { llama_sampler_free(grammarSampler) }
            throw .invalidParameter(name: "sampler", reason: "llama.cpp could not create a sampler chain")
        }
        pointer = chain
        grammar = grammarSampler
        seed = p.seed == 0xFFFF_FFFF ? UInt32.random(in: 0..<UInt32.max) : p.seed
        let penalties = p.repeatPenalty != 1 || p.frequencyPenalty != 0 || p.presencePenalty != 0
        pureGreedy = p.temperature <= 0 && !penalties && grammarSampler == nil

        if p.repeatPenalty != 1 || p.frequencyPenalty != 0 || p.presencePenalty != 0 {
            llama_sampler_chain_add(chain, llama_sampler_init_penalties(
                Int32(vocabulary.count), Int32(p.repeatLastN), Float(p.repeatPenalty),
                Float(p.frequencyPenalty), Float(p.presencePenalty)))
        }
        if p.temperature <= 0 {
            llama_sampler_chain_add(chain, llama_sampler_init_greedy())
            return
        }
        if p.topK > 0 { llama_sampler_chain_add(chain, llama_sampler_init_top_k(Int32(p.topK))) }
        if p.typicalP < 1 { llama_sampler_chain_add(chain, llama_sampler_init_typical(Float(p.typicalP), 1)) }
        if p.topP < 1 { llama_sampler_chain_add(chain, llama_sampler_init_top_p(Float(p.topP), 1)) }
        if p.minP > 0 { llama_sampler_chain_add(chain, llama_sampler_init_min_p(Float(p.minP), 1)) }
        llama_sampler_chain_add(chain, llama_sampler_init_temp(Float(p.temperature)))
        llama_sampler_chain_add(chain, llama_sampler_init_dist(seed))
    }

    deinit {
        llama_sampler_free(pointer)
        if let grammar { llama_sampler_free(grammar) }
    }

    /// Samples (and accepts) a token from the logits at `outputIndex` of the last decode.
    func sample(context: OpaquePointer, outputIndex: Int32) -> Token {
        if pureGreedy, let logits = llama_get_logits_ith(context, outputIndex) {
            let count = Int(llama_vocab_n_tokens(llama_model_get_vocab(llama_get_model(context))))
            var best = 0
            var bestValue = logits[0]
            for i in 1..<count where logits[i] > bestValue {
                best = i
                bestValue = logits[i]
            }
            return Token(best)
        }
        guard let grammar else { return llama_sampler_sample(pointer, context, outputIndex) }
        guard let logits = llama_get_logits_ith(context, outputIndex) else {
            return llama_sampler_sample(pointer, context, outputIndex)
        }
        let vocabularySize = Int(llama_vocab_n_tokens(llama_model_get_vocab(llama_get_model(context))))

        // 1. Let the chain pick freely, then ask the grammar about that one token.
        let picked = pick(logits: logits, count: vocabularySize, masking: nil)
        var single = llama_token_data(id: picked, logit: logits[Int(picked)], p: 0)
        let allowed = withUnsafeMutablePointer(to: &single) { one -> Bool in
            var array = llama_token_data_array(data: one, size: 1, selected: -1, sorted: false)
            llama_sampler_apply(grammar, &array)
            return one.pointee.logit != -Float.infinity
        }
        // 2. Rejected: mask the whole vocabulary with the grammar and pick again.
        let token = allowed ? picked : pick(logits: logits, count: vocabularySize, masking: grammar)
        llama_sampler_accept(grammar, token)
        llama_sampler_accept(pointer, token)
        return token
    }

    /// Runs the chain (optionally after `masking`) over fresh candidates built from `logits`.
    private func pick(logits: UnsafeMutablePointer<Float>, count: Int,
                      masking: UnsafeMutablePointer<llama_sampler>?) -> Token {
        if candidates.count != count {
            candidates = [llama_token_data](repeating: llama_token_data(id: 0, logit: 0, p: 0), count: count)
        }
        return candidates.withUnsafeMutableBufferPointer { buffer -> Token in
            for i in 0..<count { buffer[i] = llama_token_data(id: Token(i), logit: logits[i], p: 0) }
            var array = llama_token_data_array(data: buffer.baseAddress, size: count, selected: -1, sorted: false)
            if let masking { llama_sampler_apply(masking, &array) }
            llama_sampler_apply(pointer, &array)
            guard array.selected >= 0, Int(array.selected) < array.size else { return buffer[0].id }
            return array.data[Int(array.selected)].id
        }
    }
}
