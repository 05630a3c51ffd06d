import Foundation

/// Named panels kept in data (`models/presets.json`), not in code.
///
/// ```swift
/// let presets = try FusionPresets.loadDefault()
/// var request = try presets.request(named: "budget", question: "Why is the sky blue?")
/// ```
public struct FusionPresets: Sendable, Codable, Equatable {
    /// One preset: a panel, a judge and how they are fused.
    public struct Preset: Sendable, Codable, Equatable {
        public var description: String
        public var panel: [SeatSpec]
        public var judge: String
        public var synthesizer: String?
        public var mode: FusionMode?
        public var rounds: Int?
        /// Most tokens per panel answer, when the preset was measured with its own (flags override it).
        public var panelMaxTokens: Int?

        enum CodingKeys: String, CodingKey {
            case description, panel, judge, synthesizer, mode, rounds
            case panelMaxTokens = "panel_max_tokens"
        }
    }

    public var version: Int
    /// The preset used when none is named.
    public var `default`: String
    public var presets: [String: Preset]

    /// Preset names, sorted.
    public var names: [String] { presets.keys.sorted() }

    /// Loads a presets file.
    public static func load(fromFile path: String) throws -> FusionPresets {
        let data: Data
        do { data = try Data(contentsOf: URL(fileURLWithPath: path)) } catch {
            throw FusionError.invalidRequest("cannot read presets file \(path): \(error.localizedDescription)")
        }
        do { return try JSONDecoder().decode(FusionPresets.self, from: data) } catch {
            throw FusionError.invalidRequest("presets file \(path) is not valid: \(error)")
        }
    }

    /// `$FUSION_PRESETS`, else `presets.json` beside the catalog in use.
    public static func loadDefault(environment: [String: String] = ProcessInfo.processInfo.environment) throws -> FusionPresets {
        if let explicit = environment["FUSION_PRESETS"], !explicit.isEmpty { return try load(fromFile: explicit) }
        let catalogPath = try ModelCatalog.defaultPath(environment: environment)
        let directory = (catalogPath as NSString).deletingLastPathComponent
        return try load(fromFile: directory + "/presets.json")
    }

    /// A request for `question` using the named preset (nil: the default preset).
    public func request(named name: String?, question: String) throws(FusionError) -> FusionRequest {
        let chosen = name ?? self.default
        guard let preset = presets[chosen] else { throw .unknownPreset(chosen, known: names) }
        var request = FusionRequest(question: question, panel: preset.panel, judge: preset.judge,
                                    synthesizer: preset.synthesizer)
        request.mode = preset.mode ?? .fusion
        request.rounds = preset.rounds ?? 0
        if let tokens = preset.panelMaxTokens { request.panelMaxTokens = tokens }
        return request
    }
}
