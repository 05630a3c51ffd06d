import Foundation
@testable import Fusion
import Testing

/// A seat whose model costs `weights` MB and whose context costs `context` MB (1 MB = 10⁶ bytes).
func plannedSeat(_ label: String, weights: UInt64, context: UInt64 = 0, model: String? = nil,
                 sequences: Int = 1) -> PlanningSeat {
    PlanningSeat(label: label, model: model,
                 estimate: MemoryEstimate(weightBytes: weights * 1_000_000, kvCacheBytes: context * 1_000_000,
                                          sequences: sequences))
}

func budget(_ megabytes: UInt64) -> MemoryBudget { MemoryBudget(bytes: megabytes * 1_000_000) }

@Suite("Planning: memory planner")
struct PlanningPlannerTests {
    /// 1,000 MB in total; the largest is 400.
    let panel = [plannedSeat("a", weights: 150, context: 50), plannedSeat("b", weights: 300, context: 100),
                 plannedSeat("c", weights: 100), plannedSeat("d", weights: 250, context: 50)]

    @Test("everything fits → all at once")
    func allAtOnce() throws {
        let plan = try MemoryPlanner(budget: budget(1000), cores: 2).plan(panel: panel)
        #expect(plan.schedule == .allAtOnce)
        #expect(plan.waves == [[0, 1, 2, 3]])
        #expect(plan.totalBytes == 1_000_000_000 && plan.peakBytes == plan.totalBytes)
    }

    @Test("60 % of the total → waves, each within the budget, every seat exactly once")
    func waves() throws {
        let plan = try MemoryPlanner(budget: budget(600), cores: 2).plan(panel: panel)
        guard case .waves(let waves) = plan.schedule else {
            Issue.record("expected waves, got \(plan.schedule)")
            return
        }
        #expect(waves == plan.waves)
        #expect(waves.count == 2)
        #expect(waves.flatMap { $0 }.sorted() == [0, 1, 2, 3])
        for index in waves.indices { #expect(plan.bytes(ofWave: index) <= 600_000_000) }
        // First-fit decreasing: b (400) + a (200) fill wave 1; d (300) + c (100) wave 2.
        #expect(waves == [[0, 1], [2, 3]])
        #expect(plan.peakBytes <= plan.budget.bytes)
    }

    @Test("just above the largest model → one at a time")
    func oneAtATime() throws {
        let plan = try MemoryPlanner(budget: budget(401), cores: 2).plan(panel: Array(panel.prefix(2)) + [panel[3]])
        #expect(plan.schedule == .oneAtATime)
        #expect(plan.waves == [[1], [2], [0]])
        #expect(plan.decodeOrder == [[1], [2], [0]])
    }

    @Test("below the largest model → a typed error naming it, its estimate and the budget")
    func tooLarge() throws {
        let planner = MemoryPlanner(budget: budget(399), cores: 2)
        #expect(throws: PlanningError.modelExceedsBudget(model: "b", estimateBytes: 400_000_000, budgetBytes: 399_000_000)) {
            try planner.plan(panel: panel)
        }
        let error = PlanningError.modelExceedsBudget(model: "b", estimateBytes: 400_000_000, budgetBytes: 399_000_000)
        #expect(error.description.contains("'b'") && error.description.contains("381.5 MiB")
                && error.description.contains("380.5 MiB"))
        // A judge that can never fit is caught too, before anything loads.
        #expect(throws: PlanningError.self) {
            try MemoryPlanner(budget: budget(1000)).plan(panel: [panel[2]], judge: plannedSeat("big", weights: 2000))
        }
    }

    @Test("empty panel and zero cores are invalid input")
    func invalidInput() {
        #expect(throws: PlanningError.self) { try MemoryPlanner(budget: budget(100)).plan(panel: []) }
        #expect(throws: PlanningError.self) { try MemoryPlanner(budget: budget(100), cores: 0).plan(panel: [panel[2]]) }
    }

    @Test("the same input always gives the same plan")
    func deterministic() throws {
        let equal = (0..<6).map { plannedSeat("s\($0)", weights: 100) }
        let planner = MemoryPlanner(budget: budget(250), cores: 2)
        let first = try planner.plan(panel: equal)
        #expect(first.waves == [[0, 1], [2, 3], [4, 5]])
        for _ in 0..<5 { #expect(try planner.plan(panel: equal) == first) }
    }

    @Test("seats of the same model share its weights")
    func sharedWeights() throws {
        let samples = (0..<3).map { plannedSeat("qwen #\($0)", weights: 300, context: 50, model: "qwen") }
        let plan = try MemoryPlanner(budget: budget(500), cores: 2).plan(panel: samples)
        #expect(plan.schedule == .allAtOnce)
        #expect(plan.peakBytes == 450_000_000)
    }

    @Test("judge stays resident when that costs the panel no extra wave, else loads after it")
    func judgeResidency() throws {
        let judge = plannedSeat("judge", weights: 200)
        let roomy = try MemoryPlanner(budget: budget(1200), cores: 2).plan(panel: panel, judge: judge)
        #expect(roomy.judgeResidency == .resident)
        #expect(roomy.schedule == .allAtOnce && roomy.peakBytes == 1_200_000_000)
        let tight = try MemoryPlanner(budget: budget(1000), cores: 2).plan(panel: panel, judge: judge)
        #expect(tight.judgeResidency == .afterPanel)
        #expect(tight.schedule == .allAtOnce)
        #expect(tight.peakBytes == 1_000_000_000)
        // A judge of a panel model only adds its context while resident.
        let sameModel = plannedSeat("judge", weights: 300, context: 20, model: "b")
        let shared = try MemoryPlanner(budget: budget(1020), cores: 2).plan(panel: panel, judge: sameModel)
        #expect(shared.judgeResidency == .resident && shared.peakBytes == 1_020_000_000)
    }

    @Test("synthesizer: shares the judge's model, loads alongside it, or after it")
    func synthesizer() throws {
        let judge = plannedSeat("judge", weights: 300, context: 50, model: "q")
        let planner = MemoryPlanner(budget: budget(600), cores: 2)
        let shared = try planner.plan(panel: [panel[2]], judge: judge,
                                      synthesizer: plannedSeat("synth", weights: 300, context: 50, model: "q"))
        #expect(shared.synthesizerResidency == .sharesJudgeModel)
        let alongside = try planner.plan(panel: [panel[2]], judge: judge,
                                         synthesizer: plannedSeat("synth", weights: 200, model: "s"))
        #expect(alongside.synthesizerResidency == .alongsideJudge)
        #expect(alongside.peakBytes == 550_000_000)
        let after = try planner.plan(panel: [panel[2]], judge: judge,
                                     synthesizer: plannedSeat("synth", weights: 500, model: "s"))
        #expect(after.synthesizerResidency == .afterJudge)
        #expect(after.peakBytes == 500_000_000)
        #expect(try planner.plan(panel: [panel[2]], judge: judge).synthesizerResidency == .none)
    }

    @Test("decode concurrency never oversubscribes the cores")
    func concurrency() throws {
        #expect(DecodeConcurrency(cores: 2, largestWave: 3) == .init(cores: 2, seatsAtOnce: 1, threadsPerSeat: 2, mode: .sequential))
        #expect(DecodeConcurrency(cores: 1, largestWave: 1).threadsPerSeat == 1)
        #expect(DecodeConcurrency(cores: 8, largestWave: 3) == .init(cores: 8, seatsAtOnce: 3, threadsPerSeat: 2, mode: .parallel))
        #expect(DecodeConcurrency(cores: 6, largestWave: 3).mode == .parallel)
        #expect(DecodeConcurrency(cores: 4, largestWave: 3) == .init(cores: 4, seatsAtOnce: 2, threadsPerSeat: 2, mode: .groups))
        #expect(DecodeConcurrency(cores: 16, largestWave: 2) == .init(cores: 16, seatsAtOnce: 2, threadsPerSeat: 8, mode: .parallel))
        for cores in 1...32 {
            for seats in 1...10 {
                let c = DecodeConcurrency(cores: cores, largestWave: seats)
                #expect(c.peakThreads <= cores && c.seatsAtOnce <= seats && c.threadsPerSeat >= 1)
            }
        }
        let plan = try MemoryPlanner(budget: budget(1000), cores: 4).plan(panel: panel)
        #expect(plan.concurrency.mode == .groups)
        #expect(plan.decodeOrder == [[0, 1], [2, 3]])
        let sequential = try MemoryPlanner(budget: budget(1000), cores: 2).plan(panel: panel)
        #expect(sequential.decodeOrder == [[0], [1], [2], [3]])
    }

    @Test("JSON: snake_case keys, schedule as a tagged object, round trip")
    func json() throws {
        let plan = try MemoryPlanner(budget: budget(600), cores: 2).plan(panel: panel, judge: plannedSeat("j", weights: 100))
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let data = try encoder.encode(plan)
        let json = String(decoding: data, as: UTF8.self)
        for key in ["judge_residency", "synthesizer_residency", "decode_order", "peak_bytes", "total_bytes",
                    "seats_at_once", "threads_per_seat", "kv_cache_bytes", "\"kind\":\"waves\""] {
            #expect(json.contains(key), "missing \(key) in \(json)")
        }
        #expect(try JSONDecoder().decode(MemoryPlan.self, from: data) == plan)
        for schedule in [MemoryPlan.Schedule.allAtOnce, .oneAtATime, .waves([[1], [0, 2]])] {
            let encoded = try JSONEncoder().encode(schedule)
            #expect(try JSONDecoder().decode(MemoryPlan.Schedule.self, from: encoded) == schedule)
        }
    }

    @Test("text: a table of models, then schedule, judge, decode and budget")
    func text() throws {
        let plan = try MemoryPlanner(budget: MemoryBudget(bytes: 600_000_000, source: .automatic, detail: "70% of 1 GiB RAM"),
                                     cores: 2).plan(panel: panel, judge: plannedSeat("j", weights: 100))
        let text = plan.text
        print(text)
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        #expect(lines[0].hasPrefix("model") && lines[0].contains("weights") && lines[0].contains("KV")
                && lines[0].contains("total"))
        #expect(lines[1].hasPrefix("a ") && lines[1].contains("seat 1"))
        #expect(lines[5].hasPrefix("j ") && lines[5].contains("judge"))
        // With the judge (100 MB) reserved, b + c and d + a still pack into two waves.
        #expect(text.contains("schedule: 2 waves — wave 1: seats 2, 3 (572.2 MiB); wave 2: seats 1, 4 (572.2 MiB)"))
        #expect(text.contains("judge: stays resident during the panel"))
        #expect(text.contains("decode: sequential"))
        #expect(text.contains("budget 572.2 MiB (70% of 1 GiB RAM)"))
    }
}
