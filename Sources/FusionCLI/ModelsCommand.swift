import CommandLineKit
import Fusion
import Foundation
import GGUF

/// `fusion models list|pull|info`.
enum ModelsCommand {
    static let modelsDirOption = OptionSpec.option(
        "models-dir", value: "dir", global: true,
        help: "Where models live (default: $FUSION_MODELS or ~/.cache/localfusion/models).")

    static let spec = CommandSpec(
        "models",
        abstract: "List, download and inspect the models in the catalog.",
        options: [modelsDirOption],
        subcommands: [
            CommandSpec("list", abstract: "Show every catalog model and whether it is present and verified.",
                        options: [.flag("json", help: "Print a JSON array.")]),
            CommandSpec("pull", abstract: "Download, assemble and verify models (sha256) into the models directory.",
                        discussion: "Files already present and verified are skipped. Nothing is moved into place until its sha256 matches the catalog.",
                        options: [.flag("force", help: "Download again even if the file is present and verified."),
                                  .flag("all", help: "Pull every model in the catalog.")],
                        positionals: [.variadic("id", help: "Catalog ids (see 'fusion models list').")],
                        examples: ["fusion models pull qwen2.5-coder-0.5b", "fusion models pull --all"]),
            CommandSpec("info", abstract: "Show a model's catalog entry, local path and GGUF header facts.",
                        options: [.flag("json", help: "Print JSON (includes the local path).")],
                        positionals: [.required("id", help: "A catalog id.")]),
        ])

    static func run(_ args: ParsedCommand) async throws {
        let store = try catalogStore(args)
        switch args.path.dropFirst().first {
        case "list": try list(store, json: args.flag("json"))
        case "pull": try await pull(store, args)
        case "info": try info(store, id: args.string("id")!, json: args.flag("json"))
        default:
            FileHandle.standardError.write(Data(args.helpText.utf8))
            throw UsageFailure("name a subcommand: list, pull or info")
        }
    }

    static func catalogStore(_ args: ParsedCommand) throws -> ModelStore {
        do { return try ModelLocator.store(modelsDirectory: args.string("models-dir")) }
        catch let error as CatalogError { throw CommandFailure(error.description) }
    }

    struct ListRow: Encodable {
        var id, name, family, params, quant, license, promptFormat, path, status: String
        var bytes: Int64
        var present: Bool
        var verified: Bool?
    }

    static func rows(_ store: ModelStore) -> [ListRow] {
        store.catalog.models.map { entry in
            let status = store.status(for: entry)
            var present = false
            var verified: Bool?
            if case .present(let v) = status { present = true; verified = v }
            return ListRow(id: entry.id, name: entry.name, family: entry.family, params: entry.params,
                           quant: entry.quant, license: entry.license, promptFormat: entry.promptFormat.rawValue,
                           path: store.path(for: entry), status: status.description, bytes: entry.bytes,
                           present: present, verified: verified)
        }
    }

    static func list(_ store: ModelStore, json: Bool) throws {
        let rows = rows(store)
        if json { try Terminal.printJSON(rows); return }
        let header = ["ID", "FAMILY", "PARAMS", "QUANT", "SIZE", "STATUS"]
        let table = rows.map { [$0.id, $0.family, $0.params, $0.quant, sizeText($0.bytes), $0.status] }
        let widths = header.indices.map { i in ([header[i]] + table.map { $0[i] }).map(\.count).max() ?? 0 }
        for line in [header] + table {
            Terminal.out(line.enumerated().map { $1.padding(toLength: widths[$0], withPad: " ", startingAt: 0) }
                .joined(separator: "  ").trimmingCharacters(in: .whitespaces) + "\n")
        }
        Terminal.err("models directory: \(store.directory)")
    }

    static func pull(_ store: ModelStore, _ args: ParsedCommand) async throws {
        var ids = args.strings("id")
        if args.flag("all") { ids = store.catalog.ids }
        guard !ids.isEmpty else {
            throw UsageFailure("name at least one model id (or --all); known: \(store.catalog.ids.joined(separator: ", "))")
        }
        for id in ids { _ = try catalogEntry(store, id) }   // fail fast on a typo, before downloading anything
        let puller = ModelPuller(store: store)
        for id in ids {
            let bar = BarState(isTTY: Terminal.stderrIsTTY)
            do {
                let result = try await puller.pull(id: id, options: PullOptions(force: args.flag("force"))) { progress in
                    bar.render(progress)
                }
                bar.finish()
                if !result.skipped {
                    Terminal.err(String(format: "\(id): verified sha256 %@… in %.1f s → %@", String(result.sha256.prefix(12)),
                             result.seconds, result.path))
                }
            } catch let error as CatalogError {
                bar.finish()
                throw CommandFailure(error.description)
            }
        }
    }

    /// "98 MB", "1.1 GB": decimal units, as the catalog table in the README.
    static func sizeText(_ bytes: Int64) -> String {
        bytes >= 1_000_000_000 ? String(format: "%.1f GB", Double(bytes) / 1e9) : "\(bytes / 1_000_000) MB"
    }

    static func catalogEntry(_ store: ModelStore, _ id: String) throws -> ModelEntry {
        do { return try store.catalog.entry(id: id) }
        catch let error as CatalogError { throw CommandFailure(error.description) }
    }

    struct Info: Encodable {
        var entry: ModelEntry
        var path: String
        var status: String
        var present: Bool
        var gguf: Header?
        struct Header: Encodable {
            var architecture: String?
            var name: String?
            var tensorBytes: UInt64
            var tensorCount: Int
            var contextLength: Int?
            var blockCount: Int?
            var embeddingLength: Int?
            var headCount: Int?
            var headCountKv: Int?
            var hasChatTemplate: Bool
        }
    }

    static func info(_ store: ModelStore, id: String, json: Bool) throws {
        let entry = try catalogEntry(store, id)
        let path = store.path(for: entry)
        let status = store.status(for: entry)
        var header: Info.Header?
        if case .present = status, let file = try? GGUFFile.read(at: path) {
            header = Info.Header(architecture: file.architecture, name: file.name, tensorBytes: file.tensorBytes,
                                 tensorCount: file.tensors.count, contextLength: file.contextLength,
                                 blockCount: file.blockCount, embeddingLength: file.embeddingLength,
                                 headCount: file.headCount, headCountKv: file.headCountKV,
                                 hasChatTemplate: file.chatTemplate != nil)
        }
        let info = Info(entry: entry, path: path, status: status.description,
                        present: header != nil, gguf: header)
        if json { try Terminal.printJSON(info); return }
        var lines = [
            "\(entry.id): \(entry.name)",
            "  family \(entry.family), \(entry.params) parameters, \(entry.quant), \(sizeText(entry.bytes))",
            "  license \(entry.license), prompt format \(entry.promptFormat.rawValue)",
            "  sha256 \(entry.sha256)",
            "  path \(path) (\(status))",
        ]
        if let h = header {
            lines.append("  gguf: \(h.architecture ?? "?"), \(h.blockCount ?? 0) layers, context \(h.contextLength ?? 0), "
                + "\(h.headCount ?? 0) heads / \(h.headCountKv ?? 0) KV heads, chat template: \(h.hasChatTemplate ? "yes" : "no")")
        }
        if !entry.notes.isEmpty { lines.append("  notes: \(entry.notes)") }
        Terminal.out(lines.joined(separator: "\n") + "\n")
    }
}

/// Draws pull progress on stderr: a redrawn bar on a TTY, a line per part otherwise.
final class BarState: @unchecked Sendable {
    // @unchecked: progress callbacks arrive on the puller's one worker thread, guarded by the lock anyway.
    private var bar: ProgressBar
    private let lock = NSLock()
    private var drewLine = false

    init(isTTY: Bool) { bar = ProgressBar(isTTY: isTTY) }

    func render(_ progress: PullProgress) {
        lock.withLock {
            guard let line = bar.render(progress) else { return }
            if bar.isTTY {
                FileHandle.standardError.write(Data(("\r\u{1B}[2K" + line).utf8))
                drewLine = true
            } else {
                Terminal.err(line)
            }
        }
    }

    func finish() {
        lock.withLock { if drewLine { FileHandle.standardError.write(Data("\n".utf8)); drewLine = false } }
    }
}
