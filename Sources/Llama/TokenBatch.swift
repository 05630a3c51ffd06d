internal import CLlama

/// A reusable `llama_batch`: tokens with positions, sequence ids and which ones need logits.
final class TokenBatch {
    private(set) var raw: llama_batch
    let capacity: Int

    init(capacity: Int, maxSequences: Int) {
        raw = llama_batch_init(Int32(capacity), 0, Int32(max(1, maxSequences)))
        self.capacity = capacity
    }

    deinit { llama_batch_free(raw) }

    var count: Int { Int(raw.n_tokens) }
    var isEmpty: Bool { raw.n_tokens == 0 }

    func clear() { raw.n_tokens = 0 }

    /// Adds one token; returns its index in the batch (the logits index when `wantsLogits`).
    @discardableResult
    func add(_ token: Token, position: Int32, sequence: Int32, wantsLogits: Bool) -> Int32 {
        precondition(count < capacity, "TokenBatch overflow")
        let i = Int(raw.n_tokens)
        raw.token[i] = token
        raw.pos[i] = position
        raw.n_seq_id[i] = 1
        raw.seq_id[i]![0] = sequence
        raw.logits[i] = wantsLogits ? 1 : 0
        raw.n_tokens += 1
        return Int32(i)
    }
}
