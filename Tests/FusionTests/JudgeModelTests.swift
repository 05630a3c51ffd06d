import Foundation
import Testing
@testable import Fusion
import Llama

/// The judge against real llama.cpp models: the grammar must compile in llama.cpp, constrained
/// greedy output must parse, and the cost of grammar sampling is measured and printed.
@Suite("Judge with real models", .serialized)
struct JudgeModelTests {
    static let question = "A shop sells pencils at 3 for 45 cents. How much do 12 pencils cost?"
    static let answers = [
        CandidateAnswer(model: "member-1", text: "One pencil costs 45 / 3 = 15 cents, so 12 pencils cost 12 × 15 = 180 cents = $1.80."),
        CandidateAnswer(model: "member-2", text: "12 pencils is 4 groups of 3, so 4 × 45 = 180 cents. Answer: $1.80"),
        CandidateAnswer(model: "member-3", text: "12 / 3 = 3 groups, 3 × 45 = 135 cents. Answer: $1.35"),
    ]

    /// One decode thread by default: this host has 2 cores shared with other test runs, and a
    /// 2-thread decode stalls badly when a core is taken (see the report in JudgeModelTests).
    /// JUDGE_TEST_THREADS overrides it.
    static let threads = Int(ProcessInfo.processInfo.environment["JUDGE_TEST_THREADS"] ?? "") ?? 1

    static func session(_ id: String, contextTokens: Int = 4096) throws -> LlamaSession {
        let model = try LlamaModel(path: try JudgeTestModels.require(id))
        return try LlamaSession(model: model, options: ContextOptions(contextSize: contextTokens, threads: threads))
    }

    @Test("every grammar variant compiles in llama.cpp and forces the object's opening")
    func grammarCompiles() async throws {
        let session = try Self.session("smollm2-135m", contextTokens: 512)
        let variants: [JudgeGrammar] = [
            JudgeGrammar(labels: ["A", "B", "C"]),
            JudgeGrammar(labels: ["A"]),
            JudgeGrammar(labels: []),
            JudgeGrammar(labels: (0..<8).map(AnonymizedPanel.label(for:))),
            JudgeGrammar(labels: ["A", "B"], limits: .init(maxItems: 1, maxStringLength: 1)),
            JudgeGrammar(labels: ["A", "B"], limits: .init(maxItems: 50, maxStringLength: 1000)),
        ]
        for grammar in variants {
            var p = GenerationParameters.greedy(maxTokens: 2)
            p.grammar = grammar.text
            let summary = try await session.complete(.raw("JSON:"), parameters: p)
            #expect(summary.text.hasPrefix("{"), "grammar for \(grammar.labels) produced \(summary.text)")
        }
    }

    /// A grammar error is reported as a typed error, not ignored and not a crash.
    @Test("a broken grammar throws LlamaError.invalidGrammar")
    func brokenGrammarThrows() async throws {
        let session = try Self.session("smollm2-135m", contextTokens: 512)
        var broken = GenerationParameters.greedy(maxTokens: 2)
        broken.grammar = "root ::= \"{\" missing-rule"
        await #expect(throws: LlamaError.invalidGrammar(reason: "llama.cpp could not parse the GBNF grammar")) {
            try await session.complete(.raw("JSON:"), parameters: broken)
        }
    }

    @Test("smollm2-135m: constrained greedy judging yields JSON the parser accepts")
    func smolJudge() async throws {
        let session = try Self.session("smollm2-135m")
        let prompt = JudgePrompt(question: Self.question, answers: Self.answers, seed: 1)
        let outcome = try await JudgeRunner.run(prompt, session: session, parameters: prompt.parameters(maxTokens: 512))
        Self.report("smollm2-135m", prompt: prompt, outcome: outcome)
        #expect(outcome.parseError == nil, "raw output: \(outcome.rawText)")
        let analysis = try #require(outcome.analysis)
        #expect(Set(analysis.referencedModels).isSubset(of: Set(prompt.panel.labels)))
        let mappedModels = Set(outcome.mappedAnalysis?.referencedModels ?? [])
        #expect(mappedModels.isSubset(of: Set(Self.answers.map(\.model))))
        if outcome.summary.stopReason == .stop {
            // Finished under the grammar: the raw text is exactly the schema, strictly decodable.
            let strict = try JSONDecoder().decode(FusionAnalysis.self, from: Data(outcome.rawText.utf8))
            #expect(strict == analysis || analysis.consensus.count <= strict.consensus.count)
            #expect(!outcome.repaired)
        }
    }

    @Test("token rate with and without the grammar (smollm2-135m, 49k vocabulary)")
    func smolRate() async throws {
        try await Self.measureRates("smollm2-135m")
    }

    @Test("qwen2.5-coder-0.5b, when present: analysis and token rates (151k vocabulary)",
          .enabled(if: JudgeTestModels.find("qwen2.5-coder-0.5b") != nil))
    func qwenJudge() async throws {
        let session = try Self.session("qwen2.5-coder-0.5b")
        let prompt = JudgePrompt(question: Self.question, answers: Self.answers, seed: 1)
        let outcome = try await JudgeRunner.run(prompt, session: session, parameters: prompt.parameters(maxTokens: 512))
        Self.report("qwen2.5-coder-0.5b", prompt: prompt, outcome: outcome)
        #expect(outcome.parseError == nil, "raw output: \(outcome.rawText)")
        try await Self.measureRates("qwen2.5-coder-0.5b")
    }

    // MARK: - Helpers

    /// Decodes the same judge prompt greedily with and without the grammar for the same number
    /// of tokens, alternating so that load from other processes hits both alike, and prints the
    /// median rates.
    static func measureRates(_ id: String, pairs: Int = 3, tokens: Int = 96) async throws {
        let session = try session(id)
        let prompt = JudgePrompt(question: question, answers: answers, seed: 1)
        var with: [Double] = [], without: [Double] = []
        var steps = 0
        for _ in 0..<pairs {
            let constrained = try await session.complete(.chat(prompt.messages), parameters: prompt.parameters(maxTokens: tokens))
            steps = constrained.timings.decodeSteps
            var free = prompt.parameters(maxTokens: max(8, steps) + 1, constrained: false)
            free.ignoreEOS = true
            let unconstrained = try await session.complete(.chat(prompt.messages), parameters: free)
            with.append(constrained.timings.decodeTokensPerSecond)
            without.append(unconstrained.timings.decodeTokensPerSecond)
        }
        let median = { (xs: [Double]) in xs.sorted()[xs.count / 2] }
        let a = median(with), b = median(without)
        print(String(format: "JUDGE-RATE %@ (%d thread(s), %d pairs of ~%d tokens): with grammar %.1f tok/s, "
            + "without %.1f tok/s; grammar costs %.0f%% (%.2fx slower, +%.1f ms/token). runs with: %@ without: %@",
            id, threads, pairs, steps, a, b, (1 - a / b) * 100, b / a, (1 / a - 1 / b) * 1000,
            with.map { String(format: "%.1f", $0) }.joined(separator: "/"),
            without.map { String(format: "%.1f", $0) }.joined(separator: "/")))
        #expect(a > 0 && b > 0)
    }

    static func report(_ id: String, prompt: JudgePrompt, outcome: JudgeOutcome) {
        let s = outcome.summary
        print("JUDGE-SAMPLE \(id): labels \(prompt.panel.labelToModel.sorted { $0.key < $1.key }), "
            + "prompt \(s.usage.promptTokens) tokens, \(s.usage.completionTokens) generated, stop \(s.stopReason), "
            + String(format: "%.1f tok/s", s.timings.decodeTokensPerSecond))
        print("JUDGE-SAMPLE \(id) raw: \(outcome.rawText)")
        if let mapped = outcome.mappedAnalysis { print("JUDGE-SAMPLE \(id) mapped:\n\(mapped.summaryText)") }
    }
}
