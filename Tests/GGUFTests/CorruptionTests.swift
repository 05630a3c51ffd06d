import Foundation
import GGUF
import Testing

/// Broken, hostile and missing files: each must give the right typed error, quickly, and never crash.
@Suite("Corrupt and missing files")
struct CorruptionTests {
    /// A small but complete file: metadata of several kinds and three tensors.
    static func sampleFile() -> [UInt8] {
        var writer = GGUFWriter()
        writer.add("general.architecture", .string("llama"))
        writer.add("llama.block_count", .u32(2))
        writer.add("tokenizer.ggml.tokens", .array(.string, (0..<40).map { .string("t\($0)") }))
        writer.add("nested", .array(.array, [.array(.int16, [.i16(1)])]))
        writer.addTensor("a", [64], .f32)
        writer.addTensor("b", [32, 2], .q8_0)
        return writer.bytes()
    }

    /// The fixed 24-byte header with the given counts, for hand-built broken files.
    static func header(version: UInt32 = 3, tensors: UInt64 = 0, keyValues: UInt64 = 0) -> Bytes {
        var bytes = Bytes()
        bytes.data += Array("GGUF".utf8)
        bytes.u32(version)
        bytes.u64(tensors)
        bytes.u64(keyValues)
        return bytes
    }

    @Test("every prefix of a valid file is reported as truncated")
    func everyCutIsTruncated() throws {
        let full = Self.sampleFile()
        let dir = TemporaryDirectory()
        #expect(readError(dir.write(full)) == nil)
        for length in 0..<full.count {
            let path = dir.write(Array(full.prefix(length)), named: "cut.gguf")
            guard case .truncated(_, let expected, let actual)? = readError(path) else {
                Issue.record("cut at \(length) of \(full.count): \(String(describing: readError(path)))")
                continue
            }
            #expect(actual == UInt64(length))
            #expect(expected > actual && expected <= UInt64(full.count), "cut at \(length)")
        }
    }

    @Test("a file cut in the tensor data reports the full size it should have")
    func cutInTensorData() {
        let full = Self.sampleFile()
        let dir = TemporaryDirectory()
        let path = dir.write(Array(full.dropLast(10)))
        #expect(readError(path) == .truncated(path: path, expectedAtLeast: UInt64(full.count),
                                               actual: UInt64(full.count - 10)))
        let message = readError(path)?.description ?? ""
        #expect(message.contains("incomplete") && message.contains(path), "\(message)")
    }

    @Test("files that are not GGUF at all")
    func notGGUF() {
        let dir = TemporaryDirectory()
        var random = SplitMix64(state: 42)
        let noise = (0..<4096).map { _ in UInt8.random(in: 0...255, using: &random) }
        let noisePath = dir.write(noise, named: "noise.gguf")
        #expect(readError(noisePath) == .notGGUF(path: noisePath))

        let html = Array("<!DOCTYPE html><html><body>404 Not Found</body></html>".utf8)
        let htmlPath = dir.write(html, named: "page.gguf")
        #expect(readError(htmlPath) == .notGGUF(path: htmlPath))
        #expect(readError(htmlPath)?.description.contains("not a GGUF model file") == true)

        let tiny = dir.write(Array("GX".utf8), named: "tiny.gguf")
        #expect(readError(tiny) == .notGGUF(path: tiny), "too short, but already wrong")
        let empty = dir.write([], named: "empty.gguf")
        #expect(readError(empty) == .truncated(path: empty, expectedAtLeast: 24, actual: 0))
    }

    @Test("missing files, directories and other non-files")
    func unreadable() {
        let dir = TemporaryDirectory()
        let missing = dir.missing()
        #expect(readError(missing) == .fileNotFound(path: missing))
        #expect(readError(missing + "/inside") == .fileNotFound(path: missing + "/inside"))
        let directory = dir.url.path
        #expect(readError(directory) == .unreadable(path: directory, reason: "it is a directory"))
        #expect(readError("/dev/null") == .unreadable(path: "/dev/null", reason: "it is not a regular file"))
        // A FIFO with no writer would block a plain open(2) forever.
        let fifo = dir.missing("pipe.gguf")
        #expect(mkfifo(fifo, 0o600) == 0)
        #expect(readError(fifo) == .unreadable(path: fifo, reason: "it is not a regular file"))
        let fileAsDirectory = dir.write(Self.sampleFile()) + "/model.gguf"
        #expect(readError(fileAsDirectory) == .fileNotFound(path: fileAsDirectory))
        #expect(readError(missing)?.description == "Model file not found: \(missing)")
    }

    @Test("unsupported versions", arguments: [UInt32(0), 1, 4, 0x0300_0000])
    func unsupportedVersions(version: UInt32) {
        let dir = TemporaryDirectory()
        let path = dir.write(Self.header(version: version).data)
        #expect(readError(path) == .unsupportedVersion(path: path, version: version))
        if version == 0x0300_0000 {
            #expect(readError(path)?.description.contains("big-endian") == true)
        }
    }

    @Test("version 2 files are read")
    func version2() throws {
        var writer = GGUFWriter()
        writer.version = 2
        writer.add("general.name", .string("old"))
        let dir = TemporaryDirectory()
        #expect(try GGUFFile.read(at: dir.write(writer.bytes())).version == 2)
    }

    /// A hand-built header and the error it must produce; shown by its label in test output.
    struct Hostile: Sendable, CustomTestStringConvertible {
        enum Kind: String, Sendable { case malformed, truncated }
        let label: String
        let expected: Kind
        let bytes: [UInt8]

        /// The 24-byte header with the given counts, followed by whatever `body` appends.
        init(_ label: String, _ expected: Kind, tensors: UInt64 = 0, keyValues: UInt64 = 0,
             body: (inout Bytes) -> Void = { _ in }) {
            var bytes = CorruptionTests.header(tensors: tensors, keyValues: keyValues)
            body(&bytes)
            self.label = label
            self.expected = expected
            self.bytes = bytes.data
        }

        var testDescription: String { label }
    }

    /// Counts and lengths that would allocate terabytes if believed. Each must fail fast.
    /// (Value type 9 is an array, 8 a string; "k" is a valid one-byte key.)
    @Test("absurd counts and lengths fail fast without allocating", arguments: [
        Hostile("kv_count 2^60", .malformed, keyValues: 1 << 60),
        Hostile("tensor_count 2^60", .malformed, tensors: 1 << 60),
        Hostile("kv_count 1000 in a tiny file", .truncated, keyValues: 1000),
        Hostile("tensor_count 100000 in a tiny file", .truncated, tensors: 100_000),
        Hostile("key length 2^62", .malformed, keyValues: 1) { b in b.u64(1 << 62); b.u64(0) },
        Hostile("key length past EOF", .truncated, keyValues: 1) { b in b.u64(1 << 20); b.u64(0) },
        Hostile("array count 2^40", .malformed, keyValues: 1) { b in
            b.string("k"); b.u32(9); b.u32(10); b.u64(1 << 40)
        },
        Hostile("array count past EOF", .truncated, keyValues: 1) { b in
            b.string("k"); b.u32(9); b.u32(8); b.u64(1 << 25)
        },
        Hostile("string in skipped array 2^61", .malformed, keyValues: 1) { b in
            b.string("k"); b.u32(9); b.u32(8); b.u64(2000); b.u64(1 << 61)
            b.data += [UInt8](repeating: 0, count: 20_000)
        },
        Hostile("unknown value type", .malformed, keyValues: 1) { b in b.string("k"); b.u32(13); b.u64(0) },
        Hostile("unknown array element type", .malformed, keyValues: 1) { b in
            b.string("k"); b.u32(9); b.u32(77); b.u64(0)
        },
        Hostile("arrays nested 1000 deep", .malformed, keyValues: 1) { b in
            b.string("k"); b.u32(9)
            for _ in 0..<1000 { b.u32(9); b.u64(1) }
            b.u32(0); b.u64(0)
        },
        Hostile("empty key", .malformed, keyValues: 1) { b in b.string(""); b.u32(0); b.u16(0) },
        Hostile("duplicate key", .malformed, keyValues: 2) { b in
            for _ in 0..<2 { b.string("k"); b.u32(0); b.u8(0) }
        },
        Hostile("tensor name 2^40 long", .malformed, tensors: 1) { b in
            b.u64(1 << 40); b.data += [UInt8](repeating: 0, count: 64)
        },
    ])
    func absurdCounts(_ hostile: Hostile) {
        let dir = TemporaryDirectory()
        let path = dir.write(hostile.bytes)
        let clock = ContinuousClock()
        var error: GGUFError?
        let elapsed = clock.measure { error = readError(path) }
        #expect(error.map(Self.kind) == hostile.expected.rawValue, "\(hostile.label): \(String(describing: error))")
        #expect(elapsed < .seconds(1), "\(hostile.label) took \(elapsed)")
    }

    /// Random damage to a valid file: any outcome is fine except a crash, a hang or an untyped error.
    @Test("random byte corruption never crashes")
    func fuzz() {
        let original = Self.sampleFile()
        let dir = TemporaryDirectory()
        var random = SplitMix64(state: 7)
        var outcomes: [String: Int] = [:]
        for round in 0..<1500 {
            var bytes = original
            for _ in 0..<Int.random(in: 1...4, using: &random) {
                let index = Int.random(in: 0..<bytes.count, using: &random)
                // Bias toward the header, where the structure is, and toward extreme values.
                let target = round % 2 == 0 ? index % min(bytes.count, 400) : index
                bytes[target] = [0x00, 0xFF, 0x7F, 0x80, UInt8.random(in: 0...255, using: &random)]
                    .randomElement(using: &random)!
            }
            if round % 5 == 0 { bytes.removeLast(Int.random(in: 0..<bytes.count, using: &random)) }
            let error = readError(dir.write(bytes, named: "fuzz.gguf"))
            outcomes[error.map(Self.kind) ?? "ok", default: 0] += 1
        }
        print("GGUF fuzz outcomes over 1500 damaged files: \(outcomes.sorted { $0.key < $1.key })")
        #expect(outcomes.values.reduce(0, +) == 1500)
    }

    static func kind(_ error: GGUFError) -> String {
        switch error {
        case .fileNotFound: "fileNotFound"
        case .notGGUF: "notGGUF"
        case .truncated: "truncated"
        case .unsupportedVersion: "unsupportedVersion"
        case .malformed: "malformed"
        case .unreadable: "unreadable"
        }
    }

    @Test("error descriptions read well")
    func descriptions() {
        let truncated = GGUFError.truncated(path: "/m/x.gguf", expectedAtLeast: 98_362_432, actual: 50_000_000)
        #expect(truncated.description == "/m/x.gguf is incomplete: it has 50,000,000 bytes (47.7 MiB) but its "
                + "header describes at least 98,362,432 bytes (93.8 MiB). The download was probably interrupted; "
                + "download it again.")
        #expect(GGUFError.unsupportedVersion(path: "p", version: 1).description.contains("obsolete"))
        #expect(GGUFError.unsupportedVersion(path: "p", version: 9).description.contains("newer"))
        #expect(GGUFError.malformed(path: "p", reason: "bad").description == "p is a corrupt or invalid GGUF file: bad")
        #expect(GGUFError.unreadable(path: "p", reason: "permission denied").localizedDescription
                == "Cannot read p: permission denied")
        #expect(GGUFError.notGGUF(path: "p").path == "p")
    }
}
