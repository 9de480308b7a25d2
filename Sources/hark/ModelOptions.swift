import ArgumentParser
import Inference

/// The options every model-running subcommand shares.
struct ModelOptions: ParsableArguments {
    @Option(name: .long, help: "Path to a Llama-family GGUF model (default: the model deploy/setup.sh installs).")
    var model: String?

    @Option(name: .long, help: "LoRA adapter GGUF, or 'none' (default: the intent adapter, if installed).")
    var adapter: String?

    @Option(name: .long, help: "Threads for the matrix products.")
    var threads: Int = 2

    func validate() throws {
        guard (1...64).contains(threads) else { throw ValidationError("--threads must be between 1 and 64, got \(threads)") }
    }

    func resolvedModelPath() throws -> String {
        if let model { return model }
        guard let path = ModelLocator.defaultModelPath() else { throw ValidationError(ModelLocator.notFoundMessage()) }
        return path
    }

    /// The adapter to apply: `--adapter`, else the default intent adapter if installed.
    func resolvedAdapterPath() -> String? {
        if let adapter { return adapter == "none" ? nil : adapter }
        return ModelLocator.defaultAdapterPath()
    }

    /// Loads the model, turning file problems into a one-line error that names the file.
    func load(adapter useAdapter: Bool = true) throws -> LanguageModel {
        let path = try resolvedModelPath()
        do {
            return try LanguageModel(path: path, adapterPath: useAdapter ? resolvedAdapterPath() : nil)
        } catch {
            throw CleanExit.message("error: \(error)")
        }
    }
}
