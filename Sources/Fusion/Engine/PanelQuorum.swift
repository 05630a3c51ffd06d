import Synchronization

/// Counts the panel's answered seats, local and remote alike, and stops the seats still running
/// once the request's quorum has answered. Without a quorum it only counts.
///
/// Local decode groups and the remote seats run side by side, so whichever side meets the quorum
/// must be able to stop the other: each runs through `runTogether`, which the answer that meets
/// the quorum cancels.
final class PanelQuorum: Sendable {
    private struct State {
        var answered = 0
        var stoppers: [Int: @Sendable () -> Void] = [:]
        /// Work the quorum cancelled, so its cancelled seats are reported as `quorum_reached`.
        var stopped: Set<Int> = []
        var nextToken = 0
    }

    let needed: Int?
    private let state = Mutex(State())

    init(needed: Int?) { self.needed = needed }

    var isReached: Bool {
        guard let needed else { return false }
        return state.withLock { $0.answered >= needed }
    }

    /// Records one answered seat; the answer that meets the quorum stops everything still running.
    func seatAnswered() {
        let stoppers: [@Sendable () -> Void] = state.withLock { s in
            s.answered += 1
            guard let needed, s.answered == needed else { return [] }
            s.stopped.formUnion(s.stoppers.keys)
            return Array(s.stoppers.values)
        }
        for stop in stoppers { stop() }
    }

    /// Runs `seats` at the same time, counting each answer, in a task the quorum can cancel;
    /// says whether it did.
    func runTogether<Seat: Sendable>(_ seats: [Seat], _ run: @escaping @Sendable (Seat) async -> SeatRunner.Outcome) async
        -> (outcomes: [SeatRunner.Outcome], stoppedByQuorum: Bool) {
        let (outcomes, stopped) = await stoppable {
            await withTaskGroup(of: SeatRunner.Outcome.self) { tasks in
                for seat in seats { tasks.addTask { await run(seat) } }
                var collected: [SeatRunner.Outcome] = []
                for await outcome in tasks {
                    collected.append(outcome)
                    if outcome.failure == nil { self.seatAnswered() }
                }
                return collected
            }
        }
        return (outcomes, stopped)
    }

    /// Runs `work` in a task the quorum can cancel (cancelling the caller cancels it too), and
    /// says whether the quorum did.
    private func stoppable<T: Sendable>(_ work: @escaping @Sendable () async -> T) async -> (value: T, stoppedByQuorum: Bool) {
        guard let needed else { return (await work(), false) }
        let task = Task { await work() }
        let (token, alreadyMet): (Int, Bool) = state.withLock { s in
            let token = s.nextToken
            s.nextToken += 1
            guard s.answered < needed else {
                s.stopped.insert(token)
                return (token, true)
            }
            s.stoppers[token] = { task.cancel() }
            return (token, false)
        }
        // Met before this work registered: nothing else will stop it. Cancelled outside the lock,
        // as every stop is, because cancellation handlers run synchronously.
        if alreadyMet { task.cancel() }
        let value = await withTaskCancellationHandler { await task.value } onCancel: { task.cancel() }
        let stopped = state.withLock { s in
            s.stoppers.removeValue(forKey: token)
            return s.stopped.remove(token) != nil
        }
        return (value, stopped)
    }
}
