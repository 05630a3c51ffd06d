import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Whether a catalog model is on disk and known to be intact.
public enum ModelStatus: Sendable, Hashable, CustomStringConvertible {
    /// No file at the model's path.
    case missing
    /// The file exists. `verified` is true when a stamp vouches for the catalog's SHA-256 and the
    /// file is unchanged since; false when the file is known to be wrong (wrong size, or stamped
    /// with another checksum); nil when it has not been checked (no stamp, or changed since).
    case present(verified: Bool?)

    /// `missing`, `verified`, `CORRUPT` or `unverified`.
    public var description: String {
        switch self {
        case .missing: return "missing"
        case .present(verified: true): return "verified"
        case .present(verified: false): return "CORRUPT"
        case .present(verified: nil): return "unverified"
        }
    }

    /// Whether the file is present and verified.
    public var isVerified: Bool { self == .present(verified: true) }
}

/// A model reference resolved to a file: a catalog model, or a GGUF path given directly.
public struct ResolvedModel: Sendable, Hashable {
    /// Absolute path of the GGUF file.
    public var path: String
    /// The catalog entry, when the reference was a catalog id (or a path to a catalog model's file).
    public var entry: ModelEntry?

    /// Creates a resolved reference.
    public init(path: String, entry: ModelEntry?) {
        self.path = path
        self.entry = entry
    }
}

/// The models directory: where catalog models live, whether they are verified, and how model
/// references from the command line turn into file paths.
///
/// The directory is the explicit argument, else `$FUSION_MODELS`, else
/// `<cache root>/models` (see `LocalFusionPaths`).
public struct ModelStore: Sendable {
    /// The catalog whose models this store holds.
    public let catalog: ModelCatalog
    /// Absolute path of the models directory (it may not exist yet).
    public let directory: String

    /// Creates a store over `directory` (or the default models directory).
    public init(catalog: ModelCatalog, directory: String? = nil,
                environment: [String: String] = ProcessInfo.processInfo.environment) {
        self.catalog = catalog
        let chosen = directory.map(LocalFusionPaths.expandTilde)
            ?? LocalFusionPaths.modelsDirectory(environment: environment)
        self.directory = Self.absolute(chosen)
    }

    /// The default models directory for an environment.
    public static func defaultDirectory(
        environment: [String: String] = ProcessInfo.processInfo.environment
    ) -> String {
        absolute(LocalFusionPaths.modelsDirectory(environment: environment))
    }

    /// Where a model's file lives (or will live): `<directory>/<entry.file>`.
    public func path(for entry: ModelEntry) -> String {
        (directory as NSString).appendingPathComponent(entry.file)
    }

    /// The sidecar stamp path: `<directory>/<entry.file>.verified`.
    public func stampPath(for entry: ModelEntry) -> String {
        VerificationStamp.path(for: path(for: entry))
    }

    /// The in-progress download path: `<directory>/.<entry.file>.partial`.
    public func partialPath(for entry: ModelEntry) -> String {
        (directory as NSString).appendingPathComponent(".\(entry.file).partial")
    }

    /// The lock file serializing pulls of one model: `<directory>/.<entry.file>.lock`.
    func lockPath(for entry: ModelEntry) -> String {
        (directory as NSString).appendingPathComponent(".\(entry.file).lock")
    }

    /// The model's status, decided from the file's size and the stamp without hashing.
    public func status(for entry: ModelEntry) -> ModelStatus {
        let file = path(for: entry)
        guard let identity = FileIdentity.of(path: file) else { return .missing }
        if identity.bytes != entry.bytes { return .present(verified: false) }
        guard let stamp = VerificationStamp.read(for: file), stamp.identity == identity else {
            return .present(verified: nil)
        }
        return .present(verified: stamp.sha256 == entry.sha256)
    }

    /// Hashes the model's file now and records the result in its stamp.
    ///
    /// - Parameter progress: called with the number of bytes hashed so far.
    /// - Returns: whether the file has the catalog's size and SHA-256. A wrong file loses its stamp.
    /// - Throws: `CatalogError.modelNotPulled` if there is no file.
    @discardableResult
    public func verify(_ entry: ModelEntry, progress: ((Int64) -> Void)? = nil) throws -> Bool {
        let file = path(for: entry)
        guard FileIdentity.of(path: file) != nil else {
            throw CatalogError.modelNotPulled(id: entry.id, path: file)
        }
        let result: (digest: SHA256.Digest, byteCount: Int64)
        do {
            result = try SHA256.hash(fileAtPath: file, progress: progress)
        } catch {
            throw CatalogError.ioFailed(path: file, reason: "\(error)")
        }
        guard result.byteCount == entry.bytes, result.digest.hex == entry.sha256 else {
            VerificationStamp.remove(for: file)
            return false
        }
        try VerificationStamp.write(for: file, sha256: result.digest.hex)
        return true
    }

    /// Resolves a model reference from the command line or an API request.
    ///
    /// - An existing file path → that file (with its catalog entry when the file is one of the
    ///   store's catalog models).
    /// - A reference ending in `.gguf` or containing `/` that names no file → `fileNotFound`.
    /// - Otherwise a catalog id → its file; `unknownModel` (listing known ids) if there is no such
    ///   id, `modelNotPulled` (telling the user to run `fusion models pull <id>`) if not on disk.
    public func resolve(_ reference: String) throws -> ResolvedModel {
        let expanded = LocalFusionPaths.expandTilde(reference)
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: expanded, isDirectory: &isDirectory), !isDirectory.boolValue {
            let absolutePath = Self.absolute(expanded)
            let owner = catalog.models.first { path(for: $0) == absolutePath }
            return ResolvedModel(path: absolutePath, entry: owner)
        }
        if expanded.lowercased().hasSuffix(".gguf") || expanded.contains("/") {
            throw CatalogError.fileNotFound(path: Self.absolute(expanded))
        }
        let entry = try catalog.entry(id: reference)
        let file = path(for: entry)
        guard FileIdentity.of(path: file) != nil else {
            throw CatalogError.modelNotPulled(id: entry.id, path: file)
        }
        return ResolvedModel(path: file, entry: entry)
    }

    /// Makes a path absolute against the current directory and removes `.`, `..` and repeated
    /// slashes lexically (symlinks are left alone).
    static func absolute(_ path: String) -> String {
        let full = path.hasPrefix("/") ? path : FileManager.default.currentDirectoryPath + "/" + path
        var parts: [Substring] = []
        for component in full.split(separator: "/") {
            switch component {
            case ".": continue
            case "..": if !parts.isEmpty { parts.removeLast() }
            default: parts.append(component)
            }
        }
        return "/" + parts.joined(separator: "/")
    }
}
