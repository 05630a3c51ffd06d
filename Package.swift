// swift-tools-version:6.0
// LocalFusion: a panel of local models, a judge and a synthesizer, fused offline.
//
// llama.cpp is built from pinned source by scripts/build-llama.sh into a prefix outside the repo;
// this manifest finds that prefix (LOCALFUSION_LLAMA_PREFIX, else the cache's "current" link) so
// `swift build` works without exporting compiler flags by hand.
import Foundation
import PackageDescription

let environment = ProcessInfo.processInfo.environment
let home = environment["HOME"] ?? NSHomeDirectory()
let cacheRoot = environment["LOCALFUSION_CACHE"]
    ?? ((environment["XDG_CACHE_HOME"] ?? home + "/.cache") + "/localfusion")
// Resolve the link so that a rebuilt prefix changes the flags and SwiftPM rebuilds against it.
let llamaPrefix = URL(fileURLWithPath: environment["LOCALFUSION_LLAMA_PREFIX"] ?? cacheRoot + "/llama/current")
    .resolvingSymlinksInPath().path

/// Libraries in static link order, written by build-llama.sh (depends on the GPU backend chosen).
let linkSpec = (try? String(contentsOfFile: llamaPrefix + "/localfusion-link.txt", encoding: .utf8))
    ?? "lib:llama\nlib:ggml\nlib:ggml-cpu\nlib:ggml-base\nlib:vendor-hash\nlib:stdc++\nlib:m\nlib:pthread\n"
let llamaLinker: [LinkerSetting] = [.unsafeFlags(["-L" + llamaPrefix + "/lib"])] + linkSpec
    .split(separator: "\n")
    .compactMap { line -> LinkerSetting? in
        let parts = line.split(separator: ":", maxSplits: 1).map(String.init)
        guard parts.count == 2 else { return nil }
        return parts[0] == "framework" ? .linkedFramework(parts[1]) : .linkedLibrary(parts[1])
    }
/// Every Swift target that (transitively) sees the Llama module gets the header path.
let llamaHeaders: [SwiftSetting] = [.unsafeFlags(["-Xcc", "-I" + llamaPrefix + "/include"])]

let package = Package(
    name: "LocalFusion",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "fusion", targets: ["FusionCLI"]),
        .library(name: "Fusion", targets: ["Fusion"]),
        .library(name: "Llama", targets: ["Llama"]),
    ],
    targets: [
        .systemLibrary(name: "CLlama", path: "Sources/CLlama"),
        .target(name: "GGUF"),
        .target(name: "Llama", dependencies: ["CLlama", "GGUF"],
                swiftSettings: llamaHeaders, linkerSettings: llamaLinker),
        .target(name: "ByteUnits"),
        .target(name: "Fusion", dependencies: ["Llama", "GGUF", "OpenAIClient", "ByteUnits"], swiftSettings: llamaHeaders),
        .target(name: "CommandLineKit", dependencies: ["ByteUnits"]),
        .target(name: "Eval"),
        .target(name: "EvalRunner", dependencies: ["Eval", "Fusion", "Llama"], swiftSettings: llamaHeaders),
        .target(name: "HTTPServer"),
        .target(name: "FusionServer", dependencies: ["Fusion", "Llama", "HTTPServer", "ByteUnits"], swiftSettings: llamaHeaders),
        .target(name: "CCurlShim", linkerSettings: [.linkedLibrary("curl")]),
        .target(name: "OpenAIClient", dependencies: ["CCurlShim"]),
        .executableTarget(name: "FusionCLI", dependencies: ["Fusion", "Llama", "CommandLineKit", "FusionServer", "HTTPServer", "EvalRunner", "Eval"],
                          swiftSettings: llamaHeaders),
        .testTarget(name: "GGUFTests", dependencies: ["GGUF"]),
        .testTarget(name: "LlamaTests", dependencies: ["Llama", "GGUF"], swiftSettings: llamaHeaders),
        .testTarget(name: "FusionTests", dependencies: ["Fusion", "Llama"], swiftSettings: llamaHeaders),
        .testTarget(name: "CommandLineKitTests", dependencies: ["CommandLineKit", "ByteUnits"]),
        .testTarget(name: "EvalTests", dependencies: ["Eval"]),
        .testTarget(name: "EvalRunnerTests", dependencies: ["EvalRunner", "Eval", "Fusion", "Llama"], swiftSettings: llamaHeaders),
        .target(name: "HTTPTestSupport", dependencies: ["HTTPServer"], path: "Tests/HTTPTestSupport"),
        .testTarget(name: "HTTPServerTests", dependencies: ["HTTPServer", "HTTPTestSupport"]),
        .testTarget(name: "FusionServerTests", dependencies: ["FusionServer", "Fusion", "Llama", "HTTPServer", "HTTPTestSupport"],
                    swiftSettings: llamaHeaders),
        .testTarget(name: "RemoteSeatTests", dependencies: ["Fusion", "FusionServer", "HTTPServer", "HTTPTestSupport", "Llama"],
                    swiftSettings: llamaHeaders),
        .testTarget(name: "OpenAIClientTests", dependencies: ["OpenAIClient", "HTTPServer", "HTTPTestSupport"]),
    ],
    swiftLanguageModes: [.v6]
)
