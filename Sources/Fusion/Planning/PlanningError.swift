import Foundation
import GGUF

/// Why memory could not be estimated or planned. Raised before anything is loaded.
public enum PlanningError: Error, Equatable, Sendable, CustomStringConvertible, LocalizedError {
    /// The model's GGUF header could not be read.
    case unreadableModel(GGUFError)
    /// The header lacks keys the estimate cannot safely guess.
    case incompleteMetadata(path: String, missing: [String])
    /// One model alone needs more than the whole budget, so no schedule can run it.
    case modelExceedsBudget(model: String, estimateBytes: UInt64, budgetBytes: UInt64)
    /// A budget text (flag or `FUSION_MEMORY_BUDGET`) is not a size.
    case invalidBudget(text: String, source: String)
    /// A planning input is out of range (no seats, zero sequences, zero cores, …).
    case invalidInput(String)

    /// A one-line message for the person running the program.
    public var description: String {
        switch self {
        case .unreadableModel(let error):
            return error.description
        case .incompleteMetadata(let path, let missing):
            return "\(path): cannot estimate memory, the GGUF header lacks \(missing.joined(separator: ", "))"
        case .modelExceedsBudget(let model, let estimate, let budget):
            return "model '\(model)' needs about \(ByteFormat.string(estimate)) but the memory budget is "
                + "\(ByteFormat.string(budget)); use a smaller context or fewer samples for it, a smaller "
                + "quantization, or raise --memory-budget / FUSION_MEMORY_BUDGET"
        case .invalidBudget(let text, let source):
            return "\(source): '\(text)' is not a memory size (examples: 1.2GB, 800MiB, 2000000000)"
        case .invalidInput(let reason):
            return "invalid memory plan input: \(reason)"
        }
    }

    /// Same as ``description``, for `localizedDescription`.
    public var errorDescription: String? { description }
}
