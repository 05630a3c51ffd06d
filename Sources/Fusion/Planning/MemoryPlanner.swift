import Foundation

/// Decides, before anything loads, how a request's models share the memory budget and the cores.
///
/// ```swift
/// let planner = MemoryPlanner(budget: try MemoryBudget.resolve(environment: env))
/// let plan = try planner.plan(panel: seats, judge: judge)
/// print(plan.text)
/// ```
///
/// Rules, in order:
/// 1. Every model must fit the budget on its own, else ``PlanningError/modelExceedsBudget(model:estimateBytes:budgetBytes:)``
///    names it (panel seats in order, then judge, then synthesizer).
/// 2. Panel seats are packed into waves first-fit, largest seat first (ties: lower index first);
///    seats of the same model share its weights within a wave. One wave is `allAtOnce`, one seat
///    per wave `oneAtATime`, anything else `waves`. Seat indices within a wave are ascending.
/// 3. The judge stays resident during the panel when the panel packs into as many waves with the
///    judge's memory reserved as without it; otherwise panel models are released before the
///    judge loads (`afterPanel`).
/// 4. A synthesizer of the judge's model shares its weights; another model loads next to the
///    judge if both fit, else after the judge is released.
/// 5. Decode concurrency follows ``DecodeConcurrency`` for the largest wave.
public struct MemoryPlanner: Sendable {
    /// The budget every moment of the plan must fit.
    public var budget: MemoryBudget
    /// Cores available for decoding.
    public var cores: Int

    /// Creates a planner for `budget` and `cores` (default: the active processor count).
    public init(budget: MemoryBudget, cores: Int = ProcessInfo.processInfo.activeProcessorCount) {
        self.budget = budget
        self.cores = cores
    }

    /// Plans a request.
    ///
    /// - Parameters:
    ///   - panel: the local panel seats, in panel order (at least one unless a judge is given).
    ///   - judge: the judge, if the request has one.
    ///   - synthesizer: the synthesizer if it is a separate step; pass nil when the judge writes
    ///     the final answer.
    /// - Throws: ``PlanningError/modelExceedsBudget(model:estimateBytes:budgetBytes:)`` for a model
    ///   that can never fit; ``PlanningError/invalidInput(_:)`` for an empty panel or no cores.
    public func plan(panel: [PlanningSeat], judge: PlanningSeat? = nil,
                     synthesizer: PlanningSeat? = nil) throws(PlanningError) -> MemoryPlan {
        // A panel answered only by remote seats still needs the judge planned.
        guard !panel.isEmpty || judge != nil else { throw .invalidInput("the panel has no local seats") }
        guard cores >= 1 else { throw .invalidInput("cores must be at least 1, not \(cores)") }
        for seat in panel + [judge, synthesizer].compactMap({ $0 }) {
            let bytes = seat.estimate.totalBytes
            guard budget.fits(bytes) else {
                throw .modelExceedsBudget(model: seat.label, estimateBytes: bytes, budgetBytes: budget.bytes)
            }
        }

        // Panel waves, with and without the judge reserved alongside.
        let free = Self.pack(panel, budget: budget.bytes, pinned: nil)
        var waves = free
        var judgeResidency = MemoryPlan.JudgeResidency.none
        if let judge {
            judgeResidency = .afterPanel
            if let pinned = Self.packIfPossible(panel, budget: budget.bytes, pinned: judge), pinned.count == free.count {
                waves = pinned
                judgeResidency = .resident
            }
        }

        // After the panel: the judge, then the synthesizer.
        var synthesizerResidency = MemoryPlan.SynthesizerResidency.none
        var phases: [UInt64] = []
        if let judge { phases.append(judge.estimate.totalBytes) }
        if let synthesizer {
            if let judge {
                let together = ResidentSet.bytes(of: [judge, synthesizer])
                if synthesizer.model == judge.model && budget.fits(together) {
                    synthesizerResidency = .sharesJudgeModel
                    phases.append(together)
                } else if budget.fits(together) {
                    synthesizerResidency = .alongsideJudge
                    phases.append(together)
                } else {
                    synthesizerResidency = .afterJudge
                    phases.append(synthesizer.estimate.totalBytes)
                }
            } else {
                synthesizerResidency = .afterJudge
                phases.append(synthesizer.estimate.totalBytes)
            }
        }

        let schedule: MemoryPlan.Schedule
        if waves.count <= 1 {
            schedule = .allAtOnce
        } else if waves.allSatisfy({ $0.count == 1 }) {
            schedule = .oneAtATime
        } else {
            schedule = .waves(waves)
        }
        let concurrency = DecodeConcurrency(cores: cores, largestWave: waves.map(\.count).max() ?? 1)
        let everything = panel + [judge, synthesizer].compactMap { $0 }
        let pinned = judgeResidency == .resident ? judge.map { [$0] } ?? [] : []
        let waveBytes = waves.map { wave in ResidentSet.bytes(of: pinned + wave.map { panel[$0] }) }
        return MemoryPlan(seats: panel, judge: judge, synthesizer: synthesizer, schedule: schedule, waves: waves,
                          judgeResidency: judgeResidency, synthesizerResidency: synthesizerResidency,
                          concurrency: concurrency, decodeOrder: concurrency.decodeGroups(for: waves),
                          totalBytes: ResidentSet.bytes(of: everything),
                          peakBytes: (waveBytes + phases).max() ?? 0, budget: budget)
    }

    /// First-fit decreasing packing that cannot fail (every seat fits alone, checked before).
    static func pack(_ seats: [PlanningSeat], budget: UInt64, pinned: PlanningSeat?) -> [[Int]] {
        packIfPossible(seats, budget: budget, pinned: pinned) ?? seats.indices.map { [$0] }
    }

    /// First-fit decreasing packing of `seats` into waves within `budget`, each wave also holding
    /// `pinned` if given; nil when some seat does not fit even alone next to `pinned`.
    static func packIfPossible(_ seats: [PlanningSeat], budget: UInt64, pinned: PlanningSeat?) -> [[Int]]? {
        let order = seats.indices.sorted { a, b in
            let (x, y) = (seats[a].estimate.totalBytes, seats[b].estimate.totalBytes)
            return x != y ? x > y : a < b
        }
        let base = pinned.map { [$0] } ?? []
        var waves: [[Int]] = []
        for index in order {
            if let slot = waves.firstIndex(where: { wave in
                ResidentSet.bytes(of: base + (wave + [index]).map { seats[$0] }) <= budget
            }) {
                waves[slot].append(index)
            } else if ResidentSet.bytes(of: base + [seats[index]]) <= budget {
                waves.append([index])
            } else {
                return nil
            }
        }
        return waves.map { $0.sorted() }
    }
}
