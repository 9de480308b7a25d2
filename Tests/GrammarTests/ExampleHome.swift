import Foundation
import Inference
import Intents
import XCTest

/// What the parser tests run on: the example home (`deploy/hark.example.yaml`) and the installed
/// model with the committed intent adapter.
enum ExampleHome {
    static func load() throws -> HomeConfiguration {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("../../deploy/hark.example.yaml").standardized
        return try HomeConfiguration.load(configFile: url)
    }

    /// The installed base model with the repository's committed adapter (HARK_ADAPTER overrides
    /// it). Not `ModelLocator.defaultAdapterPath()`: it looks beside the `hark` executable, and a
    /// test bundle is not one, so it would quietly give the base model alone.
    static func tunedModel() throws -> LanguageModel {
        let modelPath = try XCTUnwrap(ModelLocator.defaultModelPath(), ModelLocator.notFoundMessage())
        let committed = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("../../intents/adapter/hark-intents.lora.gguf").standardized.path
        let adapterPath = ProcessInfo.processInfo.environment["HARK_ADAPTER"] ?? committed
        let language = try LanguageModel(path: modelPath, adapterPath: adapterPath)
        XCTAssertNotNil(language.adapter, "the tuned model has its adapter")
        return language
    }
}
