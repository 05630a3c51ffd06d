import Foundation
import Testing
@testable import Fusion

@Suite("SHA-256")
struct CatalogSHA256Tests {
    @Test(arguments: [
        ("", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
        ("abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"),
        ("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
         "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"),
        ("abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu",
         "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1"),
    ])
    func fipsVectors(message: String, digest: String) {
        #expect(SHA256.hash(message).hex == digest)
    }

    @Test func aMillionAsInUnevenChunks() {
        var hasher = SHA256()
        let chunk = [UInt8](repeating: UInt8(ascii: "a"), count: 999)
        var remaining = 1_000_000
        while remaining > 0 {
            let take = min(remaining, chunk.count)
            hasher.update(chunk[0..<take])
            remaining -= take
        }
        #expect(hasher.byteCount == 1_000_000)
        #expect(hasher.finalize().hex == "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0")
    }

    @Test func streamingMatchesOneShotAtEverySplit() {
        // Lengths around the padding edge cases (55, 56, 63, 64, 119, 120…), every split point.
        let data = CatalogFixtures.bytes(200)
        for length in [0, 1, 55, 56, 57, 63, 64, 65, 119, 120, 127, 128, 129, 200] {
            let message = Array(data[0..<length])
            let whole = SHA256.hash(message)
            for split in 0...length {
                var hasher = SHA256()
                hasher.update(message[0..<split])
                hasher.update(message[split..<length])
                #expect(hasher.finalize() == whole, "length \(length) split \(split)")
            }
        }
        // Digest of the bytes 0…199, from Python's hashlib.
        let counting = (0..<200).map { UInt8($0) }
        #expect(SHA256.hash(counting).hex == "1901da1c9f699b48f6b2636e65cbf73abf99d0441ef67f5c540a42f7051dec6f")
    }

    @Test func hashesFilesLikeData() throws {
        let temp = try CatalogTempDirectory("sha")
        let content = CatalogFixtures.bytes(5 << 20 + 17)
        let path = try temp.write("blob.bin", content)
        var reported: [Int64] = []
        let result = try SHA256.hash(fileAtPath: path) { reported.append($0) }
        #expect(result.byteCount == Int64(content.count))
        #expect(result.digest == SHA256.hash(content))
        #expect(result.digest.hex == Self.pythonDigest(of: content))
        #expect(reported.last == Int64(content.count))
        #expect(throws: (any Error).self) { try SHA256.hash(fileAtPath: temp.file("absent")) }
    }

    /// The digest according to Python's hashlib (an independent implementation).
    static func pythonDigest(of bytes: [UInt8]) -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", "-c", "import hashlib,sys; print(hashlib.sha256(sys.stdin.buffer.read()).hexdigest())"]
        let input = Pipe(), output = Pipe()
        process.standardInput = input
        process.standardOutput = output
        guard (try? process.run()) != nil else { return "python3 unavailable" }
        let writer = Thread {
            input.fileHandleForWriting.write(Data(bytes))
            try? input.fileHandleForWriting.close()
        }
        writer.start()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
    }
}
