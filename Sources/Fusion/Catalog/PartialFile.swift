import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The hidden `.<file>.partial` a pull assembles into: every appended byte is written, counted
/// and hashed in one pass, so verification needs no second read of the file.
///
/// Creating one replaces any stale partial left by an interrupted pull. Until `install(at:)`
/// renames it into place, nothing at the model's real path changes.
final class PartialFile {
    /// Where the bytes go.
    let path: String
    /// The model the bytes belong to (for error messages).
    let modelID: String
    /// The expected final size; appending beyond it fails at once.
    let expectedBytes: Int64
    /// Bytes appended so far.
    private(set) var byteCount: Int64 = 0

    private var descriptor: Int32
    private var hasher = SHA256()
    private let onAppend: (Int64) -> Void

    /// Creates (truncating) the partial file.
    /// - Parameter onAppend: called after every append with the total bytes so far.
    init(path: String, modelID: String, expectedBytes: Int64, onAppend: @escaping (Int64) -> Void) throws {
        self.path = path
        self.modelID = modelID
        self.expectedBytes = expectedBytes
        self.onAppend = onAppend
        unlink(path)  // a stale partial (maybe owned by someone else, or a symlink) is never reused
        descriptor = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else {
            throw CatalogError.ioFailed(path: path, reason: CatalogError.errnoText())
        }
    }

    deinit {
        if descriptor >= 0 { close(descriptor) }
    }

    /// Writes, counts and hashes a chunk.
    /// - Throws: `CatalogError.sizeMismatch` as soon as the data exceeds `expectedBytes`,
    ///   `CatalogError.ioFailed` when the write fails (e.g. disk full).
    func append(_ chunk: UnsafeRawBufferPointer) throws {
        guard let base = chunk.baseAddress, chunk.count > 0 else { return }
        if byteCount + Int64(chunk.count) > expectedBytes {
            throw CatalogError.sizeMismatch(
                model: modelID, what: "download is larger than expected; stopped after \(byteCount + Int64(chunk.count)) bytes",
                expected: expectedBytes, actual: byteCount + Int64(chunk.count))
        }
        var offset = 0
        while offset < chunk.count {
            let written = write(descriptor, base + offset, chunk.count - offset)
            if written < 0 {
                if errno == EINTR { continue }
                throw CatalogError.ioFailed(path: path, reason: CatalogError.errnoText())
            }
            offset += written
        }
        hasher.update(chunk)
        byteCount += Int64(chunk.count)
        onAppend(byteCount)
    }

    /// Appends the whole content of a local file, checking `shouldStop` between chunks.
    /// - Returns: the number of bytes copied.
    @discardableResult
    func append(contentsOf source: String, shouldStop: () throws -> Void) throws -> Int64 {
        let input = open(source, O_RDONLY | O_CLOEXEC)
        guard input >= 0 else {
            throw CatalogError.ioFailed(path: source, reason: CatalogError.errnoText())
        }
        defer { close(input) }
        let capacity = 4 << 20
        let buffer = UnsafeMutableRawPointer.allocate(byteCount: capacity, alignment: 64)
        defer { buffer.deallocate() }
        var copied: Int64 = 0
        while true {
            try shouldStop()
            let count = read(input, buffer, capacity)
            if count == 0 { return copied }
            if count < 0 {
                if errno == EINTR { continue }
                throw CatalogError.ioFailed(path: source, reason: CatalogError.errnoText())
            }
            try append(UnsafeRawBufferPointer(start: buffer, count: count))
            copied += Int64(count)
        }
    }

    /// Flushes and closes the file and returns the digest of everything appended.
    func finish() throws -> SHA256.Digest {
        if descriptor >= 0 {
            let synced = fsync(descriptor) == 0
            let code = errno
            close(descriptor)
            descriptor = -1
            if !synced { throw CatalogError.ioFailed(path: path, reason: CatalogError.errnoText(code)) }
        }
        return hasher.finalize()
    }

    /// Closes and deletes the partial file.
    func discard() {
        if descriptor >= 0 {
            close(descriptor)
            descriptor = -1
        }
        unlink(path)
    }

    /// Atomically renames the finished partial to `destination`, replacing what is there.
    func install(at destination: String) throws {
        guard rename(path, destination) == 0 else {
            throw CatalogError.ioFailed(path: destination, reason: CatalogError.errnoText())
        }
    }
}
