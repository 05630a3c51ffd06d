import Foundation

/// The list of known models (`models/catalog.json`): ids, files, sizes, checksums and sources.
///
/// ```swift
/// let catalog = try ModelCatalog.loadDefault()
/// let entry = try catalog.entry(id: "smollm2-135m")
/// ```
public struct ModelCatalog: Codable, Sendable, Hashable {
    /// The newest catalog format version this code understands.
    public static let supportedVersion = 1
    /// The environment variable naming an explicit catalog file.
    public static let environmentKey = "FUSION_CATALOG"
    /// Where the catalog lives relative to the repository root.
    public static let relativePath = "models/catalog.json"

    /// The catalog format version (currently 1).
    public var version: Int
    /// A human-readable explanation stored in the file (`description` in JSON).
    public var summary: String?
    /// The models, in catalog order.
    public var models: [ModelEntry]
    /// The file this catalog was loaded from, if any. Not part of the JSON.
    public var path: String?

    /// Creates a catalog in code (entries keep their own `catalogDirectory`).
    public init(version: Int = ModelCatalog.supportedVersion, summary: String? = nil,
                models: [ModelEntry], path: String? = nil) {
        self.version = version
        self.summary = summary
        self.models = models
        self.path = path
    }

    /// The model ids in catalog order.
    public var ids: [String] { models.map(\.id) }

    /// Looks a model up by id: an exact match first, then a case-insensitive one.
    /// - Throws: `CatalogError.unknownModel` listing the known ids.
    public func entry(id: String) throws -> ModelEntry {
        if let exact = models.first(where: { $0.id == id }) { return exact }
        let lowered = id.lowercased()
        if let loose = models.first(where: { $0.id.lowercased() == lowered }) { return loose }
        throw CatalogError.unknownModel(id: id, known: ids)
    }

    // MARK: Loading

    /// Reads and validates a catalog file.
    /// - Throws: `CatalogError.catalogUnreadable` or `.invalidCatalog` naming the bad field.
    public static func load(fromFile path: String) throws -> ModelCatalog {
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            let reason = FileManager.default.fileExists(atPath: path) ? "\(error)" : "no such file"
            throw CatalogError.catalogUnreadable(path: path, reason: reason)
        }
        return try decode(data, path: path)
    }

    /// Decodes and validates catalog JSON. `path` is used in error messages and to resolve
    /// relative `file` sources (against the path's directory).
    public static func decode(_ data: Data, path: String? = nil) throws -> ModelCatalog {
        let label = path ?? "<catalog>"
        var catalog: ModelCatalog
        do {
            catalog = try JSONDecoder().decode(ModelCatalog.self, from: data)
        } catch let error as DecodingError {
            if case let .dataCorrupted(context) = error, context.codingPath.isEmpty {
                throw CatalogError.catalogUnreadable(path: label, reason: "not valid JSON (\(syntaxProblem(in: data)))")
            }
            throw describe(error, path: label)
        } catch {
            throw CatalogError.catalogUnreadable(path: label, reason: "\(error)")
        }
        catalog.path = path
        let directory = path.map { (ModelStore.absolute($0) as NSString).deletingLastPathComponent }
        for index in catalog.models.indices {
            catalog.models[index].catalogDirectory = directory
        }
        try catalog.validate(label: label)
        return catalog
    }

    /// Checks values the JSON shape cannot express: version, unique ids and file names,
    /// checksum format, sizes, non-empty sources.
    /// - Throws: `CatalogError.invalidCatalog` naming the first bad field.
    public func validate() throws {
        try validate(label: path ?? "<catalog>")
    }

    private func validate(label: String) throws {
        if version < 1 || version > Self.supportedVersion {
            throw CatalogError.invalidCatalog(
                path: label, field: "version",
                reason: "unsupported version \(version) (this build reads up to \(Self.supportedVersion))")
        }
        var seenIDs = Set<String>()
        var seenFiles = Set<String>()
        for (index, entry) in models.enumerated() {
            if let problem = entry.firstProblem() {
                throw CatalogError.invalidCatalog(path: label, field: "models[\(index)].\(problem.field)",
                                                  reason: problem.reason)
            }
            if !seenIDs.insert(entry.id.lowercased()).inserted {
                throw CatalogError.invalidCatalog(path: label, field: "models[\(index)].id",
                                                  reason: "duplicate id '\(entry.id)'")
            }
            if !seenFiles.insert(entry.file).inserted {
                throw CatalogError.invalidCatalog(path: label, field: "models[\(index)].file",
                                                  reason: "file '\(entry.file)' is used by another model")
            }
        }
    }

    /// Turns a `DecodingError` into a `CatalogError` whose field is a readable path such as
    /// `models[1].sources[0].parts[2].version`.
    static func describe(_ error: DecodingError, path: String) -> CatalogError {
        func fieldPath(_ codingPath: [CodingKey], appending key: CodingKey? = nil) -> String {
            var text = ""
            for key in codingPath + (key.map { [$0] } ?? []) {
                if let index = key.intValue {
                    text += "[\(index)]"
                } else {
                    text += text.isEmpty ? key.stringValue : "." + key.stringValue
                }
            }
            return text.isEmpty ? "(top level)" : text
        }
        switch error {
        case let .keyNotFound(key, context):
            return .invalidCatalog(path: path, field: fieldPath(context.codingPath, appending: key),
                                   reason: "missing required field")
        case let .typeMismatch(type, context):
            return .invalidCatalog(path: path, field: fieldPath(context.codingPath),
                                   reason: "expected \(jsonTypeName(type))")
        case let .valueNotFound(type, context):
            return .invalidCatalog(path: path, field: fieldPath(context.codingPath),
                                   reason: "expected \(jsonTypeName(type)), found null")
        case let .dataCorrupted(context):
            if context.codingPath.isEmpty {
                let underlying = (context.underlyingError as NSError?).map { " (\($0.localizedDescription))" } ?? ""
                return .catalogUnreadable(path: path, reason: "not valid JSON\(underlying)")
            }
            var reason = context.debugDescription
            if context.codingPath.last?.stringValue == "prompt_format" {
                reason = "must be one of: " + PromptFormat.allCases.map(\.rawValue).joined(separator: ", ")
            }
            return .invalidCatalog(path: path, field: fieldPath(context.codingPath), reason: reason)
        @unknown default:
            return .catalogUnreadable(path: path, reason: "\(error)")
        }
    }

    /// Where JSON syntax breaks, e.g. "invalid value at line 3, column 7", from JSONSerialization.
    static func syntaxProblem(in data: Data) -> String {
        do {
            _ = try JSONSerialization.jsonObject(with: data)
            return "the top level must be an object"
        } catch {
            let detail = ((error as NSError).userInfo[NSDebugDescriptionErrorKey] as? String) ?? "\(error)"
            guard let range = detail.range(of: "character "),
                  let offset = Int(detail[range.upperBound...].prefix(while: \.isNumber)) else {
                return detail.trimmingCharacters(in: CharacterSet(charactersIn: "."))
            }
            let before = data.prefix(offset)
            let line = before.filter { $0 == UInt8(ascii: "\n") }.count + 1
            let column = offset - (before.lastIndex(of: UInt8(ascii: "\n")).map { $0 + 1 } ?? 0) + 1
            let what = detail[..<range.lowerBound].trimmingCharacters(in: .whitespaces)
                .replacingOccurrences(of: " around", with: "").lowercased()
            return "\(what) at line \(line), column \(column)"
        }
    }

    private static func jsonTypeName(_ type: Any.Type) -> String {
        switch type {
        case is String.Type: return "a string"
        case is Int.Type, is Int64.Type: return "an integer"
        case is Bool.Type: return "true or false"
        case is Double.Type: return "a number"
        case is [Any].Type: return "an array"
        case is [String: Any].Type: return "an object"
        default: return "\(type)"
        }
    }

    private enum CodingKeys: String, CodingKey {
        case version, models
        case summary = "description"
    }

    // MARK: Locating the default catalog

    /// Finds the catalog to use: `$FUSION_CATALOG` if set, else `models/catalog.json` in the
    /// nearest ancestor of the executable's directory, else of the current directory.
    /// - Throws: `CatalogError.catalogNotFound` listing where it looked, or `.catalogUnreadable`
    ///   when `FUSION_CATALOG` names a missing file.
    public static func defaultPath(
        environment: [String: String] = ProcessInfo.processInfo.environment,
        executableDirectory: String? = ModelCatalog.executableDirectory(),
        currentDirectory: String = FileManager.default.currentDirectoryPath
    ) throws -> String {
        if let explicit = environment[environmentKey], !explicit.isEmpty {
            guard FileManager.default.fileExists(atPath: explicit) else {
                throw CatalogError.catalogUnreadable(path: explicit, reason: "no such file (from \(environmentKey))")
            }
            return explicit
        }
        let starts = [executableDirectory, currentDirectory].compactMap { $0 }
        for start in starts {
            if let found = findUpwards(from: start) { return found }
        }
        throw CatalogError.catalogNotFound(searched: starts)
    }

    /// Loads the catalog at `defaultPath(...)`.
    public static func loadDefault(
        environment: [String: String] = ProcessInfo.processInfo.environment
    ) throws -> ModelCatalog {
        try load(fromFile: defaultPath(environment: environment))
    }

    /// The directory holding the running executable, with symlinks resolved.
    public static func executableDirectory() -> String? {
        #if os(Linux)
        if let target = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe") {
            return (target as NSString).deletingLastPathComponent
        }
        #endif
        guard let url = Bundle.main.executableURL else { return nil }
        return url.resolvingSymlinksInPath().deletingLastPathComponent().path
    }

    private static func findUpwards(from start: String) -> String? {
        var directory = ModelStore.absolute(start)
        while true {
            let candidate = (directory as NSString).appendingPathComponent(relativePath)
            if FileManager.default.fileExists(atPath: candidate) { return candidate }
            let parent = (directory as NSString).deletingLastPathComponent
            if parent == directory || parent.isEmpty { return nil }
            directory = parent
        }
    }
}
