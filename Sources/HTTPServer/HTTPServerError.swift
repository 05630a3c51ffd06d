// Errors from starting the server. Request-level problems never surface as Swift errors: they become
// HTTP error responses (see HTTPParseError) so one bad client cannot affect another.
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Why the server could not start (or a system resource could not be created).
public enum HTTPServerError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The host name did not resolve to an address we can listen on.
    case cannotResolve(host: String, reason: String)
    /// `bind(2)` failed, usually because the port is taken (`EADDRINUSE`) or privileged (`EACCES`).
    case cannotBind(host: String, port: Int, errno: Int32)
    /// Another system call failed; the name and `errno` are kept for the log.
    case systemCall(String, Int32)
    /// ``HTTPServer/start()`` was called twice, or after ``HTTPServer/stop(gracePeriod:)``.
    case alreadyStarted

    /// One line for the operator.
    public var description: String {
        switch self {
        case let .cannotResolve(host, reason):
            return "cannot resolve listen address '\(host)': \(reason)"
        case let .cannotBind(host, port, code):
            return "cannot listen on \(host):\(port): \(errnoDescription(code))"
        case let .systemCall(name, code):
            return "\(name) failed: \(errnoDescription(code))"
        case .alreadyStarted:
            return "the server was already started"
        }
    }
}

/// `strerror` text plus the number, e.g. "Address already in use (errno 98)".
func errnoDescription(_ code: Int32) -> String {
    "\(String(cString: strerror(code))) (errno \(code))"
}
