import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A streaming SHA-256 (FIPS 180-4) in pure Swift, used to verify model files.
///
/// CryptoKit is not available on Linux, so this is a self-contained implementation tuned for
/// throughput on large files: whole blocks are compressed straight from the caller's buffer
/// without copying, and the round loop works on unsafe pointers without bounds checks.
///
/// ```swift
/// var hasher = SHA256()
/// hasher.update(data)
/// let hex = hasher.finalize().hex
/// ```
public struct SHA256: Sendable {
    /// The size of a digest in bytes.
    public static let digestByteCount = 32
    /// The size of one input block in bytes.
    public static let blockByteCount = 64

    /// A finished SHA-256 digest.
    public struct Digest: Sendable, Hashable, CustomStringConvertible {
        /// The 32 digest bytes, big-endian as specified by FIPS 180-4.
        public let bytes: [UInt8]

        /// The digest as 64 lowercase hexadecimal characters.
        public var hex: String {
            let digits = Array("0123456789abcdef".utf8)
            var out = [UInt8]()
            out.reserveCapacity(bytes.count * 2)
            for byte in bytes {
                out.append(digits[Int(byte >> 4)])
                out.append(digits[Int(byte & 0x0f)])
            }
            return String(decoding: out, as: UTF8.self)
        }

        /// Same as `hex`.
        public var description: String { hex }
    }

    private var state: [UInt32] = [
        0x6a09_e667, 0xbb67_ae85, 0x3c6e_f372, 0xa54f_f53a,
        0x510e_527f, 0x9b05_688c, 0x1f83_d9ab, 0x5be0_cd19,
    ]
    /// Bytes of an incomplete block carried between `update` calls (fewer than 64).
    private var pending = [UInt8](repeating: 0, count: SHA256.blockByteCount)
    private var pendingCount = 0
    private var totalByteCount: UInt64 = 0

    /// Creates a hasher in the initial state.
    public init() {}

    /// The number of bytes fed so far.
    public var byteCount: UInt64 { totalByteCount }

    /// Feeds bytes from a raw buffer.
    public mutating func update(_ buffer: UnsafeRawBufferPointer) {
        guard var base = buffer.baseAddress, buffer.count > 0 else { return }
        var remaining = buffer.count
        totalByteCount &+= UInt64(remaining)
        if pendingCount > 0 {
            let take = min(SHA256.blockByteCount - pendingCount, remaining)
            let start = pendingCount
            pending.withUnsafeMutableBytes { dst in
                (dst.baseAddress! + start).copyMemory(from: base, byteCount: take)
            }
            pendingCount += take
            base += take
            remaining -= take
            if pendingCount < SHA256.blockByteCount { return }
            pending.withUnsafeBytes { block in
                SHA256.compress(&state, block.baseAddress!, blockCount: 1)
            }
            pendingCount = 0
        }
        let whole = remaining / SHA256.blockByteCount
        if whole > 0 {
            SHA256.compress(&state, base, blockCount: whole)
            base += whole * SHA256.blockByteCount
            remaining -= whole * SHA256.blockByteCount
        }
        if remaining > 0 {
            pending.withUnsafeMutableBytes { dst in
                dst.baseAddress!.copyMemory(from: base, byteCount: remaining)
            }
            pendingCount = remaining
        }
    }

    /// Feeds a sequence of contiguous bytes (`[UInt8]`, `Data`, `ArraySlice<UInt8>`, …).
    public mutating func update<Bytes: ContiguousBytes>(_ bytes: Bytes) {
        bytes.withUnsafeBytes { update($0) }
    }

    /// Feeds the UTF-8 encoding of a string.
    public mutating func update(_ string: String) {
        update(Array(string.utf8))
    }

    /// Pads the message and returns its digest. The hasher should not be used afterwards.
    public mutating func finalize() -> Digest {
        let bitLength = totalByteCount &* 8
        var tail = [UInt8](pending[0..<pendingCount])
        tail.append(0x80)
        while tail.count % SHA256.blockByteCount != 56 { tail.append(0) }
        for shift in stride(from: 56, through: 0, by: -8) {
            tail.append(UInt8(truncatingIfNeeded: bitLength >> UInt64(shift)))
        }
        tail.withUnsafeBytes { SHA256.compress(&state, $0.baseAddress!, blockCount: $0.count / 64) }
        pendingCount = 0
        var out = [UInt8]()
        out.reserveCapacity(SHA256.digestByteCount)
        for word in state {
            out.append(UInt8(truncatingIfNeeded: word >> 24))
            out.append(UInt8(truncatingIfNeeded: word >> 16))
            out.append(UInt8(truncatingIfNeeded: word >> 8))
            out.append(UInt8(truncatingIfNeeded: word))
        }
        return Digest(bytes: out)
    }

    /// The digest of a complete message.
    public static func hash<Bytes: ContiguousBytes>(_ bytes: Bytes) -> Digest {
        var hasher = SHA256()
        hasher.update(bytes)
        return hasher.finalize()
    }

    /// The digest of a string's UTF-8 bytes.
    public static func hash(_ string: String) -> Digest {
        hash(Array(string.utf8))
    }

    /// Hashes a file by streaming it in 4 MiB chunks.
    ///
    /// - Parameters:
    ///   - path: the file to read.
    ///   - progress: called after each chunk with the number of bytes hashed so far.
    /// - Returns: the digest and the number of bytes read.
    public static func hash(
        fileAtPath path: String, progress: ((Int64) -> Void)? = nil
    ) throws -> (digest: Digest, byteCount: Int64) {
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else {
            throw CocoaError(.fileReadNoSuchFile, userInfo: [NSFilePathErrorKey: path])
        }
        defer { close(fd) }
        let chunkSize = 4 << 20
        let buffer = UnsafeMutableRawPointer.allocate(byteCount: chunkSize, alignment: 64)
        defer { buffer.deallocate() }
        var hasher = SHA256()
        var done: Int64 = 0
        while true {
            let n = read(fd, buffer, chunkSize)
            if n < 0 {
                if errno == EINTR { continue }
                throw CocoaError(.fileReadUnknown, userInfo: [NSFilePathErrorKey: path])
            }
            if n == 0 { break }
            hasher.update(UnsafeRawBufferPointer(start: buffer, count: n))
            done += Int64(n)
            progress?(done)
        }
        return (hasher.finalize(), done)
    }

    // MARK: - Compression

    private static let roundConstants: [UInt32] = [
        0x428a_2f98, 0x7137_4491, 0xb5c0_fbcf, 0xe9b5_dba5, 0x3956_c25b, 0x59f1_11f1, 0x923f_82a4, 0xab1c_5ed5,
        0xd807_aa98, 0x1283_5b01, 0x2431_85be, 0x550c_7dc3, 0x72be_5d74, 0x80de_b1fe, 0x9bdc_06a7, 0xc19b_f174,
        0xe49b_69c1, 0xefbe_4786, 0x0fc1_9dc6, 0x240c_a1cc, 0x2de9_2c6f, 0x4a74_84aa, 0x5cb0_a9dc, 0x76f9_88da,
        0x983e_5152, 0xa831_c66d, 0xb003_27c8, 0xbf59_7fc7, 0xc6e0_0bf3, 0xd5a7_9147, 0x06ca_6351, 0x1429_2967,
        0x27b7_0a85, 0x2e1b_2138, 0x4d2c_6dfc, 0x5338_0d13, 0x650a_7354, 0x766a_0abb, 0x81c2_c92e, 0x9272_2c85,
        0xa2bf_e8a1, 0xa81a_664b, 0xc24b_8b70, 0xc76c_51a3, 0xd192_e819, 0xd699_0624, 0xf40e_3585, 0x106a_a070,
        0x19a4_c116, 0x1e37_6c08, 0x2748_774c, 0x34b0_bcb5, 0x391c_0cb3, 0x4ed8_aa4a, 0x5b9c_ca4f, 0x682e_6ff3,
        0x748f_82ee, 0x78a5_636f, 0x84c8_7814, 0x8cc7_0208, 0x90be_fffa, 0xa450_6ceb, 0xbef9_a3f7, 0xc671_78f2,
    ]

    @inline(__always)
    private static func rotr(_ x: UInt32, _ n: UInt32) -> UInt32 {
        (x &>> n) | (x &<< (32 &- n))
    }

    /// One round; the caller rotates the roles of the eight working variables.
    @inline(__always)
    private static func round(
        _ a: UInt32, _ b: UInt32, _ c: UInt32, _ d: inout UInt32,
        _ e: UInt32, _ f: UInt32, _ g: UInt32, _ h: inout UInt32, _ kw: UInt32
    ) {
        let s1 = rotr(e, 6) ^ rotr(e, 11) ^ rotr(e, 25)
        let ch = g ^ (e & (f ^ g))
        let t1 = h &+ s1 &+ ch &+ kw
        let s0 = rotr(a, 2) ^ rotr(a, 13) ^ rotr(a, 22)
        let maj = (a & b) | (c & (a | b))
        d &+= t1
        h = t1 &+ s0 &+ maj
    }

    /// The next message-schedule word from W[t-16], W[t-15], W[t-7] and W[t-2].
    @inline(__always)
    private static func schedule(_ w16: UInt32, _ w15: UInt32, _ w7: UInt32, _ w2: UInt32) -> UInt32 {
        let s0 = rotr(w15, 7) ^ rotr(w15, 18) ^ (w15 &>> 3)
        let s1 = rotr(w2, 17) ^ rotr(w2, 19) ^ (w2 &>> 10)
        return w16 &+ s0 &+ w7 &+ s1
    }

    /// Compresses `blockCount` consecutive 64-byte blocks starting at `data` into `state`.
    ///
    /// The rounds are unrolled 16 at a time so that the roles of the working variables rotate
    /// without moves and the schedule ring indices are constants.
    private static func compress(_ state: inout [UInt32], _ data: UnsafeRawPointer, blockCount: Int) {
        roundConstants.withUnsafeBufferPointer { kBuffer in
            withUnsafeTemporaryAllocation(of: UInt32.self, capacity: 16) { wBuffer in
                let k = kBuffer.baseAddress!
                let w = wBuffer.baseAddress!
                var a = state[0], b = state[1], c = state[2], d = state[3]
                var e = state[4], f = state[5], g = state[6], h = state[7]
                var block = data
                for _ in 0..<blockCount {
                    for i in 0..<16 {
                        w[i] = block.loadUnaligned(fromByteOffset: i &* 4, as: UInt32.self).bigEndian
                    }
                    let (a0, b0, c0, d0, e0, f0, g0, h0) = (a, b, c, d, e, f, g, h)
                    // Rounds 0-15 use the message words as loaded.
                    round(a, b, c, &d, e, f, g, &h, k[0] &+ w[0])
                    round(h, a, b, &c, d, e, f, &g, k[1] &+ w[1])
                    round(g, h, a, &b, c, d, e, &f, k[2] &+ w[2])
                    round(f, g, h, &a, b, c, d, &e, k[3] &+ w[3])
                    round(e, f, g, &h, a, b, c, &d, k[4] &+ w[4])
                    round(d, e, f, &g, h, a, b, &c, k[5] &+ w[5])
                    round(c, d, e, &f, g, h, a, &b, k[6] &+ w[6])
                    round(b, c, d, &e, f, g, h, &a, k[7] &+ w[7])
                    round(a, b, c, &d, e, f, g, &h, k[8] &+ w[8])
                    round(h, a, b, &c, d, e, f, &g, k[9] &+ w[9])
                    round(g, h, a, &b, c, d, e, &f, k[10] &+ w[10])
                    round(f, g, h, &a, b, c, d, &e, k[11] &+ w[11])
                    round(e, f, g, &h, a, b, c, &d, k[12] &+ w[12])
                    round(d, e, f, &g, h, a, b, &c, k[13] &+ w[13])
                    round(c, d, e, &f, g, h, a, &b, k[14] &+ w[14])
                    round(b, c, d, &e, f, g, h, &a, k[15] &+ w[15])
                    // Rounds 16-63 extend the schedule in a 16-word ring, one word per round.
                    var r = 16
                    while r < 64 {
                        w[0] = schedule(w[0], w[1], w[9], w[14])
                        round(a, b, c, &d, e, f, g, &h, k[r &+ 0] &+ w[0])
                        w[1] = schedule(w[1], w[2], w[10], w[15])
                        round(h, a, b, &c, d, e, f, &g, k[r &+ 1] &+ w[1])
                        w[2] = schedule(w[2], w[3], w[11], w[0])
                        round(g, h, a, &b, c, d, e, &f, k[r &+ 2] &+ w[2])
                        w[3] = schedule(w[3], w[4], w[12], w[1])
                        round(f, g, h, &a, b, c, d, &e, k[r &+ 3] &+ w[3])
                        w[4] = schedule(w[4], w[5], w[13], w[2])
                        round(e, f, g, &h, a, b, c, &d, k[r &+ 4] &+ w[4])
                        w[5] = schedule(w[5], w[6], w[14], w[3])
                        round(d, e, f, &g, h, a, b, &c, k[r &+ 5] &+ w[5])
                        w[6] = schedule(w[6], w[7], w[15], w[4])
                        round(c, d, e, &f, g, h, a, &b, k[r &+ 6] &+ w[6])
                        w[7] = schedule(w[7], w[8], w[0], w[5])
                        round(b, c, d, &e, f, g, h, &a, k[r &+ 7] &+ w[7])
                        w[8] = schedule(w[8], w[9], w[1], w[6])
                        round(a, b, c, &d, e, f, g, &h, k[r &+ 8] &+ w[8])
                        w[9] = schedule(w[9], w[10], w[2], w[7])
                        round(h, a, b, &c, d, e, f, &g, k[r &+ 9] &+ w[9])
                        w[10] = schedule(w[10], w[11], w[3], w[8])
                        round(g, h, a, &b, c, d, e, &f, k[r &+ 10] &+ w[10])
                        w[11] = schedule(w[11], w[12], w[4], w[9])
                        round(f, g, h, &a, b, c, d, &e, k[r &+ 11] &+ w[11])
                        w[12] = schedule(w[12], w[13], w[5], w[10])
                        round(e, f, g, &h, a, b, c, &d, k[r &+ 12] &+ w[12])
                        w[13] = schedule(w[13], w[14], w[6], w[11])
                        round(d, e, f, &g, h, a, b, &c, k[r &+ 13] &+ w[13])
                        w[14] = schedule(w[14], w[15], w[7], w[12])
                        round(c, d, e, &f, g, h, a, &b, k[r &+ 14] &+ w[14])
                        w[15] = schedule(w[15], w[0], w[8], w[13])
                        round(b, c, d, &e, f, g, h, &a, k[r &+ 15] &+ w[15])
                        r &+= 16
                    }
                    a = a &+ a0; b = b &+ b0; c = c &+ c0; d = d &+ d0
                    e = e &+ e0; f = f &+ f0; g = g &+ g0; h = h &+ h0
                    block += 64
                }
                state[0] = a; state[1] = b; state[2] = c; state[3] = d
                state[4] = e; state[5] = f; state[6] = g; state[7] = h
            }
        }
    }
}
