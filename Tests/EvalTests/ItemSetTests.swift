import Eval
import Foundation
import Testing

@Suite("Evaluation items")
struct ItemSetTests {
    /// Lines in the exact shape `scripts/eval/build_items.py` writes (taken from a real build).
    static let fixture = """
        {"id": "arc/00000", "task": "arc", "split": "heldout", "position": 0, "question": "Which is the most likely effect?\\n\\nA. Planetary density will decrease.\\nB. Planetary years will become longer.\\nC. Planetary days will become shorter.\\nD. Planetary gravity will become stronger.", "answer": "C", "answer_type": "letter", "choices": ["A", "B", "C", "D"]}
        {"id": "arc/00001", "task": "arc", "split": "dev", "position": 1, "question": "Which will most likely result?\\n\\nA. building designs will look nicer\\nB. buildings will be made safer\\nC. buildings will be built faster\\nD. building materials will be cheaper", "answer": "B", "answer_type": "letter", "choices": ["A", "B", "C", "D"]}
        {"id": "arc/00002", "task": "arc", "split": "dev", "position": 2, "question": "Which step signals the beginning of photosynthesis?\\n\\nA. Light energy is converted to chemical energy.\\nB. Sunlight is converted into chlorophyll.\\nC. Chemical energy is absorbed through the roots.\\nD. Chlorophyll in the leaf captures light energy.", "answer": "D", "answer_type": "letter", "choices": ["A", "B", "C", "D"]}
        {"id": "gsm8k/00001", "task": "gsm8k", "split": "dev", "position": 1, "question": "A robe takes 2 bolts of blue fiber and half that much white fiber.  How many bolts in total does it take?", "answer": "3", "answer_type": "number", "choices": null}
        {"id": "gsm8k/00005", "task": "gsm8k", "split": "heldout", "position": 5, "question": "How much does he need to pay for them?", "answer": "64", "answer_type": "number", "choices": null}

        {"id": "syllogism/00001", "task": "syllogism", "split": "dev", "position": 1, "question": "Consider these statements:\\n1. All adults are lions\\n2. No lions are dogs\\n\\nDoes it logically follow that:\\nNo dogs are lions?\\n(Answer Yes or No)", "answer": "Yes", "answer_type": "word", "choices": ["Yes", "No"]}
        """

    /// Writes `text` to a fresh temporary file; the caller removes it.
    func fixtureFile(_ text: String = fixture) throws -> String {
        let path = FileManager.default.temporaryDirectory
            .appendingPathComponent("eval-items-\(UUID().uuidString).jsonl").path
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    func load(_ text: String = fixture, split: EvalSplit? = .dev, tasks: [String]? = nil,
              limit: Int? = nil) throws -> EvalItemSet {
        let path = try fixtureFile(text)
        defer { try? FileManager.default.removeItem(atPath: path) }
        return try EvalItemSet.load(path: path, split: split, tasks: tasks, limit: limit)
    }

    @Test func loadsDevByDefault() throws {
        let set = try load()
        #expect(set.items.map(\.id) == ["arc/00001", "arc/00002", "gsm8k/00001", "syllogism/00001"])
        #expect(set.tasks == ["arc", "gsm8k", "syllogism"])
        let first = set.items[0]
        #expect(first.answerType == .letter && first.choices == ["A", "B", "C", "D"] && first.position == 1)
        #expect(first.optionTexts["B"] == "buildings will be made safer")
        #expect(set.items[2].choices == nil && set.items[2].answer == "3")
    }

    @Test func filtersBySplitTaskAndLimitPerTask() throws {
        #expect(try load(split: .heldout).items.map(\.id) == ["arc/00000", "gsm8k/00005"])
        #expect(try load(split: nil).items.count == 6)
        #expect(try load(tasks: ["gsm8k"]).items.map(\.id) == ["gsm8k/00001"])
        #expect(try load(split: nil, limit: 1).items.map(\.id) == ["arc/00000", "gsm8k/00001", "syllogism/00001"])
        #expect(throws: EvalDataError.unknownTasks(["mmlu"])) { try load(tasks: ["mmlu"]) }
    }

    @Test("an item's task index says whether --limit N runs it, though positions have gaps")
    func taskIndexMatchesTheLimit() throws {
        // Like syllogism in the real manifest: build_items.py skips positions (7, 10, 13, …) to balance labels.
        let positions = [0, 1, 2, 3, 4, 5, 6, 8, 9, 11, 12, 14, 15, 16, 17, 18, 19, 20, 21, 22]
        let lines = positions.map { position in
            let split = EvalSplit.of(position: position).rawValue
            return #"{"id": "syllogism/\#(String(format: "%05d", position))", "task": "syllogism", "split": "\#(split)", "#
                + #""position": \#(position), "question": "q", "answer": "Yes", "answer_type": "word", "choices": ["Yes", "No"]}"#
        }.joined(separator: "\n")
        let dev = try load(lines).items
        #expect(dev.map(\.taskIndex) == Array(0..<dev.count).map(Optional.some))
        for limit in [1, 4, 5, 9, 15] {
            let limited = try load(lines, limit: limit).items
            #expect(limited == dev.filter { $0.taskIndex! < limit }, "limit \(limit)")
        }
        // The 9th dev item is position 12, not the 9th dev position (11).
        #expect(dev.first { $0.taskIndex == 8 }?.id == "syllogism/00012")
        // Held-out items are counted among themselves.
        #expect(try load(lines, split: .heldout).items.map(\.taskIndex) == [0, 1, 2, 3])
        #expect(try load(split: nil).items.map(\.taskIndex) == [0, 0, 1, 0, 0, 0])
    }

    @Test func promptEndsWithTheAnswerInstruction() throws {
        let set = try load()
        let arc = EvalPrompt.user(for: set.items[0])
        #expect(arc.hasPrefix(set.items[0].question))
        #expect(arc.hasSuffix("Answer: <letter>\nwhere <letter> is one of A, B, C, D."))
        #expect(EvalPrompt.user(for: set.items[2]).contains("Answer: <number>"))
        #expect(EvalPrompt.user(for: set.items[3]).hasSuffix("where <word> is one of: Yes, No."))
    }

    @Test func badFilesFailLoudly() throws {
        #expect(throws: EvalDataError.fileNotFound(path: "/nonexistent/items.jsonl")) {
            try EvalItemSet.load(path: "/nonexistent/items.jsonl")
        }
        #expect(throws: EvalDataError.self) { try load("{\"id\": \"x\"}\n") }
        // A split that contradicts the position rule means the file was not built by build_items.py.
        let wrongSplit = Self.fixture.replacingOccurrences(of: "\"split\": \"dev\", \"position\": 1,",
                                                           with: "\"split\": \"heldout\", \"position\": 1,")
        #expect(throws: EvalDataError.self) { try load(wrongSplit) }
        let duplicated = Self.fixture + "\n" + Self.fixture.split(separator: "\n")[0]
        #expect(throws: EvalDataError.duplicateID("arc/00000")) { try load(duplicated) }
    }

    @Test("shards partition the selection: every item in exactly one shard, every shard sees every task")
    func shards() throws {
        #expect(EvalShard(parsing: "2/4") == EvalShard(index: 2, count: 4))
        for bad in ["0/4", "5/4", "4", "a/b", "1/0", "-1/2", "1/2/3", ""] { #expect(EvalShard(parsing: bad) == nil, "\(bad)") }
        let items = (0..<10).map { "task\($0 / 5)/\($0)" }
        let parts = (1...3).map { EvalShard(index: $0, count: 3)!.select(items) }
        #expect(parts.flatMap { $0 }.sorted() == items.sorted())
        #expect(parts[1] == ["task0/1", "task0/4", "task1/7"])
        #expect(parts.allSatisfy { part in part.contains { $0.hasPrefix("task0") } && part.contains { $0.hasPrefix("task1") } })
        #expect(EvalShard(parsing: "2/3")!.fileTag == "shard-2-of-3")
    }

    @Test func splitRule() {
        #expect(EvalSplit.of(position: 0) == .heldout)
        #expect(EvalSplit.of(position: 5) == .heldout)
        #expect((1...4).allSatisfy { EvalSplit.of(position: $0) == .dev })
    }
}
