import Foundation
import Llama

/// Loads a model with a progress line on stderr (only on a terminal and when not quiet).
enum ModelLoading {
    static func load(_ location: ModelLocation, quiet: Bool) throws -> LlamaModel {
        let label = location.id ?? URL(fileURLWithPath: location.path).lastPathComponent
        let show = !quiet && Terminal.stderrIsTTY
        do {
            let model = try LlamaModel(path: location.path) { fraction in
                if show { Terminal.status("loading \(label) \(Int(fraction * 100))%") }
                return true
            }
            if show { Terminal.status("", final: false) ; Terminal.status("") }
            if show { FileHandle.standardError.write(Data("\r\u{1B}[2K".utf8)) }
            return model
        } catch {
            throw CommandFailure(error.description)
        }
    }
}
