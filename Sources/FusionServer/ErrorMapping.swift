import Fusion
import HTTPServer

/// Library errors → HTTP status and OpenAI error JSON. Only this file decides statuses; 500 is
/// left for what is a bug in the server.
extension APIError {
    init(_ error: ChatError) {
        switch error {
        case .modelUnavailable(let why):
            self = APIError(status: .notFound, message: why, param: "model", code: "model_not_found")
        case .insufficientMemory(let why):
            self = APIError(status: .serviceUnavailable, message: why, code: "insufficient_memory")
        case .busy(let why):
            self = .busy(why, retryAfter: 5)
        case .contextOverflow:
            self = .badRequest(error.description, param: "messages", code: "context_length_exceeded")
        case .invalidParameter(let why):
            self = .badRequest(why, code: "invalid_value")
        case .modelFailed(let why):
            // A model file that does not load or decode: the server cannot serve it, the request is fine.
            self = APIError(status: .serviceUnavailable, message: why, code: "model_unavailable")
        }
    }

    init(_ error: FusionError) {
        switch error {
        case .invalidRequest(let why): self = .badRequest(why, code: "invalid_fusion_request")
        case .unknownPreset: self = APIError(status: .notFound, message: error.description, param: "model", code: "unknown_preset")
        case .insufficientMemory(let why): self = APIError(status: .serviceUnavailable, message: why, code: "insufficient_memory")
        case .allPanelsFailed: self = APIError(status: .serviceUnavailable, message: error.description, code: "all_panels_failed")
        case .synthesisFailed: self = APIError(status: .serviceUnavailable, message: error.description, code: "synthesis_failed")
        case .timedOut: self = APIError(status: HTTPStatus(code: 504), message: error.description, code: "timeout")
        case .cancelled: self = APIError(status: HTTPStatus(code: 499, reasonPhrase: "Client Closed Request"), message: error.description, code: "cancelled")
        }
    }

    /// A fusion that ran but ended in error (its result's `failure_reason`).
    init(failedFusion result: FusionResult) {
        let message = result.error ?? "the fusion failed"
        switch result.failureReason {
        case "invalid_request": self = .badRequest(message, code: "invalid_fusion_request")
        case "timeout": self = APIError(status: HTTPStatus(code: 504), message: message, code: "timeout")
        case "cancelled": self = APIError(status: HTTPStatus(code: 499, reasonPhrase: "Client Closed Request"), message: message, code: "cancelled")
        case let reason?: self = APIError(status: .serviceUnavailable, message: message, code: reason)
        case nil: self = APIError(status: .serviceUnavailable, message: message, code: "fusion_failed")
        }
    }

    /// Anything else thrown while answering.
    static func from(_ error: Error) -> APIError {
        switch error {
        case let error as APIError: return error
        case let error as ChatError: return APIError(error)
        case let error as FusionError: return APIError(error)
        case is CancellationError: return APIError(FusionError.cancelled)
        default: return APIError(status: .internalServerError, message: "internal error: \(error)", code: "internal_error")
        }
    }
}
