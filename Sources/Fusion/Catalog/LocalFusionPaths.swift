import Foundation

/// Where LocalFusion keeps its files, derived from the environment.
///
/// - cache root: `$LOCALFUSION_CACHE`, else `${XDG_CACHE_HOME:-~/.cache}/localfusion`
/// - models: `$FUSION_MODELS`, else `<cache root>/models`
/// - downloads (wheels and other intermediate files): `<cache root>/downloads`
///
/// Empty variables count as unset.
public enum LocalFusionPaths {
    /// The cache root (`LOCALFUSION_CACHE`, else `${XDG_CACHE_HOME:-~/.cache}/localfusion`).
    public static func cacheRoot(
        environment: [String: String] = ProcessInfo.processInfo.environment
    ) -> String {
        if let explicit = value("LOCALFUSION_CACHE", environment) { return explicit }
        let xdg = value("XDG_CACHE_HOME", environment)
            ?? ((value("HOME", environment) ?? NSHomeDirectory()) as NSString).appendingPathComponent(".cache")
        return (xdg as NSString).appendingPathComponent("localfusion")
    }

    /// The default models directory (`FUSION_MODELS`, else `<cache root>/models`).
    public static func modelsDirectory(
        environment: [String: String] = ProcessInfo.processInfo.environment
    ) -> String {
        value("FUSION_MODELS", environment)
            ?? (cacheRoot(environment: environment) as NSString).appendingPathComponent("models")
    }

    /// The directory for downloaded intermediates (`<cache root>/downloads`).
    public static func downloadsDirectory(
        environment: [String: String] = ProcessInfo.processInfo.environment
    ) -> String {
        (cacheRoot(environment: environment) as NSString).appendingPathComponent("downloads")
    }

    private static func value(_ key: String, _ environment: [String: String]) -> String? {
        guard let raw = environment[key], !raw.isEmpty else { return nil }
        return expandTilde(raw)
    }

    /// Expands a leading `~` to the home directory.
    static func expandTilde(_ path: String) -> String {
        guard path == "~" || path.hasPrefix("~/") else { return path }
        let home = ProcessInfo.processInfo.environment["HOME"] ?? NSHomeDirectory()
        return home + path.dropFirst()
    }
}
