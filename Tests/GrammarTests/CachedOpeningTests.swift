import Foundation
import Grammar
import Inference
import Intents
import XCTest

/// Cached command openings change where keys and values come from, not what the parser answers:
/// the same commands, said again so that their openings are learnt, parse to the same actions
/// as with no cache, and the cache is used.
final class CachedOpeningTests: XCTestCase {
    func testOpeningsFromTheCacheGiveTheSameActions() throws {
        let home = try ExampleHome.load()
        let language = try ExampleHome.tunedModel()
        let commands = ["turn off the ceiling light", "turn off the desk lamp", "turn on the floor lamp", "set the floor lamp to blue",
                        "set the volume to 25", "is the front door locked", "is the desk lamp on", "turn off the lights in the bedroom"]
        func answers(openings: Int, rounds: Int) throws -> (canonical: [String], cached: Int) {
            var options = IntentParser.Options()
            options.threads = 1
            options.cachedOpenings = openings
            let parser = try IntentParser(language: language, catalog: home.catalog, registry: home.registry, options: options)
            var out: [String] = [], cached = 0
            for round in 0..<rounds {
                for command in commands {
                    let result = try parser.parse(command)
                    if round == rounds - 1 { out.append(result.canonical) }
                    cached += result.timings.cachedTokens
                }
            }
            return (out, cached)
        }
        let plain = try answers(openings: 0, rounds: 1)
        let cached = try answers(openings: 16, rounds: 3)
        XCTAssertEqual(plain.cached, 0)
        XCTAssertGreaterThan(cached.cached, 10, "openings were learnt and used")
        XCTAssertEqual(cached.canonical, plain.canonical)
    }
}
