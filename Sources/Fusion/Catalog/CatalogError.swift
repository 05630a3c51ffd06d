import Foundation

/// Everything that can go wrong while reading the model catalog, locating a model on disk or
/// pulling one. Each case carries what a user needs to act on it; `description` is one readable
/// sentence (or a short list) suitable for printing as-is.
public enum CatalogError: Error, Sendable, Equatable, CustomStringConvertible, LocalizedError {
    /// No entry with this id; `known` lists the ids that do exist.
    case unknownModel(id: String, known: [String])
    /// No catalog file was found; `searched` lists the directories whose ancestors were searched.
    case catalogNotFound(searched: [String])
    /// The catalog file exists (or was named) but could not be read or is not valid JSON.
    case catalogUnreadable(path: String, reason: String)
    /// The catalog is JSON but a field is missing or wrong; `field` is a path like `models[2].sha256`.
    case invalidCatalog(path: String, field: String, reason: String)
    /// A catalog model that has not been pulled into the models directory yet.
    case modelNotPulled(id: String, path: String)
    /// A reference that looks like a file path but names no readable file.
    case fileNotFound(path: String)
    /// A download or extraction step failed; `detail` says which, `stderrTail` is the tool's last output.
    case downloadFailed(model: String, source: String, detail: String, stderrTail: String)
    /// The assembled file's SHA-256 is not the catalog's; nothing was installed.
    case sha256Mismatch(model: String, expected: String, actual: String)
    /// The assembled file (or one part, named by `what`) has the wrong size; nothing was installed.
    case sizeMismatch(model: String, what: String, expected: Int64, actual: Int64)
    /// No source could be used; `reasons` has one line per source tried (or why none was).
    case noUsableSource(model: String, reasons: [String])
    /// Reading or writing a local file failed.
    case ioFailed(path: String, reason: String)

    /// A readable, self-contained explanation of the error.
    public var description: String {
        switch self {
        case let .unknownModel(id, known):
            let list = known.isEmpty ? "(the catalog is empty)" : known.joined(separator: ", ")
            return "unknown model '\(id)'; known: \(list)"
        case let .catalogNotFound(searched):
            let places = searched.isEmpty ? "" : " (looked for models/catalog.json in and above: "
                + searched.joined(separator: ", ") + ")"
            return "no model catalog found: set FUSION_CATALOG to a catalog.json\(places)"
        case let .catalogUnreadable(path, reason):
            return "cannot read model catalog \(path): \(reason)"
        case let .invalidCatalog(path, field, reason):
            return "invalid model catalog \(path): \(field): \(reason)"
        case let .modelNotPulled(id, path):
            return "model '\(id)' is not downloaded (expected at \(path)); run `fusion models pull \(id)`"
        case let .fileNotFound(path):
            return "model file not found: \(path)"
        case let .downloadFailed(model, source, detail, stderrTail):
            var text = "download of '\(model)' failed (\(source)): \(detail)"
            let tail = stderrTail.trimmingCharacters(in: .whitespacesAndNewlines)
            if !tail.isEmpty { text += "\n" + tail }
            return text
        case let .sha256Mismatch(model, expected, actual):
            return "sha256 mismatch for '\(model)': expected \(expected), got \(actual); "
                + "the download was discarded and nothing was installed"
        case let .sizeMismatch(model, what, expected, actual):
            return "size mismatch for '\(model)' (\(what)): expected \(expected) bytes, got \(actual); "
                + "the download was discarded and nothing was installed"
        case let .noUsableSource(model, reasons):
            if reasons.isEmpty { return "no usable source for '\(model)'" }
            return "no usable source for '\(model)':\n"
                + reasons.enumerated().map { "  \($0.offset + 1). \($0.element)" }.joined(separator: "\n")
        case let .ioFailed(path, reason):
            return "I/O error on \(path): \(reason)"
        }
    }

    /// Same as `description`, for APIs that read `localizedDescription`.
    public var errorDescription: String? { description }
}

extension CatalogError {
    /// Keeps the last `maxLines` lines (and at most `maxCharacters` characters) of a tool's output.
    static func tail(_ text: String, maxLines: Int = 12, maxCharacters: Int = 2_000) -> String {
        let lines = text.split(separator: "\n", omittingEmptySubsequences: true)
        var joined = lines.suffix(maxLines).joined(separator: "\n")
        if joined.count > maxCharacters { joined = "…" + String(joined.suffix(maxCharacters)) }
        return joined
    }

    /// A description of the current `errno`.
    static func errnoText(_ code: Int32 = errno) -> String {
        String(cString: strerror(code))
    }
}
