internal import CLlama
import Foundation

/// Process-wide llama.cpp setup: backend init exactly once, and logs routed to stderr only when asked.
///
/// llama.cpp prints a lot while loading; a CLI whose stdout is the answer must stay quiet, so logs
/// are dropped unless `LOCALFUSION_LLAMA_LOG=1` (or `debug`) is set.
enum LlamaBackend {
    /// Touch this before any llama.cpp call. Global `let`s are initialised once, thread-safely.
    static let ready: Void = {
        llama_log_set(llamaLogSink, nil)
        llama_backend_init()
    }()

    /// Version string of the linked llama.cpp build.
    static var version: String {
        _ = ready
        return String(cString: llama_version())
    }

    /// The CPU features ggml was built with and detected, as llama.cpp reports them.
    static var systemInfo: String {
        _ = ready
        return String(cString: llama_print_system_info())
    }
}

private let logLevelThreshold: Int32? = {
    switch ProcessInfo.processInfo.environment["LOCALFUSION_LLAMA_LOG"]?.lowercased() {
    case "1", "true", "info": return 2      // GGML_LOG_LEVEL_INFO
    case "debug": return 1                  // GGML_LOG_LEVEL_DEBUG
    case "warn", "warning": return 3
    case "error": return 4
    default: return nil
    }
}()

private func llamaLogSink(_ level: ggml_log_level, _ text: UnsafePointer<CChar>?, _ user: UnsafeMutableRawPointer?) {
    guard let threshold = logLevelThreshold, let text else { return }
    // GGML_LOG_LEVEL_CONT (5) continues the previous line; print it whenever logging is on.
    if Int32(level.rawValue) >= threshold || level.rawValue == 5 {
        // write(2) rather than fputs(stderr): no shared C stream state under Swift 6 concurrency.
        _ = write(STDERR_FILENO, text, strlen(text))
    }
}

/// Public facts about the linked llama.cpp.
public enum LlamaRuntime {
    /// The llama.cpp version this binary was built against.
    public static var version: String { LlamaBackend.version }
    /// ggml's system info line (SIMD features in use), useful in benchmark reports.
    public static var systemInfo: String { LlamaBackend.systemInfo }
}
