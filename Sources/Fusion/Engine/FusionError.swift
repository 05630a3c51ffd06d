import Foundation

/// Why a fusion could not run or did not produce an answer.
public enum FusionError: Error, CustomStringConvertible, Sendable, Equatable {
    case invalidRequest(String)
    case unknownPreset(String, known: [String])
    /// No seat produced an answer.
    case allPanelsFailed([FailedModel])
    /// The judge/synthesizer that must write the final answer failed.
    case synthesisFailed(model: String, reason: String)
    case timedOut(seconds: Double)
    /// A model can never fit the memory budget (found before anything loads).
    case insufficientMemory(String)
    case cancelled

    public var description: String {
        switch self {
        case .invalidRequest(let why): return "invalid fusion request: \(why)"
        case .unknownPreset(let name, let known):
            return "unknown preset '\(name)'; known presets: \(known.joined(separator: ", "))"
        case .allPanelsFailed(let failures):
            return "every panel seat failed: " + failures.map { "\($0.model) (\($0.reason))" }.joined(separator: "; ")
        case .synthesisFailed(let model, let reason): return "the synthesizer \(model) failed: \(reason)"
        case .timedOut(let seconds): return "the fusion did not finish within \(seconds) s"
        case .cancelled: return "the fusion was cancelled"
        case .insufficientMemory(let why): return why
        }
    }

    /// A stable machine-readable reason (`failure_reason` in results).
    public var code: String {
        switch self {
        case .invalidRequest: return "invalid_request"
        case .unknownPreset: return "unknown_preset"
        case .allPanelsFailed: return "all_panels_failed"
        case .synthesisFailed: return "synthesis_failed"
        case .timedOut: return "timeout"
        case .cancelled: return "cancelled"
        case .insufficientMemory: return "insufficient_memory"
        }
    }
}
