/// A small deterministic random generator (SplitMix64), so the order in which answers are shown
/// depends only on the request's seed and can be replayed from the trace.
struct PanelShuffleGenerator: RandomNumberGenerator, Sendable {
    private var state: UInt64

    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

extension Array {
    /// A Fisher–Yates shuffle that is identical on every platform for the same seed
    /// (the standard library's `shuffled(using:)` does not promise a stable algorithm).
    func seededShuffle(seed: UInt64) -> [Element] {
        var result = self
        var generator = PanelShuffleGenerator(seed: seed)
        guard result.count > 1 else { return result }
        for i in stride(from: result.count - 1, to: 0, by: -1) {
            let j = Int(generator.next() % UInt64(i + 1))
            result.swapAt(i, j)
        }
        return result
    }
}
