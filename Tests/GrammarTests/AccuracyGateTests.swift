import Foundation
import Grammar
import Inference
import Intents
import XCTest

/// The accuracy gate (issue 4): the real model with the committed intent adapter, on a fixed
/// 100-case subset of the held-out eval sets (every fourth case of `intents/eval/home-a.jsonl`
/// and `home-b.jsonl`, 50 from each; both homes and their phrasings are unseen in training).
final class AccuracyGateTests: XCTestCase {
    /// The exact-action accuracy the subset must reach: issue 4's goal. The committed adapter (session
    /// 8, learning rate 8e-4) measures 0.99 here with the session-12 and session-13 parsers (0.98 with
    /// session 11's); the adapter before it 0.94.
    static let required = 0.95

    /// Every expected action of the dev and eval sets can be carried out in its home: a case no
    /// parser could get right ("the temperature in the galley" where the galley has no
    /// thermometer) is a mistake in the set. No model needed.
    func testEveryExpectedActionCanBeCarriedOut() throws {
        let repo = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../..").standardized
        var files: [(config: URL, cases: URL)] = []
        for folder in ["intents/eval", "intents/dev"] {
            let dir = repo.appendingPathComponent(folder)
            for name in try FileManager.default.contentsOfDirectory(atPath: dir.path).sorted() where name.hasSuffix(".jsonl") {
                files.append((dir.appendingPathComponent(name.replacingOccurrences(of: ".jsonl", with: ".yaml")), dir.appendingPathComponent(name)))
            }
        }
        XCTAssertGreaterThanOrEqual(files.count, 4)
        for (configURL, casesURL) in files {
            let config = try HomeConfiguration.load(configFile: configURL)
            let cases = try EvalCase.load(path: casesURL.path, catalog: config.catalog)
            for (item, reason) in EvalCase.impossible(cases, resolver: ActionResolver(catalog: config.catalog, registry: config.registry)) {
                XCTFail("\(casesURL.lastPathComponent):\(item.line): '\(item.expected)' cannot be carried out: \(reason)")
            }
        }
    }

    func testTheTunedParserMeetsTheAccuracyGateOnUnseenHomes() throws {
        let modelPath = try XCTUnwrap(ModelLocator.defaultModelPath(), ModelLocator.notFoundMessage())
        let repo = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../..").standardized
        // The committed adapter; HARK_ADAPTER points the gate at another one (a new training run).
        let adapterPath = ProcessInfo.processInfo.environment["HARK_ADAPTER"] ?? repo.appendingPathComponent("intents/adapter/hark-intents.lora.gguf").path
        let language = try LanguageModel(path: modelPath, adapterPath: adapterPath)
        let eval = repo.appendingPathComponent("intents/eval")
        var total = ParserEvaluation()
        for home in ["home-a", "home-b"] {
            let config = try HomeConfiguration.load(configFile: eval.appendingPathComponent("\(home).yaml"))
            let all = try EvalCase.load(path: eval.appendingPathComponent("\(home).jsonl").path, catalog: config.catalog)
            let subset = Array(all.enumerated().filter { $0.offset % 4 == 0 }.map(\.element).prefix(50))
            XCTAssertEqual(subset.count, 50)
            var options = IntentParser.Options()
            options.threads = 2
            let parser = try IntentParser(language: language, catalog: config.catalog, registry: config.registry, options: options)
            try parser.prepare()
            var evaluation = ParserEvaluation()
            try evaluation.run(subset, parser: parser)
            for failure in evaluation.failures {
                print("gate: \(home).jsonl:\(failure.item.line) '\(failure.item.text)' -> \(failure.got)\(failure.detail), expected \(failure.item.expected)")
            }
            print(String(format: "gate: %@ accuracy %.3f (n=%d), not-a-command rejection %.3f (n=%d)",
                         home, evaluation.accuracy, evaluation.total, evaluation.rejection, evaluation.noneTotal))
            total.merge(evaluation)
        }
        print(String(format: "gate: accuracy %.3f (n=%d), required %.2f", total.accuracy, total.total, Self.required))
        XCTAssertEqual(total.total, 100)
        XCTAssertGreaterThanOrEqual(total.accuracy, Self.required)
    }
}
