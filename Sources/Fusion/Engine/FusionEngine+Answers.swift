import Foundation
import Llama

/// The panel and the writers (judge → synthesizer, or one aggregator) as separate entry points,
/// for evaluation: `fusion eval` caches every model call, so a condition whose panel runs greedy
/// reuses the members' solo answers and only the judge and synthesizer run.
///
/// ```swift
/// let answers = await engine.panelAnswers(request)           // the panel only
/// let result = await engine.fuse(request, answers: answers.responses)   // judge + synthesis only
/// ```
/// Together they do what `run(_:)` does for a request without rounds or quorum: the same seat
/// runner, the same anonymised panel (labels shuffled by the request's seed), the same writers.
extension FusionEngine {
    /// What the panel produced.
    public struct PanelAnswers: Sendable {
        /// One per seat and sample, in seat order; `seat` indexes `request.panel`.
        public var responses: [SeatResponse]
        public var failed: [FailedModel]
        /// Wall time of the panel, seconds (loading included).
        public var seconds: Double
        /// Seconds spent loading models.
        public var loadSeconds: Double
    }

    /// Runs only the panel of `request` (seats in the plan's decode groups, as in a fusion); the
    /// judge and synthesizer are resolved and planned but never loaded. Never throws: a seat that
    /// fails is in `failed`, a request that cannot run leaves every seat failed.
    public func panelAnswers(_ request: FusionRequest,
                             events: @escaping @Sendable (FusionEvent) -> Void = { _ in }) async -> PanelAnswers {
        await FusionExecution(engine: self, request: request, timedOut: TimeoutFlag(), emit: events).panelOnly()
    }

    /// Runs the judge and synthesizer (or, in aggregate mode, the aggregator) of `request` on
    /// `answers` instead of running its panel. Each answer's `seat` must index `request.panel`
    /// (it decides the member name and the reference flag); rounds and quorum do not apply. The
    /// result is a normal `FusionResult` whose `responses` are the given answers with their labels;
    /// its `usage` and stage times count the writers only (the panel ran elsewhere).
    public func fuse(_ request: FusionRequest, answers: [SeatResponse],
                     events: @escaping @Sendable (FusionEvent) -> Void = { _ in }) async -> FusionResult {
        let execution = FusionExecution(engine: self, request: request, timedOut: TimeoutFlag(), emit: events)
        return await execution.execute(givenAnswers: answers)
    }

    /// A digest of the prompts and sampling settings the writers would use for `request` over
    /// `answers`. A cache keyed on it goes stale by itself when a prompt is edited.
    ///
    /// Aggregate mode covers only the aggregate prompt and its parameters, so an edit to the judge
    /// or synthesis wording leaves an aggregator's cached answers valid (re-running the aggregator on
    /// the eval's 1,150 items costs about 2.5 h). Fusion mode covers every writer prompt, the
    /// aggregate one included, as it always has: narrowing it too would turn its committed calls
    /// into misses.
    public static func writerFingerprint(_ request: FusionRequest, answers: [SeatResponse]) -> String {
        let (panel, _) = FusionExecution.anonymize(request: request, responses: answers)
        let writerBudget = WriterStages.writerBudget(request)
        let aggregate = AggregatePrompt(question: request.question, panel: panel, budget: writerBudget)
        let p = WriterStages.writerSampling(maxTokens: request.synthesisMaxTokens)
        if request.mode == .aggregate {
            struct AggregateParts: Encodable {
                var mode = "aggregate"
                var aggregate: [ChatMessage]
                var parameters: GenerationParameters
            }
            return digest(AggregateParts(aggregate: aggregate.messages, parameters: p))
        }
        // The prompts as first built; `PromptFit` rebuilds them only when their tokens would not fit.
        let (judge, continuation) = WriterStages.judgePrompts(request, panel: panel,
                                                              budget: WriterStages.judgeBudget(request, synthesisContinues: true),
                                                              continues: true)
        let synthesis = SynthesisPrompt(question: request.question, panel: panel, basis: .judgeFailed(reason: "fingerprint"),
                                        budget: writerBudget)
        struct Parts: Encodable {
            var judge: [ChatMessage]
            var judgeParameters: GenerationParameters
            var continuation: String
            var proseGrammar: String
            var synthesis: [ChatMessage]
            var aggregate: [ChatMessage]
            var synthesisParameters: GenerationParameters
        }
        let parts = Parts(judge: judge.messages, judgeParameters: judge.parameters(maxTokens: request.judgeMaxTokens),
                          continuation: continuation ?? "",
                          proseGrammar: WriterStages.proseGrammar, synthesis: synthesis.messages,
                          aggregate: aggregate.messages, synthesisParameters: p)
        return digest(parts)
    }

    private static func digest(_ parts: some Encodable) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        var hash = SHA256()
        hash.update((try? encoder.encode(parts)) ?? Data())
        return hash.finalize().hex
    }
}

extension SeatResponse {
    /// An answer produced elsewhere (a cache, another engine), to pass to `FusionEngine.fuse(_:answers:)`.
    public init(seat: Int, sample: Int, model: String, text: String, finishReason: StopReason = .stop,
                usage: TokenUsage = TokenUsage(), seed: UInt32 = 0, seconds: Double = 0) {
        self.init(seat: seat, sample: sample, model: model, label: nil, text: text, finishReason: finishReason,
                  usage: usage, seed: seed, prefillTokensPerSecond: 0, decodeTokensPerSecond: 0, seconds: seconds)
    }
}
