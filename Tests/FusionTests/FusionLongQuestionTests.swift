import Foundation
import Fusion
import Llama
import Testing

/// Questions whose text takes many more tokens per character than prose (numbers, tables):
/// the writers' prompts are budgeted in characters, so they must still fit the context in tokens.
@Suite("Fusion with a long, number-heavy question", .serialized)
struct FusionLongQuestionTests {
    static let panel = ["smollm2-135m", "qwen2.5-coder-0.5b"]
    static let judge = "qwen2.5-coder-0.5b"

    /// About 1,660 characters of four-digit numbers: Qwen's and SmolLM2's tokenizers spend one
    /// token per digit, so this is about 1,600 tokens where the budget's 3 characters per token
    /// guesses 555. It fits the panel's 2,048-token context; before the writers' prompts were
    /// counted in tokens, the judge's chat overflowed when asked for the final answer, and the
    /// aggregator's prompt overflowed outright.
    static let question: String = {
        var state: UInt64 = 7
        var numbers: [String] = []
        for _ in 0..<260 {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            numbers.append(String(1000 + (state >> 33) % 9000))
        }
        return "Daily step counts of one walker: " + numbers.joined(separator: ", ")
            + ". Which step count comes first in the list? End with 'Answer: <number>'."
    }()

    func engine() throws -> FusionEngine {
        for id in Self.panel { _ = try JudgeTestModels.require(id) }
        return try FusionEngine(store: ModelStore(catalog: try ModelCatalog.loadDefault()), budget: MemoryBudget(bytes: 8 << 30))
    }

    func request(mode: FusionMode = .fusion) -> FusionRequest {
        var r = FusionRequest(question: Self.question, panel: Self.panel.map { SeatSpec(model: $0) }, judge: Self.judge)
        r.mode = mode
        r.panelMaxTokens = 40
        r.judgeMaxTokens = 200
        r.synthesisMaxTokens = 64
        r.contextSize = 2048
        r.seed = 42
        return r
    }

    @Test("judge and synthesizer in one chat: the analysis and the final answer both fit the context")
    func judgeContinuationFits() async throws {
        let result = try await engine().fuse(request())
        #expect(result.status == .ok, "\(result.failureReason ?? ""): \(result.error ?? "")")
        #expect(result.analysis != nil, "judge note: \(result.trace.judgeNote ?? "none")")
        #expect(result.trace.reusedJudgeCache)
        #expect(!result.final.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty)
    }

    @Test("aggregate mode with long answers: the aggregator's prompt leaves room for the whole final answer")
    func aggregateFits() async throws {
        var r = request(mode: .aggregate)
        // Every answer and the final one run to their token limits, so the sizes are known.
        r.panelMaxTokens = 300
        r.ignoreEOS = true
        let result = try await engine().fuse(r)
        #expect(result.status == .ok, "\(result.failureReason ?? ""): \(result.error ?? "")")
        let panelTokens = result.responses.reduce(0) { $0 + $1.usage.completionTokens }
        #expect(result.usage.completionTokens - panelTokens == r.synthesisMaxTokens,
                "the final answer got \(result.usage.completionTokens - panelTokens) of its \(r.synthesisMaxTokens) tokens")
    }
}
