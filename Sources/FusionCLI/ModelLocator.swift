import Fusion
import Foundation

/// A model file to load, and its catalog id when it came from the catalog.
struct ModelLocation {
    var id: String?
    var path: String
}

/// Turns `-m` values (catalog id or .gguf path) into files, with the catalog's helpful errors
/// ("unknown model … known: …", "run fusion models pull …").
enum ModelLocator {
    static func store(modelsDirectory: String?) throws -> ModelStore {
        let catalog = try ModelCatalog.loadDefault()
        return ModelStore(catalog: catalog, directory: modelsDirectory)
    }

    static func locate(_ reference: String, modelsDirectory: String?) throws -> ModelLocation {
        // A plain file path works even without a catalog (air-gapped copies, custom models).
        let looksLikePath = reference.hasSuffix(".gguf") || reference.contains("/")
        if looksLikePath && FileManager.default.fileExists(atPath: reference) {
            return ModelLocation(id: nil, path: reference)
        }
        do {
            let resolved = try store(modelsDirectory: modelsDirectory).resolve(reference)
            return ModelLocation(id: resolved.entry?.id, path: resolved.path)
        } catch let error as CatalogError {
            throw CommandFailure(error.description)
        }
    }
}
