/// One model the planner places: a panel seat, the judge or the synthesizer.
///
/// Seats naming the same ``model`` share one set of weights when they are loaded at the same
/// time (one `LlamaModel`, one context each), so only their contexts add up; the judge and a
/// panel seat of the same model share the same way. A remote seat holds no local memory and is
/// simply not given to the planner.
public struct PlanningSeat: Sendable, Hashable, Codable {
    /// What the plan calls this seat, e.g. `"qwen2.5-coder-1.5b ×4"` or a panel label.
    public var label: String
    /// The model identity for weight sharing (a catalog id or a file path).
    public var model: String
    /// The estimate for this seat's model and context.
    public var estimate: MemoryEstimate

    /// Creates a seat; `model` defaults to `label`.
    public init(label: String, model: String? = nil, estimate: MemoryEstimate) {
        self.label = label
        self.model = model ?? label
        self.estimate = estimate
    }

    /// Sequences decoded together in this seat's context (self-fusion samples).
    public var sequences: Int { estimate.sequences }

    /// Bytes this seat adds when its model's weights are already loaded (its own context).
    public var contextBytes: UInt64 { estimate.contextBytes }

    /// JSON keys in snake_case; `sequences` is inside the estimate.
    enum CodingKeys: String, CodingKey {
        case label, model, estimate
    }
}

/// The memory of seats loaded together: each distinct model's weights once (the largest
/// estimate of it, to stay an upper bound), plus every seat's own context.
enum ResidentSet {
    /// Total bytes of `seats` resident at the same time.
    static func bytes<S: Sequence>(of seats: S) -> UInt64 where S.Element == PlanningSeat {
        var weights: [String: UInt64] = [:]
        var contexts: UInt64 = 0
        for seat in seats {
            weights[seat.model] = max(weights[seat.model] ?? 0, seat.estimate.weightBytes)
            contexts += seat.contextBytes
        }
        return weights.values.reduce(contexts, +)
    }
}
