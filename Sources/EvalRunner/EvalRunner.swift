import Eval
import Foundation
import Fusion
import Llama

/// What the runner reports while it works (for a progress line; the runner never prints).
public enum EvalProgress: Sendable {
    case conditionStarted(index: Int, count: Int, condition: EvalCondition, items: Int)
    /// Live detail of the call in flight, e.g. "qwen2.5-coder-1.5b 48 tok" or "judge qwen2.5-coder-0.5b".
    case activity(String)
    /// One item is scored; `wallSeconds` is how long it took now (near 0 when cached).
    case itemFinished(record: EvalResultRecord, done: Int, total: Int, wallSeconds: Double)
    case conditionFinished(condition: EvalCondition, records: [EvalResultRecord], path: String?)
}

/// What a run did.
public struct EvalRunSummary: Sendable {
    /// Model calls that actually ran (seat calls and fusions); 0 when everything came from the cache.
    public var modelCalls = 0
    public var cacheHits = 0
    /// Result lines per condition, in item order.
    public var records: [String: [EvalResultRecord]] = [:]
    /// Items whose model call failed (scored wrong, with `error` set, not cached).
    public var failedItems = 0
    /// Ctrl-C (task cancellation) stopped the run; everything finished before it is cached.
    public var interrupted = false
}

/// Why a run cannot start.
public enum EvalRunError: Error, CustomStringConvertible {
    case modelUnavailable(condition: String, model: String, reason: String)
    case resultsNotWritable(path: String, reason: String)

    public var description: String {
        switch self {
        case .modelUnavailable(let condition, let model, let reason):
            return "condition \(condition): model \(model) is not available: \(reason)"
        case .resultsNotWritable(let path, let reason): return "cannot write \(path): \(reason)"
        }
    }
}

/// Runs conditions over items through a `FusionEngine`, every model call through the cache.
///
/// Order: condition by condition, item by item, one call at a time (the engine's plan decides
/// threads). A member answer is one *seat call* (one model, `samples` answers to one prompt); a
/// fusion is one more call (judge and synthesizer on the member answers, via
/// `FusionEngine.fuse(_:answers:)`), so a fusion over greedy members reuses the solo answers.
/// Votes and ceilings make no calls of their own beyond their members' seat calls.
public final class EvalRunner: @unchecked Sendable {
    public let engine: FusionEngine
    public let cache: EvalCache

    private let lock = NSLock()
    private var fingerprints: [String: String] = [:]
    private var summary = EvalRunSummary()

    public init(engine: FusionEngine, cache: EvalCache) {
        self.engine = engine
        self.cache = cache
    }

    /// Runs every condition over `items` and, when `outDirectory` is set, writes
    /// `<outDirectory>/<condition>.jsonl` (`<condition>.<fileTag>.jsonl` when tagged, e.g. by a
    /// shard) after each condition (and the finished part of the current one on interruption).
    /// Cancelling the calling task interrupts the run: the call in flight is dropped, everything
    /// before it is kept.
    public func run(conditions: [EvalCondition], items: [EvalItem], outDirectory: String?, fileTag: String? = nil,
                    progress: @escaping @Sendable (EvalProgress) -> Void = { _ in }) async throws -> EvalRunSummary {
        lock.withLock { summary = EvalRunSummary() }
        try preflight(conditions)
        let ordered = conditions.enumerated().sorted { Self.order($0.element.kind, $0.offset) < Self.order($1.element.kind, $1.offset) }
            .map(\.element)
        for (index, condition) in ordered.enumerated() {
            if Task.isCancelled { break }
            progress(.conditionStarted(index: index, count: ordered.count, condition: condition, items: items.count))
            var records: [EvalResultRecord] = []
            for item in items {
                if Task.isCancelled { break }
                let start = ContinuousClock.now
                let record: EvalResultRecord
                do {
                    record = try await evaluate(condition, item, progress: progress)
                } catch is CancellationError {
                    break
                } catch {
                    if Task.isCancelled { break }
                    lock.withLock { summary.failedItems += 1 }
                    record = failedRecord(condition, item, message: (error as? ItemFailure)?.message ?? "\(error)")
                }
                records.append(record)
                let wall = ContinuousClock.now - start
                progress(.itemFinished(record: record, done: records.count, total: items.count,
                                       wallSeconds: Double(wall.components.seconds) + Double(wall.components.attoseconds) / 1e18))
            }
            lock.withLock { summary.records[condition.name] = records }
            var path: String?
            if let outDirectory {
                path = outDirectory + "/" + condition.name + (fileTag.map { "." + $0 } ?? "") + ".jsonl"
                do { try EvalResultsFile.write(records, to: path!) } catch {
                    throw EvalRunError.resultsNotWritable(path: path!, reason: "\(error)")
                }
            }
            progress(.conditionFinished(condition: condition, records: records, path: path))
        }
        return lock.withLock {
            summary.interrupted = Task.isCancelled
            return summary
        }
    }

    /// Solo conditions first (their answers are every other condition's members), fusions last.
    static func order(_ kind: EvalConditionKind, _ index: Int) -> Int {
        let rank: Int
        switch kind {
        case .solo, .judgeSolo: rank = 0
        case .vote, .ceiling: rank = 1
        case .fusion, .self: rank = 2
        }
        return rank * 100_000 + index
    }

    /// Every model resolves before anything loads (an unknown id is an error at once, not after an hour).
    private func preflight(_ conditions: [EvalCondition]) throws {
        for condition in conditions {
            for model in condition.allModels {
                do { _ = try fingerprint(model) } catch {
                    throw EvalRunError.modelUnavailable(condition: condition.name, model: model, reason: String(describing: error))
                }
            }
        }
    }

    /// The catalog sha256 of a model (its path when it is not in the catalog).
    private func fingerprint(_ model: String) throws -> String {
        if let known = lock.withLock({ fingerprints[model] }) { return known }
        let resolved = try engine.store.resolve(model)
        guard FileManager.default.fileExists(atPath: resolved.path) else {
            throw CocoaError(.fileNoSuchFile, userInfo: [NSFilePathErrorKey: resolved.path])
        }
        let value = resolved.entry?.sha256 ?? resolved.path
        lock.withLock { fingerprints[model] = value }
        return value
    }

    // MARK: - One item

    struct ItemFailure: Error { var message: String }

    /// A seat's answers to one item, with their scores.
    private struct SeatAnswers {
        var seat: EvalSeat
        var record: SeatCallRecord
        var outcomes: [EvalOutcome]
        var cached: Bool
    }

    private func evaluate(_ condition: EvalCondition, _ item: EvalItem,
                          progress: @escaping @Sendable (EvalProgress) -> Void) async throws -> EvalResultRecord {
        let prompt = EvalPrompt.user(for: item)
        var seats: [SeatAnswers] = []
        for seat in condition.seats {
            let (record, cached) = try await seatCall(seat, condition: condition, item: item, prompt: prompt, progress: progress)
            seats.append(SeatAnswers(seat: seat, record: record,
                                     outcomes: record.answers.map { Scorer.score(response: $0.text, item: item) },
                                     cached: cached))
        }
        let members = seats.flatMap { s in
            zip(s.record.answers, s.outcomes).map {
                MemberAnswer(model: s.seat.model, sample: $0.0.sample, extracted: $0.1.extracted.value, correct: $0.1.correct)
            }
        }
        var seconds = seats.reduce(0) { $0 + $1.record.seconds }
        var promptTokens = seats.reduce(0) { $0 + $1.record.promptTokens }
        var completionTokens = seats.reduce(0) { $0 + $1.record.completionTokens }
        var cached = seats.allSatisfy(\.cached)
        let raw: String
        let extracted: ExtractedAnswer
        let correct: Bool
        var judgeNote: String?

        switch condition.kind {
        case .solo, .judgeSolo:
            raw = seats[0].record.answers[0].text
            extracted = seats[0].outcomes[0].extracted
            correct = seats[0].outcomes[0].correct
        case .vote:
            let outcomes = seats.flatMap(\.outcomes)
            extracted = EvalStatistics.majorityVote(outcomes.map(\.extracted))
            correct = Scorer.isCorrect(extracted, item: item)
            raw = Self.memberSummary(members)
        case .ceiling:
            let outcomes = seats.flatMap(\.outcomes)
            let right = outcomes.first(where: \.correct)
            extracted = right?.extracted ?? EvalStatistics.majorityVote(outcomes.map(\.extracted))
            correct = right != nil
            raw = Self.memberSummary(members)
        case .fusion, .self:
            let (fusion, fusionCached) = try await fusionCall(condition, item: item, prompt: prompt, seats: seats,
                                                              progress: progress)
            raw = fusion.final
            let outcome = Scorer.score(response: fusion.final, item: item)
            extracted = outcome.extracted
            correct = outcome.correct
            judgeNote = fusion.judgeNote
            seconds += fusion.seconds
            promptTokens += fusion.promptTokens
            completionTokens += fusion.completionTokens
            cached = cached && fusionCached
        }
        return EvalResultRecord(
            condition: condition.name, kind: condition.kind, memberModels: condition.memberModels, id: item.id,
            task: item.task, split: item.split, gold: item.answer, answerType: item.answerType, raw: raw,
            extracted: extracted.value, correct: correct, parseFailed: extracted == .parseFailure, seconds: seconds,
            promptTokens: promptTokens, completionTokens: completionTokens, members: members, judgeNote: judgeNote,
            cached: cached, drawOf: condition.drawOf, chosenOnFirst: condition.chosenOnFirst, taskIndex: item.taskIndex)
    }

    private func failedRecord(_ condition: EvalCondition, _ item: EvalItem, message: String) -> EvalResultRecord {
        EvalResultRecord(condition: condition.name, kind: condition.kind, memberModels: condition.memberModels, id: item.id,
                         task: item.task, split: item.split, gold: item.answer, answerType: item.answerType, raw: "",
                         extracted: nil, correct: false, parseFailed: true, seconds: 0, promptTokens: 0,
                         completionTokens: 0, members: [], error: message, drawOf: condition.drawOf,
                         chosenOnFirst: condition.chosenOnFirst, taskIndex: item.taskIndex)
    }

    /// "qwen2.5-coder-1.5b: C ✓ | smollm2-135m#2: – ✗": what a vote or ceiling saw.
    static func memberSummary(_ members: [MemberAnswer]) -> String {
        let multi = Dictionary(grouping: members, by: \.model).filter { $0.value.count > 1 }.keys
        return members.map { m in
            let name = multi.contains(m.model) ? "\(m.model)#\(m.sample + 1)" : m.model
            return "\(name): \(m.extracted ?? "–") \(m.correct ? "✓" : "✗")"
        }.joined(separator: " | ")
    }

    // MARK: - Calls

    /// Per-item seeds: sampled seats and the judge's label shuffle differ between items but are
    /// fixed for an item, so a rerun (or another condition with the same seat) asks for the same call.
    public static func itemSeed(base: UInt32, item: String, salt: UInt64 = 0) -> UInt32 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325   // FNV-1a over the id's UTF-8 bytes
        for byte in item.utf8 { hash = (hash ^ UInt64(byte)) &* 0x0000_0100_0000_01b3 }
        var generator = SplitMix64(seed: hash ^ (UInt64(base) << 32) ^ salt)
        let value = UInt32(truncatingIfNeeded: generator.next())
        return value == .max ? 0 : value   // 0xFFFFFFFF means "random" to the sampler
    }

    private func seatSeed(_ seat: EvalSeat, _ condition: EvalCondition, _ item: EvalItem) -> UInt32 {
        Self.itemSeed(base: seat.seed ?? condition.seed, item: item.id)
    }

    private func seatKey(_ seat: EvalSeat, condition: EvalCondition, item: EvalItem, prompt: String) throws -> SeatCallKey {
        let greedy = seat.temperature <= 0
        let defaults = FusionRequest(question: prompt, panel: [], judge: "")
        return SeatCallKey(model: try fingerprint(seat.model), messages: [.user(prompt)], samples: seat.samples,
                           temperature: greedy ? 0 : seat.temperature,
                           seed: greedy ? nil : seatSeed(seat, condition, item),
                           topK: greedy ? nil : defaults.topK, topP: greedy ? nil : defaults.topP,
                           minP: greedy ? nil : defaults.minP, repeatPenalty: condition.repeatPenalty,
                           maxTokens: condition.maxTokens, contextSize: condition.contextSize)
    }

    private func seatCall(_ seat: EvalSeat, condition: EvalCondition, item: EvalItem, prompt: String,
                          progress: @escaping @Sendable (EvalProgress) -> Void) async throws -> (SeatCallRecord, Bool) {
        let keyFields = try seatKey(seat, condition: condition, item: item, prompt: prompt)
        let key = EvalCache.key(keyFields)
        if let hit = cache.read(key, as: SeatCallRecord.self), hit.answers.count == seat.samples {
            lock.withLock { summary.cacheHits += 1 }
            return (hit, true)
        }
        try Task.checkCancellation()
        let seed = seatSeed(seat, condition, item)
        var request = FusionRequest(question: prompt, panel: [SeatSpec(model: seat.model, samples: seat.samples,
                                                                       temperature: seat.temperature, seed: seed)],
                                    judge: seat.model)
        request.seed = seed
        request.temperature = seat.temperature
        request.panelMaxTokens = condition.maxTokens
        request.contextSize = condition.contextSize
        request.repeatPenalty = condition.repeatPenalty
        let label = seat.samples > 1 ? "\(seat.model) ×\(seat.samples)" : seat.model
        progress(.activity(label))
        let counter = TokenCounter()
        let answers = await engine.panelAnswers(request) { event in
            if case .seatDelta = event {
                let n = counter.increment()
                if n % 16 == 0 { progress(.activity("\(label) \(n) tok")) }
            }
        }
        lock.withLock { summary.modelCalls += 1 }
        try Task.checkCancellation()
        if let failure = answers.failed.first {
            throw ItemFailure(message: "\(failure.model): \(failure.reason.rawValue): \(failure.message)")
        }
        guard answers.responses.count == seat.samples else {
            throw ItemFailure(message: "\(seat.model) gave \(answers.responses.count) of \(seat.samples) answers")
        }
        let record = SeatCallRecord(
            model: seat.model,
            answers: answers.responses.map {
                SeatCallRecord.Answer(sample: $0.sample, text: $0.text, finishReason: $0.finishReason.rawValue,
                                      promptTokens: $0.usage.promptTokens, completionTokens: $0.usage.completionTokens,
                                      seed: $0.seed)
            },
            seconds: max(0, answers.seconds - answers.loadSeconds))
        try? cache.write(key, keyFields: keyFields, value: record)
        return (record, false)
    }

    private func fusionCall(_ condition: EvalCondition, item: EvalItem, prompt: String, seats: [SeatAnswers],
                            progress: @escaping @Sendable (EvalProgress) -> Void) async throws -> (FusionCallRecord, Bool) {
        let judge = condition.judge ?? condition.seats[0].model
        var request = FusionRequest(
            question: prompt,
            panel: seats.map { SeatSpec(model: $0.seat.model, samples: $0.seat.samples, temperature: $0.seat.temperature,
                                        seed: seatSeed($0.seat, condition, item), reference: $0.seat.reference) },
            judge: judge, synthesizer: condition.synthesizer)
        request.mode = condition.mode
        request.seed = Self.itemSeed(base: condition.seed, item: item.id, salt: 0x4A55_4447_45)   // "JUDGE"
        request.panelMaxTokens = condition.maxTokens
        request.judgeMaxTokens = condition.judgeMaxTokens
        request.synthesisMaxTokens = condition.synthesisMaxTokens
        request.contextSize = condition.contextSize
        request.repeatPenalty = condition.repeatPenalty
        let answers = seats.enumerated().flatMap { index, s in
            s.record.answers.map {
                SeatResponse(seat: index, sample: $0.sample, model: s.seat.model, text: $0.text,
                             finishReason: StopReason(rawValue: $0.finishReason) ?? .stop,
                             usage: TokenUsage(promptTokens: $0.promptTokens, completionTokens: $0.completionTokens),
                             seed: $0.seed)
            }
        }
        let keyFields = FusionCallKey(
            mode: condition.mode.rawValue, judge: try fingerprint(judge),
            synthesizer: try condition.synthesizer.map(fingerprint), question: prompt,
            panel: try seats.map { FusionCallKey.Seat(model: try fingerprint($0.seat.model), samples: $0.seat.samples,
                                                      reference: $0.seat.reference) },
            answers: try answers.map { FusionCallKey.Answer(seat: $0.seat, sample: $0.sample,
                                                            model: try fingerprint($0.model), text: $0.text) },
            seed: request.seed ?? 0, judgeMaxTokens: condition.judgeMaxTokens,
            synthesisMaxTokens: condition.synthesisMaxTokens, contextSize: condition.contextSize,
            writers: FusionEngine.writerFingerprint(request, answers: answers))
        let key = EvalCache.key(keyFields)
        if let hit = cache.read(key, as: FusionCallRecord.self) {
            lock.withLock { summary.cacheHits += 1 }
            return (hit, true)
        }
        try Task.checkCancellation()
        let writer = condition.mode == .aggregate ? "aggregate" : "judge"
        progress(.activity("\(writer) \(judge)"))
        let counter = TokenCounter()
        let result = await engine.fuse(request, answers: answers) { event in
            switch event {
            case .stage(let stage, let model): progress(.activity("\(stage.rawValue) \(model)"))
            case .finalDelta:
                let n = counter.increment()
                if n % 16 == 0 { progress(.activity("final \(n) tok")) }
            default: break
            }
        }
        lock.withLock { summary.modelCalls += 1 }
        try Task.checkCancellation()
        guard result.status == .ok else {
            if result.failureReason == "cancelled" { throw CancellationError() }
            throw ItemFailure(message: result.error ?? result.failureReason ?? "the fusion failed")
        }
        let stages = result.trace.stages
        let record = FusionCallRecord(final: result.final, judgeNote: result.trace.judgeNote,
                                      analyzed: result.analysis != nil, labels: result.trace.labels,
                                      promptTokens: result.usage.promptTokens,
                                      completionTokens: result.usage.completionTokens,
                                      seconds: stages.total - stages.plan, judgeSeconds: stages.judge,
                                      synthesisSeconds: stages.synthesis)
        try? cache.write(key, keyFields: keyFields, value: record)
        return (record, false)
    }
}

/// Counts streamed pieces for the live activity line (events arrive on the engine's tasks).
final class TokenCounter: @unchecked Sendable {
    private let lock = NSLock()
    private var value = 0
    func increment() -> Int { lock.withLock { value += 1; return value } }
}
