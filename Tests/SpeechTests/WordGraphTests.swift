import Intents
@testable import Speech
import XCTest

/// The word graph the recogniser searches: the same sentences as the grammar, each continuation
/// built once.
final class WordGraphTests: XCTestCase {
    /// Sentences of the expander, and near misses made from them (a word dropped, two swapped, a
    /// word repeated), are accepted by the graph exactly when the grammar accepts them.
    func testTheGraphAcceptsExactlyTheGrammarsSentences() throws {
        let graph = try XCTUnwrap(exampleGrammar.wordGraph)
        let expander = TemplateExpander(catalog: exampleHome.catalog, registry: exampleHome.registry)
        var rng = SeededGenerator(seed: 9)
        var accepted = 0, rejected = 0
        for e in expander.sample(count: 600, using: &rng) {
            guard let words = SpokenText.words(e.text), words.allSatisfy(cmuDictionary.contains) else { continue }
            XCTAssertTrue(graph.accepts(words), "'\(words.joined(separator: " "))' (\(e.intent)) not in the word graph")
            var variants: [[String]] = []
            for i in words.indices {
                var dropped = words
                dropped.remove(at: i)
                variants.append(dropped)
                var repeated = words
                repeated.insert(words[i], at: i)
                variants.append(repeated)
                if i + 1 < words.count {
                    var swapped = words
                    swapped.swapAt(i, i + 1)
                    variants.append(swapped)
                }
            }
            for variant in variants {
                let expected = exampleGrammar.accepts(variant.joined(separator: " "))
                XCTAssertEqual(graph.accepts(variant), expected, "'\(variant.joined(separator: " "))'")
                if expected { accepted += 1 } else { rejected += 1 }
            }
        }
        XCTAssertGreaterThan(accepted, 100, "some near misses are sentences too (optional words)")
        XCTAssertGreaterThan(rejected, 5_000)
        XCTAssertFalse(graph.accepts([]), "no empty command")
        XCTAssertLessThan(graph.states.count, 2_000, "the example home's graph stays small (913 states when written)")
    }

    /// A rule used by two templates with the same continuation is built once, and states with the
    /// same remaining sentences are one: the minimal automaton, counted by hand.
    func testEqualContinuationsShareOneState() throws {
        let target = GrammarNode.alternatives([.sequence([.word("the"), .word("lamp")]), .sequence([.word("the"), .word("fan")])])
        let top = GrammarNode.alternatives([
            .sequence([.word("turn"), .word("on"), .rule("target")]),
            .sequence([.word("switch"), .word("on"), .rule("target")]),
            .sequence([.rule("target"), .word("up"), .optional(.word("please"))]),
            .sequence([.word("switch"), .void]),
        ])
        let graph = try XCTUnwrap(WordGraph(top: top, rules: ["target": target]))
        // start -turn|switch-> a -on-> b -the-> c -lamp|fan-> end;  start -the-> d -lamp|fan-> e -up-> f(final) -please-> end
        XCTAssertEqual(graph.states.count, 8)
        XCTAssertEqual(graph.arcCount, 11)
        for sentence in ["turn on the lamp", "switch on the fan", "the fan up", "the lamp up please"] {
            XCTAssertTrue(graph.accepts(sentence.split(separator: " ").map(String.init)), sentence)
        }
        for sentence in ["turn on the", "switch", "the fan please", "turn on the lamp up"] {
            XCTAssertFalse(graph.accepts(sentence.split(separator: " ").map(String.init)), sentence)
        }
        let fsg = graph.fsg(name: "tiny")
        XCTAssertTrue(fsg.hasPrefix("FSG_BEGIN tiny\nNUM_STATES 9\nSTART_STATE 0\nFINAL_STATE 8\n"), fsg)
        XCTAssertEqual(fsg.split(separator: "\n").filter { $0.hasPrefix("TRANSITION") }.count, 11 + 2, "word arcs, and one ending from each final state")
        XCTAssertNil(WordGraph(top: .void, rules: [:]), "no sentence, no graph")
    }
}
