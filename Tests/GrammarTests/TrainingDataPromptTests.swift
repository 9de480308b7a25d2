import XCTest
import Grammar
import Intents

/// The training pairs' prompt is the parser's prompt: `hark export-training-data` writes
/// `ParserPrompt(catalog:registry:).prefix(site:) + ParserPrompt.userTurn(command)` (no few-shot
/// examples), and intents/train/train.py splits it at the last user turn. This pins that contract.
final class TrainingDataPromptTests: XCTestCase {
    func testTrainingPromptIsTheParserPromptAndSplitsAtTheUserTurn() throws {
        let catalog = try Catalog.load()
        var generator = TrainingDataGenerator(catalog: catalog)
        generator.perRegistry = 4
        let examples = generator.examples(count: 40, seed: 3)
        for (i, example) in examples.enumerated() {
            let parser = ParserPrompt(catalog: catalog, registry: example.registry)
            let prefix = parser.prefix(site: example.site)
            let prompt = prefix + ParserPrompt.userTurn(example.command)
            XCTAssertTrue(prefix.contains(PromptText.registry(example.registry, site: example.site)))
            // No few-shot turns for the tuned model: the prompt has exactly one user turn.
            XCTAssertEqual(prompt.components(separatedBy: "<|im_start|>user\n").count, 2, "the tuned model's prompt has no few-shot turns")
            // What train.py does: the registry prefix ends where the last user turn begins, the command
            // sits between the user header and <|im_end|>, and the prompt ends with the assistant header.
            let user = "<|im_start|>user\n", assistant = "<|im_end|>"
            let cut = try XCTUnwrap(prompt.range(of: user, options: .backwards))
            XCTAssertTrue(prompt.hasPrefix(prefix))
            XCTAssertTrue(String(prompt[..<cut.lowerBound]).hasSuffix("<|im_end|>\n"))
            XCTAssertTrue(prompt.hasSuffix(assistant))
            XCTAssertEqual(String(prompt[cut.upperBound...].dropLast(assistant.count)), example.command)
            if i % 4 != 0 { XCTAssertEqual(ParserPrompt(catalog: catalog, registry: examples[i - 1].registry).prefix(site: examples[i - 1].site), prefix) }
        }
    }
}
