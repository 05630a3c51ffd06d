import Foundation

/// Remote OpenAI-compatible providers and named seat chains (`--providers FILE` or
/// `FUSION_PROVIDERS`):
///
/// ```json
/// { "providers": { "lab-gpu": { "base_url": "http://10.0.0.5:8000/v1", "api_key_env": "LAB_KEY",
///                               "timeout_s": 120, "price_per_mtok": {"input": 0, "output": 0} } },
///   "seats": { "deepseek": ["local:qwen2.5-coder-1.5b", "remote:lab-gpu/deepseek-v4-pro"] },
///   "allow_domains": ["10.0.0.5", "lab.example.org"], "deny_domains": [] }
/// ```
/// Keys live in environment variables named by `api_key_env`, never in the file.
public struct ProvidersConfig: Sendable, Equatable {
    public struct Provider: Sendable, Equatable {
        public var name: String
        public var baseURL: String
        /// Environment variable holding the API key (nil: no key).
        public var apiKeyEnv: String?
        /// Seconds for one whole call, retries included.
        public var timeout: Double
        public var connectTimeout: Double
        public var maxRetries: Int
        /// Price per million tokens, in the provider's currency; local seats cost 0.
        public var inputPrice: Double
        public var outputPrice: Double
        /// Host part of `baseURL` (for allow/deny lists and traces).
        public var host: String
    }

    public var providers: [String: Provider] = [:]
    /// Alias → chain links (`local:<id|path>`, `remote:<provider>/<model>`), tried in order.
    public var seats: [String: [String]] = [:]
    /// When non-empty, only providers whose host matches one of these (exactly or as a subdomain).
    public var allowDomains: [String] = []
    /// Providers whose host matches one of these are never called.
    public var denyDomains: [String] = []

    public init() {}

    /// Environment variable naming a providers file.
    public static let environmentKey = "FUSION_PROVIDERS"

    /// Reads and checks a providers file; errors name the field.
    public static func load(fromFile path: String) throws(FusionError) -> ProvidersConfig {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw .invalidRequest("cannot read providers file \(path)")
        }
        return try parse(data, source: path)
    }

    /// `explicit` (a `--providers` path), else `$FUSION_PROVIDERS`, else none.
    public static func resolve(explicit: String?, environment: [String: String]) throws(FusionError) -> ProvidersConfig? {
        guard let path = explicit ?? environment[environmentKey], !path.isEmpty else { return nil }
        return try load(fromFile: path)
    }

    public static func parse(_ data: Data, source: String = "providers") throws(FusionError) -> ProvidersConfig {
        func bad(_ field: String, _ why: String) -> FusionError { .invalidRequest("\(source): \(field): \(why)") }
        guard let root = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] else {
            throw .invalidRequest("\(source) is not a JSON object")
        }
        var config = ProvidersConfig()
        let providers = root["providers"] as? [String: Any] ?? [:]
        for (name, value) in providers {
            let field = "providers.\(name)"
            guard !name.isEmpty, !name.contains("/"), let entry = value as? [String: Any] else {
                throw bad(field, "must be an object under a name without '/'")
            }
            if entry["api_key"] != nil {
                throw bad(field + ".api_key", "keys do not belong in files; put the key in an environment variable and name it in api_key_env")
            }
            guard let url = entry["base_url"] as? String, let components = URLComponents(string: url),
                  let scheme = components.scheme?.lowercased(), ["http", "https"].contains(scheme),
                  let host = components.host, !host.isEmpty else {
                throw bad(field + ".base_url", "must be an http(s) URL such as http://10.0.0.5:8000/v1")
            }
            func number(_ key: String, default value: Double, range: ClosedRange<Double>) throws(FusionError) -> Double {
                guard let raw = entry[key] else { return value }
                guard let number = raw as? Double, range.contains(number) else {
                    throw bad("\(field).\(key)", "must be a number between \(range.lowerBound) and \(range.upperBound)")
                }
                return number
            }
            let prices = entry["price_per_mtok"] as? [String: Any] ?? [:]
            guard prices.values.allSatisfy({ ($0 as? Double).map { $0 >= 0 } ?? false }) else {
                throw bad(field + ".price_per_mtok", "input and output must be numbers ≥ 0")
            }
            config.providers[name] = Provider(
                name: name, baseURL: url, apiKeyEnv: entry["api_key_env"] as? String,
                timeout: try number("timeout_s", default: 120, range: 0.1...86_400),
                connectTimeout: try number("connect_timeout_s", default: 5, range: 0.1...600),
                maxRetries: Int(try number("max_retries", default: 2, range: 0...10)),
                inputPrice: prices["input"] as? Double ?? 0, outputPrice: prices["output"] as? Double ?? 0,
                host: host.lowercased())
        }
        for (alias, value) in root["seats"] as? [String: Any] ?? [:] {
            guard let links = value as? [String], !links.isEmpty else { throw bad("seats.\(alias)", "must be a non-empty array of links") }
            for link in links {
                do { _ = try SeatLink.parse(link) } catch { throw bad("seats.\(alias)", error.description) }
                if case .remote(let provider, _)? = try? SeatLink.parse(link), config.providers[provider] == nil {
                    throw bad("seats.\(alias)", "unknown provider '\(provider)' in \(link)")
                }
            }
            config.seats[alias] = links
        }
        config.allowDomains = (root["allow_domains"] as? [String] ?? []).map { $0.lowercased() }
        config.denyDomains = (root["deny_domains"] as? [String] ?? []).map { $0.lowercased() }
        return config
    }

    /// Why a provider may not be called under the domain lists, or nil when it may.
    func domainRefusal(for provider: Provider) -> String? {
        func matches(_ pattern: String) -> Bool { provider.host == pattern || provider.host.hasSuffix("." + pattern) }
        if denyDomains.contains(where: matches) { return "\(provider.host) is in deny_domains" }
        if !allowDomains.isEmpty && !allowDomains.contains(where: matches) { return "\(provider.host) is not in allow_domains" }
        return nil
    }
}

/// One link of a seat chain.
public enum SeatLink: Sendable, Equatable, CustomStringConvertible {
    /// A catalog id or a `.gguf` path on this machine.
    case local(String)
    /// A model served by a provider from the providers file.
    case remote(provider: String, model: String)

    /// `local:<id|path>`, `remote:<provider>/<model>`, or a bare id/path (local).
    public static func parse(_ text: String) throws(FusionError) -> SeatLink {
        if text.hasPrefix("local:") {
            let reference = String(text.dropFirst(6))
            guard !reference.isEmpty else { throw .invalidRequest("'\(text)' names no model") }
            return .local(reference)
        }
        if text.hasPrefix("remote:") {
            let rest = text.dropFirst(7)
            guard let slash = rest.firstIndex(of: "/"), slash != rest.startIndex, rest.index(after: slash) != rest.endIndex else {
                throw .invalidRequest("'\(text)' must look like remote:<provider>/<model>")
            }
            return .remote(provider: String(rest[..<slash]), model: String(rest[rest.index(after: slash)...]))
        }
        return .local(text)
    }

    public var description: String {
        switch self {
        case .local(let reference): return "local:\(reference)"
        case let .remote(provider, model): return "remote:\(provider)/\(model)"
        }
    }
}
