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

    static func tunedModel() throws -> LanguageModel {
        let modelPath = try XCTUnwrap(ModelLocator.defaultModelPath(), ModelLocator.notFoundMessage())
        return try LanguageModel(path: modelPath, adapterPath: ModelLocator.defaultAdapterPath())
    }
}
