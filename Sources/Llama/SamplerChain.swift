internal import CLlama

/// Owns a llama.cpp sampler chain built from `GenerationParameters`.
///
/// Order follows llama-server: grammar first (it only masks), then penalties → top-k → typical →
/// top-p → min-p → temperature → dist(seed). Temperature ≤ 0 ends the chain with greedy instead.
final class SamplerChain {
    let pointer: UnsafeMutablePointer<llama_sampler>
    let seed: UInt32

    init(parameters p: GenerationParameters, vocabulary: Vocabulary) throws(LlamaError) {
        var chainParams = llama_sampler_chain_default_params()
        chainParams.no_perf = true
        guard let chain = llama_sampler_chain_init(chainParams) else {
            throw .invalidParameter(name: "sampler", reason: "llama.cpp could not create a sampler chain")
        }
        pointer = chain
        seed = p.seed == 0xFFFF_FFFF ? UInt32.random(in: 0..<UInt32.max) : p.seed

        if let grammar = p.grammar {
            guard let g = llama_sampler_init_grammar(vocabulary.pointer, grammar, "root") else {
                llama_sampler_free(chain)
                throw .invalidGrammar(reason: "llama.cpp could not parse the GBNF grammar")
            }
            llama_sampler_chain_add(chain, g)
        }
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

    deinit { llama_sampler_free(pointer) }

    /// Samples (and accepts) a token from the logits at `outputIndex` of the last decode.
    func sample(context: OpaquePointer, outputIndex: Int32) -> Token {
        llama_sampler_sample(pointer, context, outputIndex)
    }
}
