import Foundation

/// Why a judge's output could not be read as a `FusionAnalysis`.
public enum AnalysisParseError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The judge wrote nothing (or only whitespace).
    case empty
    /// No `{` that starts a JSON object was found.
    case noJSONObject(excerpt: String)
    /// An object was found but is not valid JSON, even after closing a cut-off ending.
    case invalidJSON(reason: String, excerpt: String)
    /// Valid JSON, but none of the analysis keys (`consensus`, `contradictions`, …) is present.
    case notAnAnalysis(keys: [String])

    public var description: String {
        switch self {
        case .empty: return "the judge produced no output"
        case .noJSONObject(let excerpt): return "the judge's output contains no JSON object: \"\(excerpt)\""
        case .invalidJSON(let reason, let excerpt): return "the judge's JSON is invalid (\(reason)): \"\(excerpt)\""
        case .notAnAnalysis(let keys):
            return "the judge's JSON has none of the analysis keys (found: \(keys.joined(separator: ", ")))"
        }
    }
}

/// The parsed analysis plus how it was obtained, for the trace.
public struct ParsedAnalysis: Sendable, Equatable {
    public var analysis: FusionAnalysis
    /// The output was cut off and its open strings and brackets were closed before parsing.
    public var wasTruncated: Bool
    /// There was text before or after the JSON object.
    public var hadSurroundingText: Bool
}

/// Reads a judge's output as a `FusionAnalysis`.
///
/// Tolerant by design, because a 0.5B judge (or an unconstrained remote one) is not a reliable
/// JSON writer: text around the object and Markdown fences are ignored; a cut-off ending (max
/// tokens reached) is closed so the items written so far survive; a missing key is an empty list;
/// a single string where a list belongs is a one-item list; camelCase keys are accepted; empty
/// strings, items without content and repeated items are dropped (`FusionAnalysis.deduplicated`).
/// Model references like "Answer A" or "b" are normalised to the labels in play when `labels`
/// is given, and points that are only a label are dropped.
public enum AnalysisParser {
    /// Parses `text`; see `parseDetailed` for how the result was obtained.
    public static func parse(_ text: String, labels: [String] = []) throws(AnalysisParseError) -> FusionAnalysis {
        try parseDetailed(text, labels: labels).analysis
    }

    /// Parses `text` and reports whether it had to be repaired.
    public static func parseDetailed(_ text: String, labels: [String] = []) throws(AnalysisParseError) -> ParsedAnalysis {
        let bytes = Array(text.utf8)
        guard bytes.contains(where: { !($0 == 0x20 || $0 == 0x0A || $0 == 0x0D || $0 == 0x09) }) else { throw .empty }
        var firstError: AnalysisParseError?
        var attempts = 0
        var index = bytes.firstIndex(of: UInt8(ascii: "{"))
        while let start = index, attempts < 32 {
            attempts += 1
            let outcome = JSONRepair.scan(bytes, from: start)
            let json: String
            var truncated = false
            var end = bytes.count
            switch outcome {
            case .complete(let e):
                end = e
                json = String(decoding: bytes[start..<e], as: UTF8.self)
            case .truncated(let repaired):
                json = repaired
                truncated = true
            case .invalid:
                json = ""
            }
            if !json.isEmpty {
                do {
                    let object = try readObject(json)
                    let analysis = try extract(object, labels: labels).deduplicated(labels: labels)
                    let before = String(decoding: bytes[..<start], as: UTF8.self)
                    let after = String(decoding: bytes[end...], as: UTF8.self)
                    let surrounding = !isIgnorable(before) || !isIgnorable(after)
                    return ParsedAnalysis(analysis: analysis, wasTruncated: truncated, hadSurroundingText: surrounding)
                } catch {
                    if firstError == nil { firstError = error }
                }
            } else if firstError == nil {
                firstError = .invalidJSON(reason: "mismatched brackets", excerpt: excerpt(bytes, from: start))
            }
            if truncated { break }   // every later `{` lies inside this cut-off object
            index = bytes[(start + 1)...].firstIndex(of: UInt8(ascii: "{"))
        }
        throw firstError ?? .noJSONObject(excerpt: excerpt(bytes, from: 0))
    }

    // MARK: - Reading

    private static func readObject(_ json: String) throws(AnalysisParseError) -> [String: Any] {
        let value: Any
        do {
            value = try JSONSerialization.jsonObject(with: Data(json.utf8), options: [])
        } catch {
            throw .invalidJSON(reason: "not parseable", excerpt: String(json.prefix(120)))
        }
        guard let object = value as? [String: Any] else {
            throw .invalidJSON(reason: "not an object", excerpt: String(json.prefix(120)))
        }
        return object
    }

    private static func extract(_ raw: [String: Any], labels: [String]) throws(AnalysisParseError) -> FusionAnalysis {
        // Key spelling: "partial_coverage", "partialCoverage" and "Partial Coverage" all match.
        var object: [String: Any] = [:]
        for (key, value) in raw { object[normalizedKey(key)] = value }
        let known = FusionAnalysis.CodingKeys.allCases.map { normalizedKey($0.rawValue) }
        guard known.contains(where: { object[$0] != nil }) else { throw .notAnAnalysis(keys: raw.keys.sorted()) }

        let model = { (value: Any?) in normalizeLabel(string(value), labels: labels) }
        let contradictions = items(object["contradictions"]).compactMap { item -> FusionAnalysis.Contradiction? in
            let fields = lowercasedKeys(item)
            var stances: [FusionAnalysis.Stance] = []
            if let list = fields["stances"] as? [Any] {
                stances = list.compactMap { entry in
                    let s = lowercasedKeys(entry)
                    let stance = FusionAnalysis.Stance(model: model(s["model"]), stance: string(s["stance"] ?? s["claim"]))
                    return stance.model.isEmpty || stance.stance.isEmpty ? nil : stance
                }
            } else if let map = fields["stances"] as? [String: Any] {
                // {"A": "…", "B": "…"}
                stances = map.keys.sorted().compactMap { key in
                    let text = string(map[key])
                    return text.isEmpty ? nil : FusionAnalysis.Stance(model: model(key), stance: text)
                }
            }
            let topic = string(fields["topic"])
            return topic.isEmpty && stances.isEmpty ? nil : FusionAnalysis.Contradiction(topic: topic, stances: stances)
        }
        let partial = items(object["partialcoverage"]).compactMap { item -> FusionAnalysis.PartialCoverage? in
            let fields = lowercasedKeys(item)
            let models = strings(fields["models"]).map { normalizeLabel($0, labels: labels) }
            let point = string(fields["point"])
            return point.isEmpty ? nil : FusionAnalysis.PartialCoverage(models: models, point: point)
        }
        let insights = items(object["uniqueinsights"]).compactMap { item -> FusionAnalysis.UniqueInsight? in
            let fields = lowercasedKeys(item)
            let insight = string(fields["insight"])
            return insight.isEmpty ? nil : FusionAnalysis.UniqueInsight(model: model(fields["model"]), insight: insight)
        }
        return FusionAnalysis(consensus: strings(object["consensus"]), contradictions: contradictions,
                              partialCoverage: partial, uniqueInsights: insights,
                              blindSpots: strings(object["blindspots"]))
    }

    // MARK: - Lenient value helpers

    private static func normalizedKey(_ key: String) -> String {
        String(key.lowercased().filter { $0.isLetter })
    }

    private static func lowercasedKeys(_ value: Any) -> [String: Any] {
        guard let object = value as? [String: Any] else { return [:] }
        var out: [String: Any] = [:]
        for (key, v) in object { out[normalizedKey(key)] = v }
        return out
    }

    /// A list, or a single item as a one-item list.
    private static func items(_ value: Any?) -> [Any] {
        switch value {
        case let list as [Any]: return list
        case nil, is NSNull: return []
        case let single?: return [single]
        }
    }

    /// Text of a string, number or bool; trimmed; "" for anything else.
    private static func string(_ value: Any?) -> String {
        switch value {
        case let s as String: return s.trimmingCharacters(in: .whitespacesAndNewlines)
        case let n as NSNumber: return n.stringValue
        default: return ""
        }
    }

    /// Non-empty strings from a list (or a single string); an object item contributes its first text field.
    private static func strings(_ value: Any?) -> [String] {
        items(value).map { item in
            if let object = item as? [String: Any] {
                return object.keys.sorted().lazy.map { string(object[$0]) }.first { !$0.isEmpty } ?? ""
            }
            return string(item)
        }.filter { !$0.isEmpty }
    }

    /// "Answer A", "model a", "[A]" → "A" when "A" is a label in play; otherwise unchanged.
    static func normalizeLabel(_ reference: String, labels: [String]) -> String {
        guard !labels.isEmpty, !labels.contains(reference) else { return reference }
        var core = reference.trimmingCharacters(in: .whitespacesAndNewlines.union(.punctuationCharacters))
        for prefix in ["answer", "model", "response", "candidate"] where core.lowercased().hasPrefix(prefix + " ") {
            core = String(core.dropFirst(prefix.count + 1)).trimmingCharacters(in: .whitespaces)
        }
        return labels.first { $0.caseInsensitiveCompare(core) == .orderedSame } ?? reference
    }

    private static func isIgnorable(_ text: String) -> Bool {
        text.trimmingCharacters(in: .whitespacesAndNewlines).trimmingCharacters(in: CharacterSet(charactersIn: "`"))
            .trimmingCharacters(in: .whitespacesAndNewlines).lowercased().replacingOccurrences(of: "json", with: "").isEmpty
    }

    private static func excerpt(_ bytes: [UInt8], from start: Int) -> String {
        String(decoding: bytes[start..<min(bytes.count, start + 120)], as: UTF8.self)
    }
}
