import CommandLineKit
import Fusion
import FusionServer
import Foundation
import HTTPServer

/// `fusion serve`: the OpenAI-compatible server.
enum ServeCommand {
    static let spec = CommandSpec(
        "serve",
        abstract: "Serve the OpenAI-compatible API: single models, fusion, the fusion plugin and tool.",
        discussion: """
            Point an OpenAI client at http://HOST:PORT/v1 and pick a model: a catalog id for one \
            local model, 'fusion' or 'fusion/<preset>' for a fused answer. The fusion plugin \
            (plugins: [{"id": "fusion", …}]) and the server tool (tools: [{"type": "fusion"}]) work \
            as on OpenRouter. Binds 127.0.0.1 unless --host says otherwise. Ctrl-C (or SIGTERM) \
            stops accepting, lets running requests finish for --grace seconds, then exits 0.
            """,
        options: [
            .option("host", value: "addr", default: "127.0.0.1", help: "Address to bind (0.0.0.0 for every interface)."),
            .option("port", value: "n", type: .integer, default: "8080", help: "Port to bind (0 picks a free one)."),
            .option("api-key", value: "key", help: "Require 'Authorization: Bearer <key>' (default: $FUSION_API_KEY; none when unset)."),
            .option("models-dir", value: "dir", help: "Where models live (default: $FUSION_MODELS or ~/.cache/localfusion/models)."),
            .option("memory-budget", value: "size", type: .byteSize, help: "Memory models may use together (default: $FUSION_MEMORY_BUDGET or 70% of RAM)."),
            .option("ctx-size", short: "c", value: "n", type: .integer, default: "4096", help: "Context size of every model."),
            .option("threads", short: "t", value: "n", type: .integer, help: "CPU threads per model (default: all cores)."),
            .option("parallel", value: "n", type: .integer, default: "1", help: "Requests that run at once (more only helps with more cores)."),
            .option("max-queue", value: "n", type: .integer, default: "32", help: "Requests that may wait; beyond that clients get 429 with Retry-After."),
            .option("keep-alive", value: "s", type: .number, default: "300", help: "Seconds an idle model stays loaded."),
            .repeated("preload", value: "id", help: "Load this model at start and keep it loaded; /health is 503 until it is."),
            .option("grace", value: "s", type: .number, default: "10", help: "Seconds running requests get to finish on shutdown."),
        ] + FusionRequestOptions.remoteSpecs,
        examples: [
            "fusion serve",
            "fusion serve --port 8080 --api-key secret --preload qwen2.5-coder-1.5b",
            "curl localhost:8080/v1/chat/completions -d '{\"model\":\"fusion\",\"messages\":[{\"role\":\"user\",\"content\":\"Why is the sky blue?\"}]}'",
        ])

    static func run(_ args: ParsedCommand) async throws {
        var configuration = FusionServerConfiguration()
        configuration.http.host = args.string("host") ?? "127.0.0.1"
        configuration.http.port = try args.int("port") ?? 8080
        guard (0...65535).contains(configuration.http.port) else { throw args.invalidValue("port", "a port from 0 to 65535") }
        configuration.apiKey = args.string("api-key") ?? ProcessInfo.processInfo.environment["FUSION_API_KEY"]
        configuration.contextSize = try args.int("ctx-size") ?? 4096
        guard configuration.contextSize >= 256 else { throw args.invalidValue("ctx-size", "at least 256 tokens") }
        let cores = ProcessInfo.processInfo.activeProcessorCount
        if let threads = try args.int("threads") {
            guard threads >= 1 else { throw args.invalidValue("threads", "at least 1") }
            if threads > cores { Terminal.err("warning: --threads \(threads) is more than the \(cores) cores here; decoding will be slower") }
            configuration.threads = threads
        }
        configuration.maxActive = try args.int("parallel") ?? 1
        configuration.maxWaiting = try args.int("max-queue") ?? 32
        guard configuration.maxActive >= 1, configuration.maxWaiting >= 0 else {
            throw args.invalidValue("parallel", "at least 1 (and --max-queue 0 or more)")
        }
        configuration.preload = args.strings("preload")
        let keepAlive = try args.double("keep-alive") ?? 300
        let grace = try args.double("grace") ?? 10

        let store = try ModelLocator.store(modelsDirectory: args.string("models-dir"))
        let presets = try FusionPresets.loadDefault()
        for model in configuration.preload {
            do { _ = try store.resolve(model) } catch { throw UsageFailure("--preload \(model): \(error)") }
        }
        let budget = try MemoryBudget.resolve(explicit: args.byteSize("memory-budget").map { UInt64(max(1, $0)) },
                                              environment: ProcessInfo.processInfo.environment)
        let engine = try FusionEngine(store: store, budget: budget, cores: configuration.threads ?? cores,
                                      keepAlive: .seconds(keepAlive), maxQueue: max(16, configuration.maxWaiting),
                                      remote: FusionRequestOptions.remoteSettings(args))
        let server = FusionAPIServer(engine: engine, presets: presets, configuration: configuration)
        do { try server.start() } catch { throw CommandFailure("cannot start the server: \(error)") }

        let stopping = StopOnce()
        let trap = SignalTrap { signal in
            // The first signal drains gracefully; a second one stops at once.
            let first = stopping.begin()
            Terminal.err(first ? "fusion serve: stopping (finishing running requests, up to \(Int(grace)) s)…"
                               : "fusion serve: stopping now")
            Task { await server.stop(gracePeriod: first ? .seconds(grace) : .zero) }
        }
        let host = configuration.http.host
        Terminal.err("fusion serve: listening on http://\(host.contains(":") ? "[\(host)]" : host):\(server.port)"
                     + " (\(store.catalog.models.filter { store.status(for: $0) != .missing }.count) local models, "
                     + "presets: \(presets.names.joined(separator: ", ")), memory budget \(engine.requestedBudget.bytes / 1_048_576) MiB"
                     + (configuration.apiKey == nil ? "" : ", API key required") + ")")
        if host != "127.0.0.1" && host != "localhost" && host != "::1" && configuration.apiKey == nil {
            Terminal.err("warning: listening on \(host) without --api-key: anyone who can reach this port can use it")
        }
        await server.waitUntilStopped()
        trap.cancel()
        Terminal.err("fusion serve: stopped")
    }
}

/// Remembers whether shutdown already began (signal handlers run on a Dispatch queue).
private final class StopOnce: @unchecked Sendable {
    private let lock = NSLock()
    private var started = false
    /// True the first time.
    func begin() -> Bool { lock.withLock { defer { started = true }; return !started } }
}
