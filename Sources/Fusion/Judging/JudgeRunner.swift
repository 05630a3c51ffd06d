import Llama

/// What one judge run produced: the analysis when the output could be read, the raw text and the
/// generation summary for the trace, and the parse error otherwise (the synthesizer then falls
/// back to `SynthesisPrompt.Basis.judgeFailed`).
public struct JudgeOutcome: Sendable, Equatable {
    /// The analysis in labels ("A", "B"), as the synthesizer's prompt wants it.
    public var analysis: FusionAnalysis?
    /// The analysis with labels replaced by model ids, for the result and the trace.
    public var mappedAnalysis: FusionAnalysis?
    /// The judge's output, verbatim.
    public var rawText: String
    /// Why the output could not be read, if it could not.
    public var parseError: AnalysisParseError?
    /// The output was cut off at max tokens and closed by the parser.
    public var repaired: Bool
    /// Whether the GBNF grammar constrained the generation.
    public var constrained: Bool
    public var summary: GenerationSummary

    /// The basis for the synthesizer: the analysis, or the judge's failure.
    public var synthesisBasis: SynthesisPrompt.Basis {
        if let analysis { return .analysis(analysis) }
        return .judgeFailed(reason: parseError?.description ?? "no analysis")
    }
}

/// Runs a judge prompt on a local model: greedy, grammar-constrained by default, then parsed.
public enum JudgeRunner {
    /// Generates and parses one analysis with `parameters` (default: `prompt.parameters()`, greedy
    /// and grammar-constrained). Generation errors (context overflow, invalid grammar,
    /// cancellation) are thrown; unreadable output is reported in `JudgeOutcome.parseError`.
    public static func run(_ prompt: JudgePrompt, session: LlamaSession,
                           parameters: GenerationParameters? = nil) async throws -> JudgeOutcome {
        let parameters = parameters ?? prompt.parameters()
        let constrained = parameters.grammar != nil
        let summary = try await session.complete(.chat(prompt.messages), parameters: parameters)
        var outcome = JudgeOutcome(analysis: nil, mappedAnalysis: nil, rawText: summary.text, parseError: nil,
                                   repaired: false, constrained: constrained, summary: summary)
        do {
            let parsed = try AnalysisParser.parseDetailed(summary.text, labels: prompt.panel.labels)
            outcome.analysis = parsed.analysis
            outcome.mappedAnalysis = parsed.analysis.mapLabels(prompt.panel.labelToModel)
            outcome.repaired = parsed.wasTruncated
        } catch {
            outcome.parseError = error
        }
        return outcome
    }
}
