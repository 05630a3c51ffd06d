import Foundation

/// Why a file could not be read as a GGUF model.
///
/// Every case carries the path so that the message stands on its own when it reaches a user
/// (a CLI prints `error.description` and nothing else). The cases are deliberately coarse:
/// callers branch on *what to tell the user* (missing? re-download? wrong file?), not on which
/// byte of the header was wrong; that detail lives in the `reason` strings.
public enum GGUFError: Error, CustomStringConvertible, LocalizedError, Equatable, Sendable {
    /// Nothing exists at `path`.
    case fileNotFound(path: String)
    /// The file does not start with the `GGUF` magic bytes: it is some other kind of file,
    /// e.g. an HTML error page or a JSON body saved under a `.gguf` name.
    case notGGUF(path: String)
    /// The file ends before the data it declares: the header is cut short, or the tensor data
    /// extends past the end of the file. Almost always an interrupted download.
    /// `expectedAtLeast` is a lower bound on the complete file's size in bytes.
    case truncated(path: String, expectedAtLeast: UInt64, actual: UInt64)
    /// The GGUF version is not 2 or 3 (version 1 is obsolete; larger numbers are newer than
    /// this reader, or a byte-swapped big-endian file).
    case unsupportedVersion(path: String, version: UInt32)
    /// The file is a GGUF file but its structure is invalid: absurd counts or lengths, an unknown
    /// value or tensor type, duplicate keys, tensor data that is not laid out as llama.cpp requires.
    case malformed(path: String, reason: String)
    /// The file exists but cannot be read: permission denied, a directory, an I/O error.
    case unreadable(path: String, reason: String)

    /// The path of the file the error is about.
    public var path: String {
        switch self {
        case .fileNotFound(let path), .notGGUF(let path), .truncated(let path, _, _),
             .unsupportedVersion(let path, _), .malformed(let path, _), .unreadable(let path, _):
            return path
        }
    }

    /// A one-line explanation meant for the person running the program, with a hint at the fix.
    public var description: String {
        switch self {
        case .fileNotFound(let path):
            return "Model file not found: \(path)"
        case .notGGUF(let path):
            return "\(path) is not a GGUF model file (it does not start with the bytes \"GGUF\"); "
                + "it may be an HTML or JSON error page saved under a model name. Download it again."
        case .truncated(let path, let expected, let actual):
            return "\(path) is incomplete: it has \(Self.bytes(actual)) but its header describes "
                + "at least \(Self.bytes(expected)). The download was probably interrupted; download it again."
        case .unsupportedVersion(let path, let version):
            if version > 0xFFFF && version & 0xFFFF == 0 {
                // A small version number read with the wrong byte order, e.g. 3 → 0x03000000.
                return "\(path) appears to be a big-endian GGUF file (version field 0x\(String(version, radix: 16))); "
                    + "only little-endian files are supported."
            }
            if version < 2 {
                return "\(path) uses GGUF version \(version), which is obsolete; only versions 2 and 3 are supported. "
                    + "Convert or download a newer file."
            }
            return "\(path) uses GGUF version \(version), which is newer than this program understands "
                + "(versions 2 and 3 are supported)."
        case .malformed(let path, let reason):
            return "\(path) is a corrupt or invalid GGUF file: \(reason)"
        case .unreadable(let path, let reason):
            return "Cannot read \(path): \(reason)"
        }
    }

    /// Same as ``description``, so that `error.localizedDescription` reads well too.
    public var errorDescription: String? { description }

    /// "98,362,432 bytes (93.8 MiB)": exact for comparing, rounded for reading.
    static func bytes(_ count: UInt64) -> String {
        var digits = String(count)
        var grouped = ""
        while digits.count > 3 {
            grouped = "," + digits.suffix(3) + grouped
            digits.removeLast(3)
        }
        let exact = digits + grouped + (count == 1 ? " byte" : " bytes")
        let units: [(String, Double)] = [("GiB", 1_073_741_824), ("MiB", 1_048_576), ("KiB", 1024)]
        guard let (unit, scale) = units.first(where: { Double(count) >= $0.1 }) else { return exact }
        return exact + " (" + String(format: "%.1f", Double(count) / scale) + " " + unit + ")"
    }
}
