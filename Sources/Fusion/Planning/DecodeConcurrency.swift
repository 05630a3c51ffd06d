/// How many panel seats decode at the same moment, and with how many threads each.
///
/// Measured on this project's 2-core machine: three models decoding concurrently with 2 threads
/// each (6 threads on 2 cores) took 16–237 s where running them one after another took 7 s.
/// Oversubscribed decode threads spin-wait on each other, so the rule is that the threads of
/// all seats decoding at once never exceed the cores:
///
/// - `cores ≤ 2`: **sequential** — one seat at a time with every core.
/// - otherwise up to `cores / 2` seats at once, each with at least 2 threads:
///   **parallel** when that covers every seat of a wave (`cores ≥ 2 × seats`), else **groups**
///   of that size, one group after another.
///
/// A seat with several sequences (self-fusion) is one seat here: its samples decode in one
/// batch on one context. The minimum of 2 threads per seat and the `≤ 2 cores` cut-off are a
/// starting point, to be tuned by the throughput benchmark.
public struct DecodeConcurrency: Sendable, Hashable, Codable {
    /// How the seats of one wave are run.
    public enum Mode: String, Sendable, Hashable, Codable {
        /// One seat at a time.
        case sequential
        /// Every seat of a wave at once.
        case parallel
        /// Several seats at once, but fewer than a wave holds: groups run one after another.
        case groups
    }

    /// Cores the plan was made for.
    public let cores: Int
    /// The most seats decoding at the same moment.
    public let seatsAtOnce: Int
    /// Decode threads each of those seats gets (`seatsAtOnce × threadsPerSeat ≤ cores`).
    public let threadsPerSeat: Int
    /// Which of the three shapes this is.
    public let mode: Mode

    /// Fewest threads a seat decoding alongside others gets.
    public static let minimumThreadsPerSeat = 2
    /// At or below this many cores, seats never decode concurrently.
    public static let sequentialCoreLimit = 2

    /// Creates a concurrency description from explicit numbers (tests, decoding traces).
    public init(cores: Int, seatsAtOnce: Int, threadsPerSeat: Int, mode: Mode) {
        self.cores = cores
        self.seatsAtOnce = seatsAtOnce
        self.threadsPerSeat = threadsPerSeat
        self.mode = mode
    }

    /// The rule above, for waves of at most `largestWave` seats on `cores` cores.
    public init(cores: Int, largestWave: Int) {
        let cores = max(1, cores)
        let seats = max(1, largestWave)
        let parallel = cores <= Self.sequentialCoreLimit ? 1 : min(seats, cores / Self.minimumThreadsPerSeat)
        let atOnce = max(1, parallel)
        let mode: Mode = atOnce == 1 ? .sequential : (atOnce >= seats ? .parallel : .groups)
        self.init(cores: cores, seatsAtOnce: atOnce, threadsPerSeat: cores / atOnce, mode: mode)
    }

    /// Total decode threads at the busiest moment; never more than ``cores``.
    public var peakThreads: Int { seatsAtOnce * threadsPerSeat }

    /// Splits each wave into the groups that decode together, in order.
    public func decodeGroups(for waves: [[Int]]) -> [[Int]] {
        waves.flatMap { wave in
            stride(from: 0, to: wave.count, by: seatsAtOnce).map { Array(wave[$0..<min($0 + seatsAtOnce, wave.count)]) }
        }
    }

    /// JSON keys in snake_case.
    enum CodingKeys: String, CodingKey {
        case cores, mode
        case seatsAtOnce = "seats_at_once", threadsPerSeat = "threads_per_seat"
    }
}
