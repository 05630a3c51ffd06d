import Eval
import Foundation
import Fusion
import Testing
@testable import EvalRunner

@Suite("Eval conditions, suite policy and progress", .serialized)
struct EvalConfigTests {
    static let repoRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().path

    static func decode(_ json: String) throws -> EvalCondition {
        try JSONDecoder().decode(EvalCondition.self, from: Data(json.utf8))
    }

    @Test("the shipped configs load, validate, use catalog models and cover the required conditions")
    func shippedConfigs() throws {
        let directory = Self.repoRoot + "/configs/eval"
        let files = try FileManager.default.contentsOfDirectory(atPath: directory).filter { $0.hasSuffix(".json") }.sorted()
        let conditions = try EvalCondition.load(paths: files.map { directory + "/" + $0 })
        let catalog = Set(try ModelCatalog.loadDefault().models.map(\.id))
        for condition in conditions {
            for model in condition.allModels { #expect(catalog.contains(model), "\(condition.name): \(model)") }
        }
        let byName = Dictionary(uniqueKeysWithValues: conditions.map { ($0.name, $0) })
        for model in catalog {
            #expect(conditions.contains { $0.kind == .solo && $0.seats == [EvalSeat(model: model)] }, "solo \(model)")
        }
        let top3 = ["qwen2.5-coder-1.5b", "qwen2.5-coder-0.5b", "smollm2-135m"]
        #expect(byName["vote-top3"]?.memberModels == top3)
        #expect(byName["ceiling-top3"]?.memberModels == top3)
        let judges = Set(conditions.filter { $0.kind == .fusion && $0.memberModels == top3 }.compactMap(\.judge))
        #expect(judges.isSuperset(of: ["qwen2.5-coder-1.5b", "qwen2.5-coder-0.5b"]))
        let selfFusion = try #require(conditions.first { $0.kind == .self })
        #expect(selfFusion.seats == [EvalSeat(model: "qwen2.5-coder-1.5b", samples: 3, temperature: 0.7)])
        #expect(selfFusion.judge == "qwen2.5-coder-1.5b")
        // The `self` preset is the self-fusion the eval measured (its description quotes the result).
        let selfPreset = try FusionPresets.loadDefault().request(named: "self", question: "q")
        #expect(selfPreset.judge == selfFusion.judge && selfPreset.panelMaxTokens == selfFusion.maxTokens)
        #expect(selfPreset.panel.map(\.model) == selfFusion.seats.map(\.model)
                    && selfPreset.panel.map(\.samples) == selfFusion.seats.map(\.samples)
                    && selfPreset.panel.map { $0.temperature ?? selfPreset.temperature } == selfFusion.seats.map(\.temperature),
                "the self preset samples as the eval's self-fusion did (model, samples, temperature)")
        // The default preset's panel, as models/presets.json has it.
        let preset = try FusionPresets.loadDefault().request(named: nil, question: "q")
        let presetCondition = try #require(conditions.first { c in
            c.kind == .fusion && c.judge == preset.judge && c.seats.map(\.model) == preset.panel.map(\.model)
                && c.seats.map(\.samples) == preset.panel.map(\.samples)
                && c.seats.map(\.temperature) == preset.panel.map { $0.temperature ?? preset.temperature }
        }, "no eval condition runs the default preset's panel (models, samples, temperatures, judge)")
        #expect(presetCondition.seats.map(\.reference) == preset.panel.map(\.reference))
        #expect(preset.panelMaxTokens == presetCondition.maxTokens,
                "the default preset's members answer with the token budget the eval measured them with")
        // It was picked on the first 15 dev items of each task (the 2026-11-24 run's 120 items), so
        // the report must check it on the items after those.
        #expect(presetCondition.chosenOnFirst == 15)
        #expect(conditions.filter { $0.chosenOnFirst != nil }.map(\.name) == [presetCondition.name])
        // Greedy members of the mixed fusions share the solo calls (same max tokens and context).
        let solo = try #require(byName["solo-qwen2.5-coder-1.5b"])
        for c in conditions where c.kind == .fusion && c.memberModels == top3 {
            #expect(c.maxTokens == solo.maxTokens && c.contextSize == solo.contextSize && c.seats.allSatisfy { $0.temperature == 0 })
        }
        // Each draw's vote and ceiling read that draw's self-fusion samples: the same seats, seed
        // and token budget give the same cached calls, so "fusion vs its samples' vote" is paired.
        let secondDraw = try #require(byName["self-qwen2.5-coder-1.5b-x3-draw2"])
        #expect(secondDraw.seats == selfFusion.seats && secondDraw.seed != selfFusion.seed, "the second draw needs its own seed")
        // Declared as a draw, so the report pools it with the first instead of judging each seed alone.
        #expect(secondDraw.drawOf == selfFusion.name)
        for sampled in [selfFusion, secondDraw] {
            for prefix in ["vote-", "ceiling-"] {
                let c = try #require(byName[prefix + sampled.name], "no \(prefix + sampled.name)")
                #expect(c.seats == sampled.seats && c.seed == sampled.seed && c.maxTokens == sampled.maxTokens
                        && c.contextSize == sampled.contextSize && c.repeatPenalty == sampled.repeatPenalty, "\(c.name)")
                #expect(c.drawOf == sampled.drawOf.map { prefix + $0 }, "\(c.name) is a draw exactly when its samples are")
            }
        }
    }

    @Test("seats can be ids or objects; self-fusion fills its judge and sampling defaults")
    func decoding() throws {
        let vote = try Self.decode(#"{"name": "v", "kind": "vote", "members": ["a", {"model": "b", "samples": 2, "temperature": 0.5}]}"#)
        #expect(vote.seats == [EvalSeat(model: "a"), EvalSeat(model: "b", samples: 2, temperature: 0.5)])
        #expect(vote.maxTokens == EvalCondition.defaultMaxTokens && vote.seed == 42)
        let selfFusion = try Self.decode(#"{"name": "s", "kind": "self", "model": "q"}"#)
        #expect(selfFusion.seats == [EvalSeat(model: "q", samples: 3, temperature: 0.7)])
        #expect(selfFusion.judge == "q")
        try selfFusion.validate()
        let round = try JSONDecoder().decode(EvalCondition.self, from: JSONEncoder().encode(selfFusion))
        #expect(round == selfFusion)
        let picked = try Self.decode(#"{"name": "f", "kind": "fusion", "panel": ["a", "b"], "judge": "a", "chosen_on_first": 15}"#)
        #expect(picked.chosenOnFirst == 15 && selfFusion.chosenOnFirst == nil)
        #expect(try JSONDecoder().decode(EvalCondition.self, from: JSONEncoder().encode(picked)) == picked)
    }

    @Test("invalid conditions are refused with the reason")
    func validation() throws {
        let bad: [(String, String)] = [
            (#"{"name": "x y", "kind": "solo", "model": "a"}"#, "name"),
            (#"{"name": "x", "kind": "solo", "members": ["a", "b"]}"#, "one model"),
            (#"{"name": "x", "kind": "vote", "members": ["a"]}"#, "two answers"),
            (#"{"name": "x", "kind": "fusion", "panel": ["a", "b"]}"#, "judge"),
            (#"{"name": "x", "kind": "vote", "members": [{"model": "a", "samples": 3}]}"#, "temperature 0"),
            (#"{"name": "x", "kind": "fusion", "panel": ["a", "b"], "judge": "a", "chosen_on_first": 0}"#, "at least 1"),
            (#"{"name": "x", "kind": "solo", "model": "a", "chosen_on_first": 15}"#, "baseline"),
        ]
        for (json, reason) in bad {
            let condition = try Self.decode(json)
            #expect(throws: EvalConfigError.self) { try condition.validate() }
            do { try condition.validate() } catch { #expect(error.description.contains(reason), "\(error)") }
        }
    }

    @Test("condition names must be unique across files")
    func duplicates() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("evalcfg-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let one = #"{"name": "solo-a", "kind": "solo", "model": "a"}"#
        try one.write(toFile: directory + "/1.json", atomically: true, encoding: .utf8)
        try "[\(one)]".write(toFile: directory + "/2.json", atomically: true, encoding: .utf8)
        #expect(try EvalCondition.load(path: directory + "/2.json").count == 1)
        #expect(throws: EvalConfigError.self) { try EvalCondition.load(paths: [directory + "/1.json", directory + "/2.json"]) }
    }

    @Test("a draw must name a loaded condition and differ from it only in seed")
    func draws() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("evaldraw-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let base = #"{"name": "s", "kind": "self", "model": "q", "samples": 3, "temperature": 0.7}"#
        func load(_ draw: String) throws -> [EvalCondition] {
            try "[\(base), \(draw)]".write(toFile: directory + "/c.json", atomically: true, encoding: .utf8)
            return try EvalCondition.load(paths: [directory + "/c.json"])
        }
        let good = try load(#"{"name": "s2", "kind": "self", "model": "q", "samples": 3, "temperature": 0.7, "seed": 43, "draw_of": "s", "description": "again"}"#)
        #expect(good.last?.drawOf == "s" && good.last?.seed == 43)
        let bad: [(String, String)] = [
            (#"{"name": "s2", "kind": "self", "model": "q", "seed": 43, "draw_of": "nope"}"#, "no such condition"),
            (#"{"name": "s2", "kind": "self", "model": "q", "draw_of": "s"}"#, "another seed"),
            (#"{"name": "s2", "kind": "self", "model": "q", "samples": 4, "seed": 43, "draw_of": "s"}"#, "only in seed"),
            (#"{"name": "s2", "kind": "self", "model": "q", "temperature": 0.9, "seed": 43, "draw_of": "s"}"#, "only in seed"),
            (#"{"name": "s2", "kind": "vote", "members": [{"model": "q", "samples": 3, "temperature": 0.7}], "seed": 43, "draw_of": "s"}"#,
             "only in seed"),
            (#"{"name": "s2", "kind": "self", "seats": [{"model": "q", "samples": 3, "temperature": 0.7, "seed": 7}], "seed": 43, "draw_of": "s"}"#,
             "reuse"),
            (#"{"name": "s2", "kind": "self", "model": "q", "draw_of": "s2"}"#, "itself"),
            (#"{"name": "s2", "kind": "solo", "model": "q", "seed": 43, "draw_of": "s"}"#, "best-member baseline"),
        ]
        for (json, reason) in bad {
            do {
                _ = try load(json)
                Issue.record("accepted \(json)")
            } catch {
                #expect(String(describing: error).contains(reason), "\(json): \(error)")
            }
        }
        // A greedy vote redrawn is the same vote.
        let greedy = #"{"name": "v", "kind": "vote", "members": ["a", "b"]}"#
        try "[\(greedy), {\"name\": \"v2\", \"kind\": \"vote\", \"members\": [\"a\", \"b\"], \"seed\": 43, \"draw_of\": \"v\"}]"
            .write(toFile: directory + "/c.json", atomically: true, encoding: .utf8)
        do {
            _ = try EvalCondition.load(paths: [directory + "/c.json"])
            Issue.record("accepted a draw of a greedy vote")
        } catch {
            #expect(String(describing: error).contains("nothing in v is sampled"), "\(error)")
        }
        // No chains: a third draw names the first, so the groups stay flat.
        try "[\(base), {\"name\": \"s2\", \"kind\": \"self\", \"model\": \"q\", \"seed\": 43, \"draw_of\": \"s\"}, {\"name\": \"s3\", \"kind\": \"self\", \"model\": \"q\", \"seed\": 44, \"draw_of\": \"s2\"}]"
            .write(toFile: directory + "/c.json", atomically: true, encoding: .utf8)
        #expect(throws: EvalConfigError.self) { try EvalCondition.load(paths: [directory + "/c.json"]) }
    }

    @Test("the held-out split needs an explicit final check")
    func heldoutPolicy() throws {
        try EvalSuitePolicy.check(.dev, finalCheck: false)
        try EvalSuitePolicy.check(.heldout, finalCheck: true)
        #expect(throws: EvalConfigError.heldoutWithoutFinalCheck) { try EvalSuitePolicy.check(.heldout, finalCheck: false) }
    }

    @Test("the progress line shows position, accuracy, rate and an ETA from computed items only")
    func progressLine() {
        var meter = EvalProgressMeter(width: 10)
        meter.start(index: 1, count: 3, condition: "vote-top3", items: 10)
        #expect(meter.etaSeconds == nil)
        meter.finish(correct: true, cached: true, failed: false, wallSeconds: 0.01)
        meter.finish(correct: false, cached: false, failed: false, wallSeconds: 4)
        meter.finish(correct: true, cached: false, failed: false, wallSeconds: 6)
        #expect(meter.secondsPerItem == 5)
        #expect(meter.etaSeconds == 35)
        meter.activity = "judge qwen"
        #expect(meter.line == "[2/3] vote-top3 [###.......] 3/10 acc 66.7% · 1 cached · 5.0 s/item · ETA 35s · judge qwen")
        #expect(EvalProgressMeter.duration(873) == "14m33s")
        #expect(EvalProgressMeter.duration(7500) == "2h05m")
    }
}
