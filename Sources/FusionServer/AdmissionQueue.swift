import Foundation

/// Bounds the work a server takes on: at most `maxActive` requests run, at most `maxWaiting` wait
/// in FIFO order, and the rest are refused at once with a 429 and a Retry-After estimate — a full
/// queue answered quickly beats a client timing out after minutes.
///
/// With 2 cores one generation already uses every core, so the default is one at a time.
actor AdmissionQueue {
    let maxActive: Int
    let maxWaiting: Int
    private var active = 0
    private var waiters: [(id: UInt64, continuation: CheckedContinuation<Bool, Never>)] = []
    private var nextID: UInt64 = 0
    /// Mean seconds a request holds its slot (exponential average), for Retry-After.
    private var meanServiceSeconds = 5.0

    init(maxActive: Int, maxWaiting: Int) {
        self.maxActive = max(1, maxActive)
        self.maxWaiting = max(0, maxWaiting)
    }

    /// Requests waiting for a slot.
    var waiting: Int { waiters.count }
    /// Requests holding a slot.
    var running: Int { active }

    /// Waits for a slot. Throws `APIError` 429 when the queue is full and `CancellationError`
    /// when the caller (a disconnected client) is cancelled while waiting.
    func acquire() async throws -> AdmissionTicket {
        if active < maxActive {
            active += 1
            return AdmissionTicket(start: ContinuousClock.now)
        }
        guard waiters.count < maxWaiting else {
            let seconds = Int((meanServiceSeconds * Double(waiters.count + 1) / Double(maxActive)).rounded(.up))
            throw APIError.busy("the server is busy: \(active) running and \(waiters.count) waiting; try again later",
                                retryAfter: min(max(1, seconds), 600))
        }
        nextID += 1
        let id = nextID
        let granted = await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                if Task.isCancelled { continuation.resume(returning: false) } else { waiters.append((id, continuation)) }
            }
        } onCancel: {
            Task { await self.cancelWaiter(id) }
        }
        guard granted else { throw CancellationError() }
        return AdmissionTicket(start: ContinuousClock.now)
    }

    /// Gives the slot to the next waiter, or frees it.
    func release(_ ticket: AdmissionTicket) {
        let seconds = (ContinuousClock.now - ticket.start).components
        let elapsed = Double(seconds.seconds) + Double(seconds.attoseconds) / 1e18
        meanServiceSeconds = 0.8 * meanServiceSeconds + 0.2 * elapsed
        if waiters.isEmpty {
            active -= 1
        } else {
            waiters.removeFirst().continuation.resume(returning: true)   // the slot passes on; active unchanged
        }
    }

    private func cancelWaiter(_ id: UInt64) {
        guard let index = waiters.firstIndex(where: { $0.id == id }) else { return }
        waiters.remove(at: index).continuation.resume(returning: false)
    }
}

/// Proof of a held slot; give it back with `AdmissionQueue.release`.
struct AdmissionTicket: Sendable {
    let start: ContinuousClock.Instant
}
