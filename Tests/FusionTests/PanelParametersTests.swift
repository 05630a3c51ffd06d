// What each panel seat's sampler is given: the request's sampling, with seat overrides.
import Fusion
import Llama
import Testing

@Suite("Panel sampling parameters")
struct PanelParametersTests {
    @Test("Every sampling field of the request reaches the seat; the seat's temperature wins")
    func requestSamplingReachesSeats() {
        var request = FusionRequest(question: "q", panel: [], judge: "j")
        request.panelMaxTokens = 99
        request.temperature = 0.6
        request.topK = 7
        request.topP = 0.8
        request.minP = 0.1
        request.repeatPenalty = 1.2
        request.frequencyPenalty = 0.5
        request.presencePenalty = -0.25
        request.stop = ["END"]
        request.ignoreEOS = true

        let p = request.panelParameters(for: SeatSpec(model: "m"), seed: 5)
        #expect(p.maxTokens == 99 && p.temperature == 0.6 && p.seed == 5 && p.stop == ["END"] && p.ignoreEOS)
        #expect(p.topK == 7 && p.topP == 0.8 && p.minP == 0.1 && p.repeatPenalty == 1.2)
        #expect(p.frequencyPenalty == 0.5 && p.presencePenalty == -0.25)

        #expect(request.panelParameters(for: SeatSpec(model: "m", temperature: 0), seed: 5).temperature == 0)
    }

    @Test("A seed that would mean 'random' to the sampler is replaced, so replays stay exact")
    func randomSeedIsNeverProduced() {
        let request = FusionRequest(question: "q", panel: [], judge: "j")
        #expect(request.panelParameters(for: SeatSpec(model: "m"), seed: .max).seed == 0)
    }
}
