import Audio
import Foundation
import Grammar
import Inference
import Intents
import Listening
import Speech
import SynthesisTestSupport
import XCTest

/// The repository root, from this file's location.
let repositoryRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

/// The example home (deploy/hark.example.yaml), loaded once.
let exampleHome: HomeConfiguration = {
    do { return try HomeConfiguration.load(configFile: repositoryRoot.appendingPathComponent("deploy/hark.example.yaml")) } catch {
        fatalError("deploy/hark.example.yaml does not load:\n\(error)")
    }
}()

/// Debian's en-us model and its CMU dictionary, loaded once.
let speechModel: SpeechModel = {
    do { return try SpeechModel() } catch { fatalError("PocketSphinx model missing (apt install pocketsphinx-en-us): \(error)") }
}()

let cmuDictionary: PronunciationDictionary = {
    do { return try PronunciationDictionary(contentsOf: speechModel.dictionary) } catch { fatalError("\(error)") }
}()

/// The intent parser over the example home with the real model and the intent adapter:
/// `HARK_ADAPTER` when set (a new training run), else the committed one.
func makeExampleParser() throws -> IntentParser {
    let modelPath = try XCTUnwrap(ModelLocator.defaultModelPath(), ModelLocator.notFoundMessage())
    let adapterPath = ProcessInfo.processInfo.environment["HARK_ADAPTER"]
        ?? repositoryRoot.appendingPathComponent("intents/adapter/hark-intents.lora.gguf").path
    print("parser adapter: \(adapterPath)")
    let language = try LanguageModel(path: modelPath, adapterPath: adapterPath)
    var options = IntentParser.Options()
    options.threads = 2
    let parser = try IntentParser(language: language, catalog: exampleHome.catalog, registry: exampleHome.registry, options: options)
    try parser.prepare()
    return parser
}

/// A fresh temporary directory per test, removed afterwards.
func makeTemporaryDirectory(_ test: XCTestCase) throws -> URL {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("hark-listening-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    test.addTeardownBlock { try? FileManager.default.removeItem(at: url) }
    return url
}

/// A stream of spoken sentences separated by silence, with a microphone's noise floor: the samples
/// and where each sentence's speech lies.
struct SpokenStream {
    var samples: [Int16] = []
    var spans: [Range<Int64>] = []

    init(speech sentences: [[Int16]], lead: Double = 1.0, gap: Double = 1.2, tail: Double = 2.0) {
        var samples = Synthesizer.silence(seconds: lead)
        for speech in sentences {
            spans.append(Int64(samples.count)..<Int64(samples.count + speech.count))
            samples += speech + Synthesizer.silence(seconds: gap)
        }
        samples += Synthesizer.silence(seconds: tail)
        self.samples = Synthesizer.withNoiseFloor(samples)
    }

    /// The sentence whose span overlaps `range` most, if any.
    func sentence(overlapping range: Range<Int64>) -> Int? {
        var best: (index: Int, overlap: Int64)?
        for (i, span) in spans.enumerated() {
            let overlap = min(span.upperBound, range.upperBound) - max(span.lowerBound, range.lowerBound)
            if overlap > 0, overlap > (best?.overlap ?? 0) { best = (i, overlap) }
        }
        return best?.index
    }
}
