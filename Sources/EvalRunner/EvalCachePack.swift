import Foundation

/// The whole model-call cache as one JSON-lines stream, so hours of model calls survive the
/// machine that made them: export on one machine, commit or copy the (gzipped) file, import on
/// another, and the same `fusion eval` command resumes there from cache hits.
///
/// A line is one cache file's envelope, `{"key":{…},"value":{…}}`, compact and with sorted keys;
/// lines are sorted by cache key, so exporting the same cache twice gives the same bytes. The
/// file name (the sha256) is not stored: import recomputes it from the key's fields, so an entry
/// edited by hand lands under the key its fields now name instead of answering the old call.
public enum EvalCachePack {
    public struct ExportSummary: Sendable, Equatable {
        public var written = 0
        /// Entries in an older format (or torn by hand) that no run would read either.
        public var skipped = 0
    }

    public struct ImportSummary: Sendable, Equatable {
        public var added = 0
        /// Entries the cache already held readably (left untouched).
        public var present = 0
    }

    public enum PackError: Error, CustomStringConvertible, Equatable {
        case badLine(number: Int, reason: String)

        public var description: String {
            switch self {
            case .badLine(let number, let reason):
                return "line \(number) is not a cache entry (\(reason)); nothing was imported"
            }
        }
    }

    /// Streams every readable entry of `cache` to `write`, one line each, in cache-key order.
    /// One file is decoded at a time, so a cache of any size exports in constant memory.
    public static func export(_ cache: EvalCache, write: (Data) throws -> Void) rethrows -> ExportSummary {
        var summary = ExportSummary()
        // A file is named by its key, so sorting names sorts keys without decoding anything twice.
        for file in cache.entryPaths().sorted() {
            guard let data = FileManager.default.contents(atPath: file), let entry = try? Entry(decoding: data) else {
                summary.skipped += 1
                continue
            }
            try write(entry.line + Data([0x0A]))
            summary.written += 1
        }
        return summary
    }

    /// Adds the entries of `data` (an export) that `cache` does not hold readably yet. Every line
    /// is checked before the first write, so a damaged file imports nothing rather than half.
    public static func importEntries(_ data: Data, into cache: EvalCache) throws -> ImportSummary {
        let lines = lineRanges(data)
        // Pass 1 validates, pass 2 decodes again to write: two decodes, but never the whole file
        // decoded in memory at once.
        for (number, range) in lines {
            do { _ = try Entry(decoding: data[range]) } catch {
                throw PackError.badLine(number: number, reason: reason(error))
            }
        }
        var summary = ImportSummary()
        for (_, range) in lines {
            let entry = try Entry(decoding: data[range])
            let key = entry.cacheKey
            if entry.isStored(in: cache, key: key) {
                summary.present += 1
            } else {
                try entry.write(to: cache, key: key)
                summary.added += 1
            }
        }
        return summary
    }

    /// The non-blank lines of `data` with their 1-based numbers (LF or CRLF endings).
    private static func lineRanges(_ data: Data) -> [(Int, Range<Data.Index>)] {
        var result: [(Int, Range<Data.Index>)] = []
        var start = data.startIndex
        var number = 0
        while start < data.endIndex {
            number += 1
            let newline = data[start...].firstIndex(of: 0x0A) ?? data.endIndex
            var end = newline
            while end > start, [0x0D, 0x20, 0x09].contains(data[end - 1]) { end -= 1 }
            var first = start
            while first < end, [0x20, 0x09].contains(data[first]) { first += 1 }
            if first < end { result.append((number, first..<end)) }
            start = newline < data.endIndex ? newline + 1 : data.endIndex
        }
        return result
    }

    private static func reason(_ error: Error) -> String {
        func path(_ context: DecodingError.Context) -> String { context.codingPath.map(\.stringValue).joined(separator: ".") }
        switch error {
        case DecodingError.keyNotFound(let key, let context):
            return "no \"\(([path(context)] + [key.stringValue]).filter { !$0.isEmpty }.joined(separator: "."))\""
        case DecodingError.typeMismatch(_, let context), DecodingError.valueNotFound(_, let context):
            return "bad \"\(path(context))\""
        case DecodingError.dataCorrupted(let context):
            return context.codingPath.isEmpty ? "not JSON" : "bad \"\(path(context))\""
        case let invalid as Entry.Invalid: return invalid.description
        default: return "\(error)"
        }
    }

    /// One decoded cache entry of either kind: decoding through the real key and value types is
    /// what makes an import as strict as a run's own reads.
    enum Entry {
        case seat(SeatCallKey, SeatCallRecord)
        case fusion(FusionCallKey, FusionCallRecord)

        struct Invalid: Error, CustomStringConvertible {
            var description: String
        }

        private struct Kind: Decodable {
            struct Key: Decodable { var call: String }
            var key: Key
        }

        private struct Envelope<Key: Codable, Value: Codable>: Codable {
            var key: Key
            var value: Value
        }

        /// The field names of an envelope's key, to compare with what the key type writes back.
        private struct KeyFieldNames: Decodable {
            struct AnyKey: CodingKey {
                var stringValue: String
                var intValue: Int? { nil }
                init(stringValue: String) { self.stringValue = stringValue }
                init?(intValue: Int) { nil }
            }
            struct Names: Decodable {
                var names: Set<String>
                init(from decoder: Decoder) throws {
                    names = Set(try decoder.container(keyedBy: AnyKey.self).allKeys.map(\.stringValue))
                }
            }
            var key: Names
        }

        init(decoding data: Data) throws {
            let decoder = JSONDecoder()
            switch try decoder.decode(Kind.self, from: data).key.call {
            case "seat":
                let envelope = try decoder.decode(Envelope<SeatCallKey, SeatCallRecord>.self, from: data)
                guard envelope.value.answers.count == envelope.key.samples else {
                    throw Invalid(description: "\(envelope.value.answers.count) answers for \(envelope.key.samples) samples")
                }
                self = .seat(envelope.key, envelope.value)
            case "fusion":
                let envelope = try decoder.decode(Envelope<FusionCallKey, FusionCallRecord>.self, from: data)
                self = .fusion(envelope.key, envelope.value)
            case let other:
                throw Invalid(description: "unknown call kind \"\(other)\"")
            }
            // A key field this version does not know (from newer code) would be dropped by
            // decoding, and the answer filed under another call's key: refuse it instead.
            let unknown = try decoder.decode(KeyFieldNames.self, from: data).key.names.subtracting(knownKeyFields).sorted()
            guard unknown.isEmpty else {
                throw Invalid(description: "unknown key field\(unknown.count == 1 ? "" : "s") "
                              + unknown.map { "\"\($0)\"" }.joined(separator: ", "))
            }
        }

        private var knownKeyFields: Set<String> {
            switch self {
            case .seat: return Set(SeatCallKey.CodingKeys.allCases.map(\.rawValue))
            case .fusion: return Set(FusionCallKey.CodingKeys.allCases.map(\.rawValue))
            }
        }

        var cacheKey: String {
            switch self {
            case .seat(let key, _): return EvalCache.key(key)
            case .fusion(let key, _): return EvalCache.key(key)
            }
        }

        /// The compact, key-sorted line of an export.
        var line: Data {
            switch self {
            case .seat(let key, let value): return EvalCache.canonicalJSON(Envelope(key: key, value: value))
            case .fusion(let key, let value): return EvalCache.canonicalJSON(Envelope(key: key, value: value))
            }
        }

        /// Whether the cache already answers this call (a torn or stale file there does not count).
        func isStored(in cache: EvalCache, key: String) -> Bool {
            switch self {
            case .seat: return cache.read(key, as: SeatCallRecord.self) != nil
            case .fusion: return cache.read(key, as: FusionCallRecord.self) != nil
            }
        }

        /// Stores the entry under `key` (its `cacheKey`, computed once by the caller).
        func write(to cache: EvalCache, key: String) throws {
            switch self {
            case .seat(let fields, let value): try cache.write(key, keyFields: fields, value: value)
            case .fusion(let fields, let value): try cache.write(key, keyFields: fields, value: value)
            }
        }
    }
}
