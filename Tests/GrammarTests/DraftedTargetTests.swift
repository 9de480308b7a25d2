import Foundation
import Grammar
import Inference
import Intents
import XCTest

/// Drafting the target a command names changes how many model passes a parse takes, not what it
/// answers: the same actions with the same confidences with and without drafts, in fewer passes,
/// including commands whose draft the model rejects (the named device is not what it acts on).
final class DraftedTargetTests: XCTestCase {
    func testDraftsGiveTheSameActionsInFewerPasses() throws {
        let home = try ExampleHome.load()
        let language = try ExampleHome.tunedModel()
        let commands = ["turn off the ceiling light", "set the desk lamp to 40 percent", "dim the bedside lamp by 20",
                        "make the floor lamp blue", "is the front door locked", "lights off in the bedroom",
                        "turn the kitchen lights off and the desk lamp on", "close the blind", "set the volume to 25",
                        "what's the weather like", "turn on the coffee maker please", "bring down everything in the study by 30"]
        func answers(drafts: Bool) throws -> (results: [String], calls: Int, drafted: Int) {
            var options = IntentParser.Options()
            options.threads = 1
            options.draftTargets = drafts
            let parser = try IntentParser(language: language, catalog: home.catalog, registry: home.registry, options: options)
            var results: [String] = [], calls = 0, drafted = 0
            for command in commands {
                let result = try parser.parse(command)
                results.append("\(result.outcome) \(result.canonical) \(result.confidence)")
                calls += result.timings.modelCalls
                drafted += result.timings.draftedDecisions
            }
            return (results, calls, drafted)
        }
        let plain = try answers(drafts: false)
        let drafted = try answers(drafts: true)
        XCTAssertEqual(plain.drafted, 0)
        XCTAssertEqual(drafted.results, plain.results)
        XCTAssertGreaterThan(drafted.drafted, commands.count / 2, "drafts were verified")
        XCTAssertLessThan(drafted.calls, plain.calls)
    }
}

/// Draft verification with a scripted scorer: a rejected draft is forgotten from the point the
/// "model" disagrees, and the output is the script's either way.
final class DraftVerificationTests: XCTestCase {
    /// Prefers the next token of a fixed output at every position it is asked about; verifies
    /// drafts and forgets tokens as a model session would.
    final class DraftingScorer: TokenScorer {
        let script: [Int32]
        var fed = 0
        var dropped = 0
        init(script: [Int32]) { self.script = script }
        func scores(after count: Int, _ candidates: [Int32]) -> [Float] {
            let next = count < script.count ? script[count] : -1
            return candidates.map { $0 == next ? 10 : 0 }
        }
        func feed(_ tokens: [Int32], candidates: [Int32]) throws -> [Float] {
            fed += tokens.count
            return scores(after: fed, candidates)
        }
        var verifiesDrafts: Bool { true }
        func feed(_ tokens: [Int32], candidatesAfter requests: [(index: Int, candidates: [Int32])]) throws -> [[Float]] {
            defer { fed += tokens.count }
            return requests.map { scores(after: fed + $0.index + 1, $0.candidates) }
        }
        func drop(_ count: Int) {
            fed -= count
            dropped += count
        }
    }

    func testRejectedDraftsAreForgottenAndAcceptedOnesSavePasses() throws {
        let home = try ExampleHome.load()
        let tokenizer = try GrammarTests.tokenizer()
        let site = home.registry.site
        let grammar = CompiledGrammar(ActionGrammar.expression(catalog: home.catalog, registry: home.registry, site: site),
                                      trie: VocabularyTrie(tokenizer: tokenizer))
        let end = try XCTUnwrap(tokenizer.tokenID("<|im_end|>"))
        let evidence = MentionEvidence(command: "turn off the desk lamp",
                                       options: ActionGrammar.targetOptions(catalog: home.catalog, registry: home.registry, site: site),
                                       registry: home.registry, catalog: home.catalog, weight: 0.001)
        var decoder = ConstrainedDecoder(grammar: grammar, tokenizer: tokenizer, endToken: end)
        for (target, accepted) in [("turn_off device=office.desk_lamp", true), ("turn_off device=bedroom.lamp", false)] {
            let script = tokenizer.encode(target, parseSpecial: false)
            decoder.drafts = true
            let scorer = DraftingScorer(script: script + [end])
            let result = try decoder.decode(scorer, evidence: evidence)
            XCTAssertEqual(result.text, target)
            XCTAssertEqual(result.tokens, script)
            XCTAssertGreaterThan(result.draftedDecisions, 0)
            XCTAssertEqual(scorer.dropped > 0, !accepted, target)
            decoder.drafts = false
            let plain = try decoder.decode(DraftingScorer(script: script + [end]), evidence: evidence)
            XCTAssertEqual(plain.text, target)
            XCTAssertEqual(plain.confidence, result.confidence, accuracy: 1e-12)
            if accepted { XCTAssertLessThan(result.modelCalls, plain.modelCalls) }
        }
    }
}
