import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The size and modification time of a file, used to tell whether it changed since it was hashed.
public struct FileIdentity: Codable, Sendable, Hashable {
    /// Size in bytes.
    public var bytes: Int64
    /// Modification time, whole seconds since the epoch.
    public var mtimeSeconds: Int64
    /// Modification time, nanoseconds within the second.
    public var mtimeNanoseconds: Int64

    /// Creates an identity from its parts.
    public init(bytes: Int64, mtimeSeconds: Int64, mtimeNanoseconds: Int64) {
        self.bytes = bytes
        self.mtimeSeconds = mtimeSeconds
        self.mtimeNanoseconds = mtimeNanoseconds
    }

    /// Reads the identity of a regular file with `stat`; nil if it does not exist or is not a file.
    public static func of(path: String) -> FileIdentity? {
        var info = stat()
        guard stat(path, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG else { return nil }
        #if canImport(Darwin)
        let time = info.st_mtimespec
        #else
        let time = info.st_mtim
        #endif
        return FileIdentity(bytes: Int64(info.st_size), mtimeSeconds: Int64(time.tv_sec),
                            mtimeNanoseconds: Int64(time.tv_nsec))
    }

    private enum CodingKeys: String, CodingKey {
        case bytes
        case mtimeSeconds = "mtime_sec"
        case mtimeNanoseconds = "mtime_nsec"
    }
}

/// The sidecar `<file>.verified` written after a model file's SHA-256 was checked, so that
/// listing models does not rehash gigabytes: it is trusted only while the file's size and
/// modification time are unchanged.
public struct VerificationStamp: Codable, Sendable, Hashable {
    /// The SHA-256 the file had when it was checked.
    public var sha256: String
    /// The file's size and modification time at that moment.
    public var identity: FileIdentity
    /// When the check happened (informational).
    public var verifiedAt: Date

    /// Creates a stamp.
    public init(sha256: String, identity: FileIdentity, verifiedAt: Date = Date()) {
        self.sha256 = sha256
        self.identity = identity
        self.verifiedAt = verifiedAt
    }

    /// The stamp path for a model file: `<file>.verified`.
    public static func path(for modelPath: String) -> String { modelPath + ".verified" }

    /// Reads the stamp next to a model file; nil when absent or unreadable.
    public static func read(for modelPath: String) -> VerificationStamp? {
        guard let data = FileManager.default.contents(atPath: path(for: modelPath)) else { return nil }
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        return try? decoder.decode(VerificationStamp.self, from: data)
    }

    /// Writes a stamp for `modelPath` recording `sha256` and the file's current identity.
    /// The write is atomic (temporary file + rename).
    @discardableResult
    public static func write(for modelPath: String, sha256: String) throws -> VerificationStamp {
        guard let identity = FileIdentity.of(path: modelPath) else {
            throw CatalogError.fileNotFound(path: modelPath)
        }
        let stamp = VerificationStamp(sha256: sha256, identity: identity)
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .iso8601
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        do {
            let data = try encoder.encode(stamp)
            try data.write(to: URL(fileURLWithPath: path(for: modelPath)), options: .atomic)
        } catch {
            throw CatalogError.ioFailed(path: path(for: modelPath), reason: "\(error)")
        }
        return stamp
    }

    /// Removes the stamp next to a model file, if any.
    public static func remove(for modelPath: String) {
        unlink(path(for: modelPath))
    }

    /// Whether this stamp vouches for `modelPath` having `expectedSHA256` right now.
    public func vouches(for modelPath: String, expectedSHA256: String) -> Bool {
        sha256 == expectedSHA256 && FileIdentity.of(path: modelPath) == identity
    }

    private enum CodingKeys: String, CodingKey {
        case sha256, identity = "file"
        case verifiedAt = "verified_at"
    }
}

/// An exclusive advisory lock (`flock`) on a file, so that two processes pulling the same model
/// do not write the same partial file at once. Released by `unlock()` or on deinit.
final class FileLock {
    private var descriptor: Int32

    /// Opens (creating if needed) `path` and blocks until the lock is held, polling so that
    /// `shouldStop` can abort the wait (it should throw, e.g. on cancellation).
    init(path: String, shouldStop: () throws -> Void) throws {
        descriptor = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else {
            throw CatalogError.ioFailed(path: path, reason: CatalogError.errnoText())
        }
        while flock(descriptor, LOCK_EX | LOCK_NB) != 0 {
            let code = errno
            guard code == EWOULDBLOCK || code == EINTR else {
                close(descriptor)
                throw CatalogError.ioFailed(path: path, reason: CatalogError.errnoText(code))
            }
            do {
                try shouldStop()
            } catch {
                close(descriptor)
                throw error
            }
            usleep(200_000)
        }
    }

    /// Releases the lock.
    func unlock() {
        guard descriptor >= 0 else { return }
        flock(descriptor, LOCK_UN)
        close(descriptor)
        descriptor = -1
    }

    deinit { unlock() }
}
