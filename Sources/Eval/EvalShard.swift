/// One part of an evaluation run split across machines or sessions: `--shard 2/4` takes the 2nd,
/// 6th, 10th, … selected item.
///
/// Why interleaved rather than contiguous: items come task by task, so every shard gets a slice of
/// every task and a partial set of shards still reports all tasks. Each shard writes its own
/// results file (`fileTag`); the report merges files by condition, so copying the shards' files
/// into one directory is the whole merge.
public struct EvalShard: Sendable, Equatable, CustomStringConvertible {
    /// 1-based.
    public let index: Int
    public let count: Int

    public init?(index: Int, count: Int) {
        guard count >= 1, (1...count).contains(index) else { return nil }
        self.index = index
        self.count = count
    }

    /// Parses "K/N" with 1 ≤ K ≤ N.
    public init?(parsing text: String) {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2, let k = Int(parts[0]), let n = Int(parts[1]) else { return nil }
        self.init(index: k, count: n)
    }

    /// This shard's items, in their original order.
    public func select<T>(_ items: [T]) -> [T] {
        items.enumerated().filter { $0.offset % count == index - 1 }.map(\.element)
    }

    /// Added to result file names so shards never overwrite each other: "shard-2-of-4".
    public var fileTag: String { "shard-\(index)-of-\(count)" }

    public var description: String { "\(index)/\(count)" }
}
