#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Sequential little-endian reader over the front of a file, through a window refilled with `pread`.
///
/// Why not `mmap`: a model file that shrinks while mapped (a download being restarted over it)
/// turns a read into SIGBUS, and "corrupt input never crashes" is the point of this module.
/// Why not `Data(contentsOf:)`: models are gigabytes and only the first few MB are header.
/// Reads of a few MB through a 1 MiB window cost a handful of syscalls, which is cheaper than
/// the parsing itself.
///
/// Every read is checked against the file size first, so a length field can never make the
/// reader allocate more than the file could actually hold.
final class ByteReader {
    /// The path, for error messages.
    let path: String
    /// Size of the file when it was opened.
    let fileSize: UInt64
    private let descriptor: Int32
    /// Bytes of the file from `windowStart`: `filled` valid bytes in `storage`, which holds
    /// `capacity`; `cursor` indexes the next unread byte. Raw memory rather than `[UInt8]` because
    /// sliding and growing an array goes through unspecialised generic code in debug builds,
    /// which made a header read several times slower there.
    private var storage: UnsafeMutableRawPointer
    private var capacity: Int
    private var filled = 0
    private var windowStart: UInt64 = 0
    private var cursor = 0
    private static let chunkSize = 1 << 20

    /// Opens `path` read-only, refusing anything that is not a regular file.
    init(path: String) throws(GGUFError) {
        self.path = path
        // O_NONBLOCK: opening a FIFO for reading would otherwise block until a writer appears;
        // it has no effect on regular files, which is all we go on to read.
        let fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC)
        guard fd >= 0 else {
            let code = errno
            switch code {
            case ENOENT, ENOTDIR: throw .fileNotFound(path: path)
            case EACCES, EPERM: throw .unreadable(path: path, reason: "permission denied")
            default: throw .unreadable(path: path, reason: Self.message(for: code))
            }
        }
        var info = stat()
        guard fstat(fd, &info) == 0 else {
            let code = errno
            close(fd)
            throw .unreadable(path: path, reason: Self.message(for: code))
        }
        // POSIX file type bits; the values are the same on Linux and Darwin.
        let kind = UInt32(info.st_mode) & 0o170000
        guard kind == 0o100000 else {
            close(fd)
            throw .unreadable(path: path, reason: kind == 0o040000 ? "it is a directory" : "it is not a regular file")
        }
        descriptor = fd
        fileSize = UInt64(max(0, info.st_size))
        capacity = Self.chunkSize
        storage = .allocate(byteCount: capacity, alignment: 8)
    }

    deinit {
        storage.deallocate()
        close(descriptor)
    }

    /// Absolute file offset of the next byte to be read.
    var offset: UInt64 { windowStart + UInt64(cursor) }

    /// Bytes between the read position and the end of the file.
    var remaining: UInt64 { fileSize - offset }

    /// Throws `.truncated` unless `count` more bytes exist in the file.
    func require(_ count: UInt64) throws(GGUFError) {
        guard count <= remaining else {
            let (end, overflow) = offset.addingReportingOverflow(count)
            throw .truncated(path: path, expectedAtLeast: overflow ? .max : end, actual: fileSize)
        }
    }

    /// Makes `needed` bytes available in the window at `cursor`, reading from the file as needed.
    private func fill(_ needed: Int) throws(GGUFError) {
        try require(UInt64(needed))
        if filled - cursor >= needed { return }
        // Slide the unread tail to the front, grow if one item is bigger than the window, then
        // read at least a chunk.
        let tail = filled - cursor
        if tail > 0 && cursor > 0 { storage.copyMemory(from: storage + cursor, byteCount: tail) }
        windowStart += UInt64(cursor)
        cursor = 0
        filled = tail
        if needed > capacity {
            let larger = UnsafeMutableRawPointer.allocate(byteCount: needed, alignment: 8)
            larger.copyMemory(from: storage, byteCount: filled)
            storage.deallocate()
            storage = larger
            capacity = needed
        }
        let fileEnd = windowStart + UInt64(filled)
        let wanted = Int(min(UInt64(capacity - filled), fileSize - fileEnd))
        var got = 0
        while got < wanted {
            let n = pread(descriptor, storage + filled + got, wanted - got, off_t(fileEnd) + off_t(got))
            if n > 0 {
                got += n
            } else if n == 0 {
                break  // The file shrank since we measured it.
            } else if errno != EINTR {
                throw .unreadable(path: path, reason: Self.message(for: errno))
            }
        }
        filled += got
        if filled < needed {
            throw .truncated(path: path, expectedAtLeast: windowStart + UInt64(needed),
                             actual: windowStart + UInt64(filled))
        }
    }

    /// The unread bytes of the window.
    private var unread: UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(start: storage + cursor, count: filled - cursor)
    }

    /// Reads a little-endian integer.
    func read<T: FixedWidthInteger>(_: T.Type = T.self) throws(GGUFError) -> T {
        let size = MemoryLayout<T>.size
        try fill(size)
        let raw = storage.loadUnaligned(fromByteOffset: cursor, as: T.self)
        cursor += size
        return T(littleEndian: raw)
    }

    /// Reads `length` raw bytes.
    func bytes(_ length: Int) throws(GGUFError) -> [UInt8] {
        try fill(length)
        defer { cursor += length }
        return Array(unread.prefix(length))
    }

    /// Reads `length` bytes as UTF-8, replacing invalid sequences rather than failing: text in a
    /// header (a model name, a template) is still useful with a bad byte in it.
    func string(byteCount length: Int) throws(GGUFError) -> String {
        try fill(length)
        defer { cursor += length }
        return String(decoding: unread.prefix(length), as: UTF8.self)
    }

    /// Moves past `length` bytes without reading them, provided the file holds them.
    func skip(_ length: UInt64) throws(GGUFError) {
        try require(length)
        if length <= UInt64(filled - cursor) {
            cursor += Int(length)
        } else {
            windowStart = offset + length
            filled = 0
            cursor = 0
        }
    }

    /// Moves past `number` length-prefixed strings. Returns the first length over `maxLength`
    /// (leaving the reader just after it), or nil once all are skipped.
    ///
    /// This is the hot path of reading a header: a vocabulary is 50k–250k strings, twice over
    /// with the merges. Walking the window in one tight loop keeps it fast even in debug builds,
    /// where a generic call per string took 0.27 s on SmolLM2 (49k tokens and 49k merges)
    /// against 8 ms for this loop.
    func skipStrings(_ number: UInt64, maxLength: UInt64) throws(GGUFError) -> UInt64? {
        var left = number
        while left > 0 {
            try fill(8)
            var skipped: UInt64 = 0
            while skipped < left && filled - cursor >= 8 {
                let length = UInt64(littleEndian: storage.loadUnaligned(fromByteOffset: cursor, as: UInt64.self))
                if length > maxLength {
                    cursor += 8
                    return length
                }
                if UInt64(filled - cursor - 8) < length { break }  // Ends past the window.
                cursor += 8 + Int(length)
                skipped += 1
            }
            left -= skipped
            if left > 0 && skipped == 0 {
                // One string longer than what is buffered: skip it by seeking.
                let length: UInt64 = try read()
                if length > maxLength { return length }
                try skip(length)
                left -= 1
            }
        }
        return nil
    }

    private static func message(for code: Int32) -> String {
        String(cString: strerror(code))
    }
}
