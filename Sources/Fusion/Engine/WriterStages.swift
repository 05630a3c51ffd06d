import Foundation
import Llama

/// The stages after the panel: judge → synthesizer, or one aggregator.
struct WriterStages: Sendable {
    let engine: FusionEngine
    let prepared: FusionEngine.Prepared
    let emit: @Sendable (FusionEvent) -> Void

    var request: FusionRequest { prepared.request }

    /// Greedy with a light repetition penalty: reproducible, and small models do not loop.
    /// `FusionEngine.writerFingerprint` keys cached writer calls on it, so a change here is a miss.
    static func writerSampling(maxTokens: Int) -> GenerationParameters {
        var p = GenerationParameters.greedy(maxTokens: maxTokens)
        p.repeatPenalty = 1.1
        return p
    }

    var synthesisParameters: GenerationParameters {
        var p = Self.writerSampling(maxTokens: request.synthesisMaxTokens)
        p.stop = request.finalStop
        p.ignoreEOS = request.ignoreEOS
        return p
    }

    /// Prose: optional leading whitespace, then anything that does not open JSON or a code fence.
    static let proseGrammar = #"root ::= [ \n]* [^{`\[ \n\x00] [^\x00]*"#

    /// The judge's prompt budget. When the synthesis continues the judge's chat, the judge's prompt
    /// must leave room for the analysis, the continuation message and the final answer.
    static func judgeBudget(_ request: FusionRequest, synthesisContinues: Bool) -> PromptBudget {
        let reserved = request.judgeMaxTokens + 64
            + (synthesisContinues ? request.synthesisMaxTokens + SynthesisPrompt.continuationReservedTokens : 0)
        return PromptBudget(contextTokens: request.contextSize, reservedOutputTokens: reserved)
    }

    /// The synthesizer's or aggregator's budget: the context minus the final answer's tokens.
    static func writerBudget(_ request: FusionRequest) -> PromptBudget {
        PromptBudget(contextTokens: request.contextSize, reservedOutputTokens: request.synthesisMaxTokens + 64)
    }

    /// The judge's prompt and, when the synthesis continues the judge's chat, the message asking
    /// for the final answer. With the default budget the question is restated in up to
    /// `SynthesisPrompt.maxRestatedQuestionCharacters`; a budget tightened by `PromptFit` shortens it
    /// in proportion.
    static func judgePrompts(_ request: FusionRequest, panel: AnonymizedPanel, budget: PromptBudget,
                             continues: Bool) -> (judge: JudgePrompt, continuation: String?) {
        let judge = JudgePrompt(question: request.question, panel: panel, budget: budget)
        guard continues else { return (judge, nil) }
        let restated = Double(SynthesisPrompt.maxRestatedQuestionCharacters) * budget.charactersPerToken
            / PromptBudget.defaultCharactersPerToken
        return (judge, SynthesisPrompt.continuation(question: request.question, panel: panel,
                                                    maxQuestionCharacters: Int(restated)))
    }

    /// `judgePrompts` fitted to the judge's context in tokens: after the judge's prompt come its
    /// analysis, the continuation turn and the final answer.
    private func fittedJudgePrompts(panel: AnonymizedPanel, continues: Bool,
                                    session: LlamaSession) -> (judge: JudgePrompt, continuation: String?) {
        let fit = PromptFit(session: session)
        let generated = request.judgeMaxTokens + (continues ? request.synthesisMaxTokens : 0)
        return fit.fit(Self.judgeBudget(request, synthesisContinues: continues), reservedTokens: generated,
                       build: { Self.judgePrompts(request, panel: panel, budget: $0, continues: continues) },
                       promptTokens: { built in
            // The continued chat with an empty analysis: the analysis's tokens are among `generated`.
            fit.tokens(built.judge.messages + (built.continuation.map { [.assistant(""), .user($0)] } ?? []))
        })
    }

    /// A synthesis or aggregate prompt fitted so the final answer gets all its tokens.
    private func fittedWriterMessages(session: LlamaSession, _ build: (PromptBudget) -> [ChatMessage]) -> [ChatMessage] {
        let fit = PromptFit(session: session)
        return fit.fit(Self.writerBudget(request), reservedTokens: request.synthesisMaxTokens, build: build,
                       promptTokens: { fit.tokens($0) })
    }

    private func key(_ path: String) -> ModelKey { ModelKey(path: path, contextSize: request.contextSize, sequences: 1) }

    /// Structured analysis under the judge grammar, then the final answer. When one model plays
    /// both parts, the synthesis continues the judge's conversation so its KV cache is reused.
    func judgeAndSynthesize(panel: AnonymizedPanel, _ ledger: inout FusionExecution.Ledger) async throws {
        let judgeKey = key(prepared.judge.path)
        let continues = prepared.synthesizer.map { $0.path == prepared.judge.path } ?? true
        let judgeStart = ContinuousClock.now
        emit(.stage(.judge, model: request.judge))
        // Armed before leasing: a lease cancelled after its model was pinned must not stay pinned.
        defer { Task { [scheduler = engine.scheduler] in await scheduler.unpin(judgeKey) } }
        let judgeLease = try await lease(judgeKey, estimate: prepared.judge.estimate, pin: true)
        let (judgePrompt, continuation) = fittedJudgePrompts(panel: panel, continues: continues, session: judgeLease.resource)

        var basis = SynthesisPrompt.Basis.judgeFailed(reason: "the judge produced nothing")
        var continuedChat: [ChatMessage]?
        do {
            let summary = try await complete(judgeLease.resource, .chat(judgePrompt.messages),
                                             judgePrompt.parameters(maxTokens: request.judgeMaxTokens), stream: false,
                                             reusePrefix: false)
            ledger.usage = ledger.usage + summary.usage
            ledger.stages.modelBusy += summary.timings.prefillSeconds + summary.timings.decodeSeconds
            do {
                let parsed = try AnalysisParser.parseDetailed(summary.text, labels: panel.labels)
                ledger.analysis = parsed.analysis.mapLabels(panel.labelToModel)
                if parsed.wasTruncated { ledger.judgeNote = "the judge's JSON was cut at \(request.judgeMaxTokens) tokens and repaired" }
                basis = .analysis(parsed.analysis)
                continuedChat = continuation.map { judgePrompt.messages + [.assistant(summary.text), .user($0)] }
            } catch {
                ledger.judgeNote = "the judge's output could not be read (\(error.description)); "
                    + "the final answer was written from the raw answers. Raw judge output: "
                    + String(summary.text.prefix(400))
                basis = .judgeFailed(reason: error.description)
            }
        } catch is CancellationError {
            await engine.scheduler.release(judgeLease)
            throw CancellationError()
        } catch {
            ledger.judgeNote = "the judge failed (\(error)); the final answer was written from the raw answers"
            basis = .judgeFailed(reason: String(describing: error))
        }
        ledger.stages.judge = (ContinuousClock.now - judgeStart).seconds
        emit(.analysis(ledger.analysis, note: ledger.judgeNote))
        try await synthesize(panel: panel, basis: basis, judgeLease: judgeLease, continuedChat: continuedChat, &ledger)
    }

    /// `continuedChat` is the judge's chat plus the turn asking for the final answer, when the
    /// judge wrote an analysis and also writes the answer.
    private func synthesize(panel: AnonymizedPanel, basis: SynthesisPrompt.Basis, judgeLease: ModelLease<LlamaSession>,
                            continuedChat: [ChatMessage]?, _ ledger: inout FusionExecution.Ledger) async throws {
        let start = ContinuousClock.now
        defer { ledger.stages.synthesis = (ContinuousClock.now - start).seconds }
        let writer = request.finalWriter
        emit(.stage(.synthesis, model: writer))
        let samePath = prepared.synthesizer.map { $0.path == prepared.judge.path } ?? true

        let session: LlamaSession
        var writerLease: ModelLease<LlamaSession>?
        if samePath {
            session = judgeLease.resource
        } else {
            await engine.scheduler.release(judgeLease)
            // Done judging: unpinned, the judge can make room for the synthesizer (when the plan
            // loads it after the judge, a pinned judge would make its lease wait for this request).
            await engine.scheduler.unpin(key(prepared.judge.path))
            writerLease = try await lease(key(prepared.synthesizer!.path), estimate: prepared.synthesizer!.estimate, pin: false)
            session = writerLease!.resource
        }
        let messages: [ChatMessage]
        var parameters = synthesisParameters
        var reuse = false
        if samePath, let continuedChat {
            // Continue the judge's chat: its prompt and analysis are already in the KV cache.
            messages = continuedChat
            // After a JSON turn small models tend to continue in JSON; this grammar only forbids
            // opening with JSON or a code fence (checked per picked token, so nearly free).
            parameters.grammar = Self.proseGrammar
            reuse = true
            ledger.reusedJudgeCache = true
        } else {
            messages = fittedWriterMessages(session: session) {
                SynthesisPrompt(question: request.question, panel: panel, basis: basis, budget: $0).messages
            }
        }
        do {
            let summary = try await complete(session, .chat(messages), parameters, stream: true, reusePrefix: reuse)
            ledger.cachedSynthesisTokens = summary.timings.cachedTokens
            ledger.finishReason = summary.stopReason
            ledger.usage = ledger.usage + summary.usage
            ledger.stages.modelBusy += summary.timings.prefillSeconds + summary.timings.decodeSeconds
            ledger.final = summary.text
        } catch {
            await engine.scheduler.release(writerLease ?? judgeLease)
            if error is CancellationError { throw error }
            throw FusionError.synthesisFailed(model: writer, reason: String(describing: error))
        }
        await engine.scheduler.release(writerLease ?? judgeLease)
    }

    /// Together-MoA style: one aggregator reads the answers and writes the final one.
    func aggregate(panel: AnonymizedPanel, _ ledger: inout FusionExecution.Ledger) async throws {
        let start = ContinuousClock.now
        defer { ledger.stages.synthesis = (ContinuousClock.now - start).seconds }
        emit(.stage(.aggregate, model: request.finalWriter))
        let writer = prepared.synthesizer ?? prepared.judge
        let lease = try await lease(key(writer.path), estimate: writer.estimate, pin: false)
        let messages = fittedWriterMessages(session: lease.resource) {
            AggregatePrompt(question: request.question, panel: panel, budget: $0).messages
        }
        do {
            let summary = try await complete(lease.resource, .chat(messages), synthesisParameters, stream: true,
                                             reusePrefix: false)
            ledger.finishReason = summary.stopReason
            ledger.usage = ledger.usage + summary.usage
            ledger.stages.modelBusy += summary.timings.prefillSeconds + summary.timings.decodeSeconds
            ledger.final = summary.text
        } catch {
            await engine.scheduler.release(lease)
            if error is CancellationError { throw error }
            throw FusionError.synthesisFailed(model: request.finalWriter, reason: String(describing: error))
        }
        await engine.scheduler.release(lease)
    }

    private func lease(_ key: ModelKey, estimate: MemoryEstimate, pin: Bool) async throws -> ModelLease<LlamaSession> {
        do {
            let lease = try await engine.scheduler.lease(key, estimateBytes: Int64(clamping: estimate.totalBytes), pin: pin,
                                                         limitBytes: prepared.leaseLimitBytes)
            lease.resource.setThreads(request.threads ?? engine.cores)
            return lease
        } catch is CancellationError {
            throw CancellationError()
        } catch {
            throw FusionError.synthesisFailed(model: key.path, reason: "could not load: \(error)")
        }
    }

    /// Runs one generation; cancelling the task stops it within a token.
    private func complete(_ session: LlamaSession, _ prompt: Prompt, _ parameters: GenerationParameters,
                          stream: Bool, reusePrefix: Bool) async throws -> GenerationSummary {
        let generation = session.generate(prompt, parameters: parameters, reusePrefix: reusePrefix)
        return try await withTaskCancellationHandler {
            var result: GenerationSummary?
            for try await event in generation.events {
                switch event {
                case .text(let t) where stream: emit(.finalDelta(t))
                case .finished(let s): result = s
                default: break
                }
            }
            guard let result, result.stopReason != .cancelled else { throw CancellationError() }
            return result
        } onCancel: { generation.cancel() }
    }
}
