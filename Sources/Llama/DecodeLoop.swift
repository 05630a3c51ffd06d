internal import CLlama
import Foundation

/// Per-sequence state of a running generation.
private struct SequenceState {
    let index: Int
    let sampler: SamplerChain
    let parameters: GenerationParameters
    var decoder = UTF8StreamDecoder()
    var stopMatcher: StopMatcher
    var text = ""
    var generated = 0
    var decodeSteps = 0
    var position: Int32
    var outputIndex: Int32
    var finished = false
}

extension LlamaSession {
    /// The generation loop. Runs on `queue` only.
    ///
    /// One prefill of the prompt into sequence 0 (reusing the cached prefix), the KV copied to the
    /// other sequences, then every step samples one token per active sequence and decodes them
    /// together in one batch. The cancel flag is checked before every decode and, through
    /// llama.cpp's abort callback, inside long prompt evaluations.
    func runDecodeLoop(prompt: Prompt, parameters: [GenerationParameters], reusePrefix: Bool = true, flag: CancellationFlag,
                       emit: (BatchGenerationEvent) -> Void) throws {
        dispatchPrecondition(condition: .onQueue(queue))
        guard !parameters.isEmpty, parameters.count <= options.sequences else {
            throw LlamaError.invalidParameter(name: "samples",
                reason: "\(parameters.count) requested, this context holds \(options.sequences) sequences")
        }
        for p in parameters { try p.validate() }
        let (tokens, formatStops) = try self.tokens(for: prompt)
        guard !tokens.isEmpty else { throw LlamaError.tokenizationFailed(reason: "the prompt is empty") }
        let nCtx = contextSize
        guard tokens.count + parameters.count <= nCtx else {
            throw LlamaError.contextOverflow(promptTokens: tokens.count, contextSize: nCtx)
        }

        let flagPointer = Unmanaged.passUnretained(flag).toOpaque()
        llama_set_abort_callback(context, { data in
            guard let data else { return false }
            return Unmanaged<CancellationFlag>.fromOpaque(data).takeUnretainedValue().isCancelled
        }, flagPointer)
        defer { withExtendedLifetime(flag) { llama_set_abort_callback(context, nil, nil) } }

        // --- Prefill -------------------------------------------------------------------------
        let memory = llama_get_memory(context)
        for sequence in 1..<max(1, options.sequences) { _ = llama_memory_seq_rm(memory, Int32(sequence), -1, -1) }
        var keep = reusePrefix ? zip(cachedTokens, tokens).prefix { $0 == $1 }.count : 0
        if keep == tokens.count { keep -= 1 }   // the last prompt token must be decoded to get logits
        if !llama_memory_seq_rm(memory, 0, Int32(keep), -1) {
            llama_memory_clear(memory, true)    // e.g. sliding-window caches cannot drop a suffix
            keep = 0
        }
        cachedTokens.removeSubrange(keep...)

        var timings = GenerationTimings()
        timings.cachedTokens = keep
        let prefillStart = ContinuousClock.now
        var lastOutput: Int32 = 0
        var start = keep
        while start < tokens.count {
            if flag.isCancelled { break }
            let end = min(start + options.batchSize, tokens.count)
            batch.clear()
            for i in start..<end {
                lastOutput = batch.add(tokens[i], position: Int32(i), sequence: 0, wantsLogits: i == tokens.count - 1)
            }
            let rc = llama_decode(context, batch.raw)
            if rc != 0 {
                llama_memory_clear(memory, true)
                cachedTokens = []
                if rc == 2 || flag.isCancelled { break }
                throw LlamaError.decodeFailed(code: rc)
            }
            cachedTokens.append(contentsOf: tokens[start..<end])
            start = end
        }
        timings.prefillTokens = cachedTokens.count - keep
        timings.prefillSeconds = (ContinuousClock.now - prefillStart).seconds
        let promptDone = start >= tokens.count && !flag.isCancelled
        emit(.promptProcessed(tokens: tokens.count, cached: keep))

        // --- Decode --------------------------------------------------------------------------
        var states: [SequenceState] = []
        for (index, p) in parameters.enumerated() {
            if index > 0 && promptDone { llama_memory_seq_cp(memory, 0, Int32(index), -1, -1) }
            // The plain format's "\nUser:" stops play the end-of-turn token's part for template-less
            // models; ignoring end-of-generation (benchmarks) ignores them too.
            let stops = p.ignoreEOS ? p.stop : p.stop + formatStops
            states.append(SequenceState(
                index: index, sampler: try SamplerChain(parameters: p, vocabulary: model.vocabulary),
                parameters: p, stopMatcher: StopMatcher(stops: stops),
                position: Int32(tokens.count), outputIndex: lastOutput))
        }
        let decodeStart = ContinuousClock.now
        let usage = { (s: SequenceState) in TokenUsage(promptTokens: tokens.count, completionTokens: s.generated) }

        /// Ends a sequence: releases held-back text (unless a stop string ended it) and reports it.
        func finish(_ s: inout SequenceState, _ reason: StopReason, flush: Bool = true) {
            guard !s.finished else { return }
            s.finished = true
            if flush {
                var tail = ""
                switch s.stopMatcher.feed(s.decoder.flush()) {
                case .text(let t): tail = t + s.stopMatcher.flush()
                case .stop(let t): tail = t
                }
                if !tail.isEmpty {
                    s.text += tail
                    emit(.text(sequence: s.index, tail))
                }
            }
            var t = timings
            t.decodeSteps = s.decodeSteps
            t.decodeSeconds = (ContinuousClock.now - decodeStart).seconds
            emit(.finished(sequence: s.index, GenerationSummary(
                text: s.text, stopReason: reason, usage: usage(s), timings: t, seed: s.sampler.seed)))
        }

        if !promptDone {
            for i in states.indices { finish(&states[i], .cancelled) }
            return
        }
        var cellsUsed = tokens.count
        let vocabulary = model.vocabulary
        while states.contains(where: { !$0.finished }) {
            batch.clear()
            var decodedForSequence0: Token?
            for i in states.indices where !states[i].finished {
                if flag.isCancelled { finish(&states[i], .cancelled); continue }
                let token = states[i].sampler.sample(context: context, outputIndex: states[i].outputIndex)
                states[i].generated += 1
                if vocabulary.isEndOfGeneration(token) && !states[i].parameters.ignoreEOS {
                    finish(&states[i], .stop)
                    continue
                }
                let piece = states[i].decoder.append(vocabulary.bytes(of: token))
                switch states[i].stopMatcher.feed(piece) {
                case .text(let t):
                    if !t.isEmpty { states[i].text += t; emit(.text(sequence: i, t)) }
                case .stop(let t):
                    if !t.isEmpty { states[i].text += t; emit(.text(sequence: i, t)) }
                    finish(&states[i], .stop, flush: false)
                    continue
                }
                if states[i].generated >= states[i].parameters.maxTokens || cellsUsed >= nCtx {
                    finish(&states[i], .length)
                    continue
                }
                states[i].outputIndex = batch.add(token, position: states[i].position, sequence: Int32(i), wantsLogits: true)
                states[i].position += 1
                cellsUsed += 1
                if i == 0 { decodedForSequence0 = token }
            }
            if batch.isEmpty { break }
            if flag.isCancelled {
                for i in states.indices { finish(&states[i], .cancelled) }
                break
            }
            let rc = llama_decode(context, batch.raw)
            if rc == 2 || (rc != 0 && flag.isCancelled) {
                // Aborted mid-step: what reached the cache is unknown, so start clean next time.
                llama_memory_clear(memory, true)
                cachedTokens = []
                for i in states.indices { finish(&states[i], .cancelled) }
                break
            }
            if rc == 1 {
                for i in states.indices { finish(&states[i], .length) }   // KV cache full
                break
            }
            if rc != 0 {
                llama_memory_clear(memory, true)
                cachedTokens = []
                throw LlamaError.decodeFailed(code: rc)
            }
            for i in states.indices where !states[i].finished { states[i].decodeSteps += 1 }
            if let token = decodedForSequence0 { cachedTokens.append(token) }
        }

    }
}

extension Duration {
    /// The duration in seconds as a Double.
    var seconds: Double {
        let (s, attoseconds) = components
        return Double(s) + Double(attoseconds) / 1e18
    }
}
