import Foundation
import Testing
@testable import Fusion

@Suite("Model store")
struct CatalogStoreTests {
    @Test func statusFollowsTheFileAndItsStamp() throws {
        let temp = try CatalogTempDirectory("store")
        let content = CatalogFixtures.bytes(10_000)
        let entry = CatalogFixtures.entry(content: content, sources: [])
        let store = CatalogFixtures.store([entry], directory: temp.path)
        #expect(store.path(for: entry) == temp.file("test-model.gguf"))
        #expect(store.status(for: entry) == .missing)

        try temp.write("test-model.gguf", content)
        #expect(store.status(for: entry) == .present(verified: nil))
        #expect(try store.verify(entry))
        #expect(store.status(for: entry) == .present(verified: true))
        #expect(FileManager.default.fileExists(atPath: store.stampPath(for: entry)))

        // Same size, different bytes, new mtime: the stamp no longer vouches for it. (File times
        // come from a coarse clock, so let it tick first.)
        usleep(50_000)
        var changed = content
        changed[5] ^= 0xff
        try temp.write("test-model.gguf", changed)
        #expect(store.status(for: entry) == .present(verified: nil))
        #expect(try store.verify(entry) == false)
        #expect(!FileManager.default.fileExists(atPath: store.stampPath(for: entry)))

        // Wrong size is known to be wrong without hashing.
        try temp.write("test-model.gguf", Array(content.dropLast()))
        #expect(store.status(for: entry) == .present(verified: false))
        #expect(store.status(for: entry).description == "CORRUPT")
    }

    @Test func stampForAnotherChecksumMeansNotVerified() throws {
        let temp = try CatalogTempDirectory("store")
        let content = CatalogFixtures.bytes(1_000)
        let entry = CatalogFixtures.entry(content: content, sources: [])
        let store = CatalogFixtures.store([entry], directory: temp.path)
        try temp.write("test-model.gguf", content)
        try VerificationStamp.write(for: store.path(for: entry), sha256: String(repeating: "0", count: 64))
        #expect(store.status(for: entry) == .present(verified: false))
    }

    @Test func resolveAcceptsPathsAndIDs() throws {
        let temp = try CatalogTempDirectory("store")
        let content = CatalogFixtures.bytes(100)
        let entry = CatalogFixtures.entry(id: "tiny", content: content, sources: [])
        let store = CatalogFixtures.store([entry], directory: temp.path)

        let loose = try temp.write("elsewhere/custom.gguf", content)
        let byPath = try store.resolve(loose)
        #expect(byPath.path == loose)
        #expect(byPath.entry == nil)

        try temp.write("tiny.gguf", content)
        let byID = try store.resolve("tiny")
        #expect(byID.path == temp.file("tiny.gguf"))
        #expect(byID.entry?.id == "tiny")
        #expect(try store.resolve(temp.file("tiny.gguf")).entry?.id == "tiny")
    }

    @Test func resolveExplainsWhatIsMissing() throws {
        let temp = try CatalogTempDirectory("store")
        let entry = CatalogFixtures.entry(id: "tiny", content: [1, 2, 3], sources: [])
        let store = CatalogFixtures.store([entry], directory: temp.path)

        let unknown = #expect(throws: CatalogError.self) { try store.resolve("giant") }
        #expect(unknown?.description == "unknown model 'giant'; known: tiny")

        let notPulled = #expect(throws: CatalogError.self) { try store.resolve("tiny") }
        #expect(notPulled == .modelNotPulled(id: "tiny", path: temp.file("tiny.gguf")))
        #expect(notPulled?.description.contains("run `fusion models pull tiny`") == true)

        let noFile = #expect(throws: CatalogError.self) { try store.resolve(temp.file("nope.gguf")) }
        #expect(noFile == .fileNotFound(path: temp.file("nope.gguf")))
        #expect(throws: CatalogError.fileNotFound(path: ModelStore.absolute("missing.gguf"))) {
            try store.resolve("missing.gguf")
        }
    }

    @Test func absolutePathsAreNormalizedLexically() {
        #expect(ModelStore.absolute("/a/./b/../c//d") == "/a/c/d")
        #expect(ModelStore.absolute("/..") == "/")
        #expect(ModelStore.absolute("x").hasPrefix("/"))
    }
}
