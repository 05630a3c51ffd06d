import Testing
@testable import Fusion

/// `FusionEngine.writerFingerprint` keys the eval's cached fusion calls: it must change when what
/// the writers see changes, and only then, or a prompt edit costs hours of needless re-runs.
@Suite("Writer fingerprint")
struct WriterFingerprintTests {
    static let answers = [
        SeatResponse(seat: 0, sample: 0, model: "qwen-1.5b", text: "17 * 24 = 408.\nAnswer: 408"),
        SeatResponse(seat: 1, sample: 0, model: "qwen-0.5b", text: "17 * 24 = 418.\nAnswer: 418"),
    ]

    static func request(_ mode: FusionMode, judgeMaxTokens: Int = 384) -> FusionRequest {
        var request = FusionRequest(question: "What is 17 * 24? End with a line 'Answer: N'.", panel: [
            SeatSpec(model: "qwen-1.5b", reference: true), SeatSpec(model: "qwen-0.5b"),
        ], judge: "qwen-1.5b")
        request.mode = mode
        request.judgeMaxTokens = judgeMaxTokens
        return request
    }

    @Test("an aggregator's key ignores the judge, which it never runs; a fusion's key does not")
    func aggregateKeyCoversOnlyTheAggregator() {
        let aggregate = FusionEngine.writerFingerprint(Self.request(.aggregate), answers: Self.answers)
        #expect(aggregate == FusionEngine.writerFingerprint(Self.request(.aggregate, judgeMaxTokens: 100),
                                                            answers: Self.answers))
        let fusion = FusionEngine.writerFingerprint(Self.request(.fusion), answers: Self.answers)
        #expect(fusion != FusionEngine.writerFingerprint(Self.request(.fusion, judgeMaxTokens: 100), answers: Self.answers))
        #expect(fusion != aggregate, "the two modes write from different prompts")
    }

    @Test("both modes' keys change when an answer changes and are stable otherwise")
    func keysFollowTheAnswers() {
        var changed = Self.answers
        changed[1] = SeatResponse(seat: 1, sample: 0, model: "qwen-0.5b", text: "17 * 24 = 408.\nAnswer: 408")
        for mode in FusionMode.allCases {
            let key = FusionEngine.writerFingerprint(Self.request(mode), answers: Self.answers)
            #expect(key == FusionEngine.writerFingerprint(Self.request(mode), answers: Self.answers))
            #expect(key != FusionEngine.writerFingerprint(Self.request(mode), answers: changed), "mode \(mode)")
        }
    }
}
