import Foundation
import Llama

/// A seat answered by a remote OpenAI-compatible provider.
struct RemoteSeat: Sendable {
    var index: Int
    var spec: SeatSpec
    var provider: ProvidersConfig.Provider
    var model: String
    /// Read from the provider's `api_key_env` when the engine was made; never logged.
    var apiKey: String?
    var parameters: [GenerationParameters]
    /// Links to try, in order, if this one fails.
    var fallbacks: [SeatLink] = []
    /// Links passed over before this one, with the reason.
    var skipped: [String] = []
    var link: SeatLink { .remote(provider: provider.name, model: model) }
}

/// What one chain link turned into.
enum LinkResolution: Sendable {
    case local(ResolvedSeat)
    case remote(RemoteSeat)
    /// Not usable now; the reason goes to the trace (and to `failed_models` if no link is left).
    case skipped(String, FailedModel.Reason)
}

/// Remote settings of an engine: the providers file (if any) and the offline switch.
public struct RemoteSettings: Sendable {
    public var providers: ProvidersConfig
    /// Forbids every remote call (`--offline`, `FUSION_OFFLINE=1`).
    public var offline: Bool
    /// API keys by provider, read from the environment once.
    var keys: [String: String]

    public init(providers: ProvidersConfig? = nil, offline: Bool = false,
                environment: [String: String] = ProcessInfo.processInfo.environment) {
        self.providers = providers ?? ProvidersConfig()
        self.offline = offline
        var keys: [String: String] = [:]
        for (name, provider) in self.providers.providers {
            if let variable = provider.apiKeyEnv, let key = environment[variable], !key.isEmpty { keys[name] = key }
        }
        self.keys = keys
    }

    /// `FUSION_OFFLINE=1` (or true/yes).
    public static func offlineFromEnvironment(_ environment: [String: String] = ProcessInfo.processInfo.environment) -> Bool {
        ["1", "true", "yes"].contains(environment["FUSION_OFFLINE"]?.lowercased() ?? "")
    }

    /// The links a seat reference stands for: a seat alias's chain, else the reference itself.
    func chain(for reference: String) throws(FusionError) -> [SeatLink] {
        if let links = providers.seats[reference] {
            var parsed: [SeatLink] = []
            for link in links { parsed.append(try SeatLink.parse(link)) }
            return parsed
        }
        return [try SeatLink.parse(reference)]
    }

    /// Whether a reference names something this engine knows: an alias or a configured provider.
    public func knows(_ reference: String) -> Bool {
        if providers.seats[reference] != nil { return true }
        if case .remote(let provider, _)? = try? SeatLink.parse(reference) { return providers.providers[provider] != nil }
        return false
    }
}

/// Turns chain links into runnable seats, for `prepare` (first usable link) and for fallbacks at run time.
struct SeatChainResolver: Sendable {
    let store: ModelStore
    let remote: RemoteSettings
    /// Bytes models may reserve: a local link whose estimate is larger is skipped when the chain has more links.
    let budgetBytes: UInt64
    let contextSize: Int

    func resolve(_ link: SeatLink, index: Int, spec: SeatSpec, parameters: [GenerationParameters],
                 chainHasMore: Bool) -> LinkResolution {
        switch link {
        case .local(let reference):
            let resolved: ResolvedModel
            do { resolved = try store.resolve(reference) } catch {
                return .skipped("\(link): \(error)", .notFound)
            }
            let estimate: MemoryEstimate
            do { estimate = try MemoryEstimate.forModel(at: resolved.path, contextSize: contextSize, sequences: spec.samples) } catch {
                return .skipped("\(link): \(error)", .loadError)
            }
            if chainHasMore && estimate.totalBytes > budgetBytes {
                return .skipped("\(link): needs about \(ByteFormat.string(estimate.totalBytes)) but the memory budget for models is \(ByteFormat.string(budgetBytes))", .memory)
            }
            return .local(ResolvedSeat(index: index, spec: spec, path: resolved.path, parameters: parameters,
                                       estimateBytes: Int64(clamping: estimate.totalBytes), contextSize: contextSize,
                                       estimate: estimate, link: link))
        case let .remote(providerName, model):
            if remote.offline { return .skipped("\(link): offline mode forbids remote calls", .offline) }
            guard let provider = remote.providers.providers[providerName] else {
                return .skipped("\(link): no provider '\(providerName)' in the providers file", .notFound)
            }
            if let refusal = remote.providers.domainRefusal(for: provider) { return .skipped("\(link): \(refusal)", .policy) }
            return .remote(RemoteSeat(index: index, spec: spec, provider: provider, model: model,
                                      apiKey: remote.keys[providerName], parameters: parameters))
        }
    }
}
