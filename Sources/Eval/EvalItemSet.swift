import Foundation

/// Why loading evaluation items failed; every case says what to do about it.
public enum EvalDataError: Error, Equatable, CustomStringConvertible {
    case fileNotFound(path: String)
    case unreadable(path: String, reason: String)
    case malformedLine(path: String, line: Int, reason: String)
    case duplicateID(String)
    case unknownTasks([String])

    public var description: String {
        switch self {
        case .fileNotFound(let path):
            return "no evaluation items at \(path); run scripts/fetch-eval-data.sh"
        case .unreadable(let path, let reason):
            return "cannot read \(path): \(reason)"
        case .malformedLine(let path, let line, let reason):
            return "\(path):\(line): not an evaluation item (\(reason)); rebuild with scripts/fetch-eval-data.sh"
        case .duplicateID(let id):
            return "item id \(id) appears twice; rebuild with scripts/fetch-eval-data.sh"
        case .unknownTasks(let tasks):
            return "unknown task(s) \(tasks.joined(separator: ", ")); known: "
                + EvalItemSet.taskNames.joined(separator: ", ")
        }
    }
}

/// The evaluation items of one run: a split, some tasks, optionally the first N of each task.
public struct EvalItemSet: Sendable {
    /// Every task `build_items.py` writes, in report order.
    public static let taskNames = ["arc", "truthfulqa", "gsm8k", "arithmetic", "chain_sum", "leg_counting",
                                   "family", "syllogism"]

    /// Items in file order (task by task, positions ascending).
    public let items: [EvalItem]

    public init(items: [EvalItem]) {
        self.items = items
    }

    /// Tasks present, in report order.
    public var tasks: [String] { Self.reportOrder(Set(items.map(\.task))) }

    /// Throws `unknownTasks` for names not in `taskNames`: a typo must not select nothing.
    public static func checkKnown(_ tasks: [String]) throws(EvalDataError) {
        let unknown = tasks.filter { !taskNames.contains($0) }
        if !unknown.isEmpty { throw .unknownTasks(unknown) }
    }

    /// `tasks` in the order reports list them: the known tasks in `taskNames` order, then any
    /// others sorted by name.
    public static func reportOrder(_ tasks: Set<String>) -> [String] {
        taskNames.filter(tasks.contains) + tasks.subtracting(taskNames).sorted()
    }

    /// The items of one task, in position order.
    public func items(task: String) -> [EvalItem] {
        items.filter { $0.task == task }
    }

    /// Where `scripts/fetch-eval-data.sh` writes the items: the same cache rule as
    /// `scripts/lib/common.sh` (LOCALFUSION_CACHE, else $XDG_CACHE_HOME/localfusion, else ~/.cache/localfusion).
    public static var defaultPath: String {
        let environment = ProcessInfo.processInfo.environment
        let cache = environment["LOCALFUSION_CACHE"]
            ?? ((environment["XDG_CACHE_HOME"] ?? (NSHomeDirectory() + "/.cache")) + "/localfusion")
        return cache + "/eval/items.jsonl"
    }

    /// Loads `items.jsonl`.
    ///
    /// - Parameters:
    ///   - split: `.dev` by default, so that tuning code cannot read held-out items by accident;
    ///     nil loads both splits.
    ///   - tasks: nil for all tasks; unknown names are an error rather than an empty set.
    ///   - limit: at most this many items *per task* (the lowest positions), so a quick run still
    ///     covers every task instead of exhausting the first one.
    public static func load(path: String = defaultPath, split: EvalSplit? = .dev, tasks: [String]? = nil,
                            limit: Int? = nil) throws -> EvalItemSet {
        if let tasks { try checkKnown(tasks) }
        guard FileManager.default.fileExists(atPath: path) else { throw EvalDataError.fileNotFound(path: path) }
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            throw EvalDataError.unreadable(path: path, reason: "\(error)")
        }
        var all = try decode(data, path: path)
        var counted: [String: Int] = [:]
        for index in all.indices {
            let key = all[index].task + "/" + all[index].split.rawValue
            all[index].taskIndex = counted[key, default: 0]
            counted[key, default: 0] += 1
        }

        let wanted = tasks.map(Set.init)
        var perTask: [String: Int] = [:]
        var selected: [EvalItem] = []
        for item in all {
            if let split, item.split != split { continue }
            if let wanted, !wanted.contains(item.task) { continue }
            if let limit {
                let taken = perTask[item.task, default: 0]
                guard taken < limit else { continue }
                perTask[item.task] = taken + 1
            }
            selected.append(item)
        }
        return EvalItemSet(items: selected)
    }

    /// Decodes JSONL; a bad line fails the whole load (a half-read item set would skew accuracy).
    static func decode(_ data: Data, path: String) throws -> [EvalItem] {
        let decoder = JSONDecoder()
        var items: [EvalItem] = []
        var seen = Set<String>()
        var lineNumber = 0
        for line in data.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false) {
            lineNumber += 1
            if line.allSatisfy({ $0 == UInt8(ascii: " ") || $0 == UInt8(ascii: "\r") || $0 == UInt8(ascii: "\t") }) {
                continue
            }
            let item: EvalItem
            do {
                item = try decoder.decode(EvalItem.self, from: Data(line))
            } catch {
                throw EvalDataError.malformedLine(path: path, line: lineNumber, reason: "\(error)")
            }
            guard EvalSplit.of(position: item.position) == item.split else {
                let reason = "split \(item.split.rawValue) contradicts position \(item.position)"
                throw EvalDataError.malformedLine(path: path, line: lineNumber, reason: reason)
            }
            guard seen.insert(item.id).inserted else { throw EvalDataError.duplicateID(item.id) }
            items.append(item)
        }
        return items
    }
}
