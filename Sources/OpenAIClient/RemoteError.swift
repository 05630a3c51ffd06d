// Why a remote call failed, phrased for people and matched on by code.

/// A failed remote call. Associated strings already name the host; none of them ever contains
/// the API key (server messages are redacted before they get here).
public enum RemoteError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The server could not be reached, or the connection broke before an answer.
    case connectionFailed(String)
    /// Connecting, waiting for the next byte, or the whole call took too long.
    case timeout(String)
    /// The server answered with an error status; `message` comes from its OpenAI error JSON when
    /// present, else from the body text.
    case http(status: Int, message: String)
    /// The answer was not a valid chat completion or event stream.
    case invalidResponse(String)
    /// The caller cancelled (task cancellation or dropping the stream).
    case cancelled

    /// One readable sentence.
    public var description: String {
        switch self {
        case .connectionFailed(let detail): "Connection failed: \(detail)."
        case .timeout(let detail): "Timed out: \(detail)."
        case .http(let status, let message):
            message.isEmpty ? "The remote endpoint answered HTTP \(status)." : "The remote endpoint answered HTTP \(status): \(message)"
        case .invalidResponse(let detail): "Invalid response: \(detail)."
        case .cancelled: "The remote request was cancelled."
        }
    }
}
