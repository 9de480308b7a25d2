import Foundation
import Grammar
import Inference
import Intents
import XCTest

/// Mention evidence finds what a command names (typos and plurals included), biases only
/// between actions that differ in it, and spells its action prefixes exactly as the grammar does.
final class MentionEvidenceTests: XCTestCase {
    static func home() throws -> HomeConfiguration { try ExampleHome.load() }

    func evidence(_ command: String, _ home: HomeConfiguration, weight: Float = 1, site: String? = nil) -> MentionEvidence {
        let options = ActionGrammar.targetOptions(catalog: home.catalog, registry: home.registry, site: site ?? home.registry.site)
        return MentionEvidence(command: command, options: options, registry: home.registry, catalog: home.catalog, weight: weight)
    }

    func score(_ e: MentionEvidence, _ prefix: String) -> Float? {
        e.scored.first { String(decoding: $0.text, as: UTF8.self) == prefix }?.score
    }

    func testEveryTargetOptionIsAPathOfTheGrammar() throws {
        let home = try Self.home()
        for site in [home.registry.site, "office", nil] {
            let automaton = ByteAutomaton(ActionGrammar.expression(catalog: home.catalog, registry: home.registry, site: site))
            let options = ActionGrammar.targetOptions(catalog: home.catalog, registry: home.registry, site: site)
            XCTAssertGreaterThan(options.count, 50)
            for option in options {
                XCTAssertNotNil(automaton.walk(Array(option.text.utf8), from: 0), "'\(option.text)' at site \(site ?? "-")")
            }
        }
    }

    func testFindsNamesAliasesTyposAndPlurals() throws {
        let home = try Self.home()
        let e = evidence("please switch off the bedsid lamps", home)
        XCTAssertEqual(score(e, "turn_off device=bedroom.lamp"), 2.25, "typo (¾) + plural, adjacent words")
        XCTAssertNil(score(e, "turn_off device=office.desk_lamp"), "one word of two is no evidence")
        let alias = evidence("make the sonos quieter", home)
        XCTAssertEqual(score(alias, "volume_down device=living_room.speaker"), 1)
        let area = evidence("lights off in the lounge", home)
        XCTAssertEqual(score(area, "turn_off area=living_room domain=light"), 1.5, "domain words count half")
        XCTAssertEqual(score(area, "turn_off area=living_room"), 1)
        XCTAssertEqual(score(area, "turn_off domain=light"), 0.5)
        XCTAssertNil(score(evidence("lock the car", home), "lock domain=lock"), "domain words match exactly: 'lock' is not 'locks'")
        let here = evidence("how warm is it in here", home, site: "office")
        let targetless = ActionGrammar.targetOptions(catalog: home.catalog, registry: home.registry, site: "office").filter { $0.target == .none }
        XCTAssertFalse(targetless.isEmpty)
        for option in targetless { XCTAssertEqual(score(here, option.text), 0.5, "'here' is the site's area: \(option.text)") }
        let scene = evidence("time for cinema", home)
        XCTAssertEqual(score(scene, "activate_scene scene=movie_night"), 1)
        XCTAssertTrue(evidence("what is the capital of france", home).isEmpty)
        XCTAssertFalse(MentionEvidence.same("lamp", "camp"), "short words need an exact match")
        XCTAssertTrue(MentionEvidence.same("thermostat", "thermostats"))
        XCTAssertTrue(MentionEvidence.same("kitchen", "kitchn"))
        XCTAssertTrue(MentionEvidence.same("reading", "raeding"))
        XCTAssertFalse(MentionEvidence.same("light", "night"), "five letters: a swap, not a substitution")
        // One word of the command cannot stand for two of the phrase.
        XCTAssertEqual(MentionEvidence.score(phrase: ["light", "light"], in: ["the", "light"]), 0)
        XCTAssertEqual(MentionEvidence.score(phrase: ["night", "light"], in: ["outside", "light"]), 0)
    }

    func testBiasPrefersTheNamedDeviceAndOnlyWhereChoicesDiffer() throws {
        let home = try Self.home()
        let e = evidence("turn on the desk lamp", home, weight: 3)
        let prefix = Array("turn_on device=".utf8)
        let pieces = ["office", "bedroom", "kitchen"].map { Array($0.utf8) }
        let bias = try XCTUnwrap(e.bias(output: prefix, pieces: pieces))
        XCTAssertEqual(bias[0], 7.5)
        XCTAssertEqual(bias[1], 0)
        // `none` loses to an intent that can act on the named device, but not to one that can
        // act on a named area or domain (a command must name a thing to argue against `none`).
        let first = try XCTUnwrap(e.bias(output: [], pieces: [Array("none".utf8), Array("turn".utf8)]))
        XCTAssertLessThan(first[0], first[1])
        XCTAssertNil(evidence("the lounge", home).bias(output: [], pieces: [Array("none".utf8), Array("turn".utf8)]))
        // A named area ranks the intents that can act on it over those that cannot, and `none`
        // as the best of them: the study has a lamp and no speaker.
        let study = try XCTUnwrap(evidence("bring down everything in the study by eighty three", home)
            .bias(output: [], pieces: ["none", "volume_down", "brightness_down"].map { Array($0.utf8) }))
        XCTAssertEqual(study[0], study[2])
        XCTAssertGreaterThan(study[2], study[1])
        // A domain the site (the kitchen) has devices for does: "lights off" there is a command.
        let lights = try XCTUnwrap(evidence("lights off", home).bias(output: [], pieces: [Array("none".utf8), Array("turn".utf8)]))
        XCTAssertLessThan(lights[0], lights[1])
        XCTAssertEqual(evidence("the lounge", home).bias(output: Array("turn_on".utf8), pieces: [Array(" device".utf8), Array(" area".utf8)]), [0, 1])
        // Past the target (the values), every choice is equally consistent: no bias.
        let after = Array("brightness_up device=office.desk_lamp step=".utf8)
        XCTAssertNil(evidence("brighten the desk lamp a lot", home).bias(output: after, pieces: [Array("4".utf8), Array("5".utf8)]))
        // An id that merely starts with the named one is not it; ending the output after the
        // target keeps the evidence; going on with ` domain=` leaves an area-only target.
        let lounge = evidence("everything off in the lounge", home)
        XCTAssertEqual(lounge.bias(output: Array("turn_off area=living_room".utf8), pieces: [[], Array(" domain".utf8)]), [0.5, 0])
        XCTAssertFalse(MentionEvidence.consistent(Array("turn_on device=office.desk_lamp2".utf8), with: Array("turn_on device=office.desk_lamp".utf8), ended: false))
    }

    /// Drafts: the rest of the named target once the intent is chosen, and a half-spelt intent
    /// completed when the command says the words of exactly one of its names.
    func testDraftsCompleteTheNamedTargetAndAnIntentTheCommandSpells() throws {
        let home = try Self.home()
        func draft(_ command: String, _ output: String) -> String? {
            evidence(command, home).draftTarget(output: Array(output.utf8)).map { String(decoding: $0, as: UTF8.self) }
        }
        XCTAssertEqual(draft("turn on the desk lamp", "turn_on"), " device=office.desk_lamp")
        XCTAssertEqual(draft("turn on the desk lamp", "turn"), "_on device=office.desk_lamp")
        XCTAssertEqual(draft("switch the desk lamp off", "turn"), "_off device=office.desk_lamp")
        XCTAssertNil(draft("make the desk lamp brighter", "brightness"), "neither 'up' nor 'down' is said")
        XCTAssertNil(draft("turn on the desk lamp", "turn_on device=office.desk_lamp"), "nothing left to draft")
    }

    func testNumbersAreFoundAndSteerValues() throws {
        XCTAssertEqual(MentionEvidence.numbers(in: "set the lamp to seventy five"), ["75"])
        XCTAssertEqual(MentionEvidence.numbers(in: "nest to eighteen and a half"), ["18.5"])
        XCTAssertEqual(MentionEvidence.numbers(in: "Fairy lights at 10%."), ["10"])
        XCTAssertEqual(MentionEvidence.numbers(in: "set it to 19.5 please"), ["19.5"])
        XCTAssertEqual(MentionEvidence.numbers(in: "a hundred percent"), ["100"])
        XCTAssertEqual(MentionEvidence.numbers(in: "half brightness on a lamp"), ["50"])
        XCTAssertEqual(MentionEvidence.numbers(in: "put the lamp at half"), ["50"])
        XCTAssertEqual(MentionEvidence.numbers(in: "open the velux about a quarter"), ["25"])
        XCTAssertEqual(MentionEvidence.numbers(in: "open the hatch a quarter of the way"), ["25"])
        XCTAssertEqual(MentionEvidence.numbers(in: "set the blind to three quarters"), ["75"])
        XCTAssertEqual(MentionEvidence.numbers(in: "full brightness on the big light"), ["100"])
        XCTAssertEqual(MentionEvidence.numbers(in: "put the beacon on full"), ["100"])
        XCTAssertEqual(MentionEvidence.numbers(in: "turn it off in half an hour"), [])
        XCTAssertEqual(MentionEvidence.numbers(in: "open it at a quarter past six"), ["6"])
        XCTAssertEqual(MentionEvidence.numbers(in: "the bin is full of leaves"), [])
        XCTAssertEqual(MentionEvidence.numbers(in: "open the blind halfway"), ["50"])
        XCTAssertEqual(MentionEvidence.numbers(in: "shutter half way down"), ["50"])
        XCTAssertEqual(MentionEvidence.numbers(in: "reading lamp in three thousand four hundred kelvin"), ["3400"])
        XCTAssertEqual(MentionEvidence.numbers(in: "two thousand seven hundred and fifty kelvin"), ["2750"])
        XCTAssertEqual(MentionEvidence.numbers(in: "night light to three thousand kelvin"), ["3000"])
        XCTAssertEqual(MentionEvidence.numbers(in: "all lights 4400K!"), ["4400"])
        XCTAssertEqual(MentionEvidence.numbers(in: "a 4k picture"), [])
        let home = try Self.home()
        let e = evidence("desk lamp to forty", home, weight: 2)
        let value = Array("set_brightness device=office.desk_lamp brightness=".utf8)
        // Inside a value, the digits of a number said gain twice the weight: the command said it.
        XCTAssertEqual(e.bias(output: value, pieces: ["4", "5", "40"].map { Array($0.utf8) }), [4, 0, 4])
        XCTAssertEqual(e.bias(output: value + Array("4".utf8), pieces: [[], Array("0".utf8), Array("5".utf8)]), [0, 4, 0])
        // An optional numeric slot: taken when a number is left to say, left out when none is said.
        let target = Array("brightness_up device=office.desk_lamp".utf8)
        XCTAssertEqual(evidence("desk lamp up by twenty", home, weight: 2).bias(output: target, pieces: [[], Array(" step".utf8)]), [0, 4])
        XCTAssertEqual(evidence("brighter desk lamp", home, weight: 2).bias(output: target, pieces: [[], Array(" step".utf8)]), [2, 0])
    }

    func testNamedColoursWhiteTonesAndSpeedsSteerTheIntentAndTheValue() throws {
        let home = try Self.home()
        let red = evidence("make the floor lamp red", home, weight: 1)
        XCTAssertEqual(red.namedValues.map { String(decoding: $0.value, as: UTF8.self) }, ["red"])
        // set_color over set_color_temp once the intent is being spelt, never for or against none.
        let intent = try XCTUnwrap(red.bias(output: Array("set_color".utf8), pieces: [Array(" device".utf8), Array("_temp".utf8)]))
        XCTAssertGreaterThan(intent[0], intent[1])
        XCTAssertNil(red.bias(output: [], pieces: [Array("none".utf8), Array("x".utf8)]))
        let warm = evidence("floor lamp to warm white", home, weight: 1)
        let tone = try XCTUnwrap(warm.bias(output: Array("set_color".utf8), pieces: [Array(" device".utf8), Array("_temp".utf8)]))
        XCTAssertLessThan(tone[0], tone[1])
        // Inside the slot, the named value.
        let value = try XCTUnwrap(red.bias(output: Array("set_color device=living_room.lamp color=".utf8), pieces: ["re", "pu", "gr"].map { Array($0.utf8) }))
        XCTAssertEqual(value, [1, 0, 0])
        // Words of a device's name are not a value: the kitchen's ceiling light is not "light blue".
        XCTAssertTrue(evidence("turn on the ceiling light", home).namedValues.isEmpty)
        // Nor is a domain word that is no value's word: "lights blue" is blue, not light blue.
        func strongest(_ command: String) -> String? {
            evidence(command, home).namedValues.max { $0.score < $1.score }.map { String(decoding: $0.value, as: UTF8.self) }
        }
        XCTAssertEqual(strongest("make the living room lights blue"), "blue")
        XCTAssertEqual(strongest("set the floor lamp to light blue"), "light_blue")
        // Said word for word, or not.
        XCTAssertEqual(evidence("floor lamp on red", home).saidValues.map { String(decoding: $0.value, as: UTF8.self) }, ["red"])
        XCTAssertTrue(evidence("blue lamp light", home).saidValues.allSatisfy { String(decoding: $0.value, as: UTF8.self) != "light_blue" })
    }

    /// A colour, white tone or fan speed the command does not say is refused; one it says (in a
    /// catalog word, a one-edit typo, or as kelvin) is not.
    func testAnActionWithAValueTheCommandDoesNotSayIsRefused() throws {
        let home = try Self.home()
        func unsaid(_ command: String, _ action: String) throws -> String? {
            evidence(command, home).unsaidValue(of: try CanonicalAction(parsing: action), catalog: home.catalog)
        }
        XCTAssertNotNil(try unsaid("put the ceiling fan in eco mode", "set_fan_speed device=bedroom.fan speed=high"))
        XCTAssertNotNil(try unsaid("make the ceiling fan oscillate", "set_fan_speed device=bedroom.fan speed=low"))
        XCTAssertNotNil(try unsaid("make the floor lamp sparkle", "set_color device=living_room.lamp color=red"))
        XCTAssertNotNil(try unsaid("desk lamp to candle mode", "set_color_temp device=office.desk_lamp color_temp=2700"))
        XCTAssertNil(try unsaid("ceiling fan to max", "set_fan_speed device=bedroom.fan speed=high"))
        XCTAssertNil(try unsaid("slow the ceiling fan down", "set_fan_speed device=bedroom.fan speed=low"))
        XCTAssertNil(try unsaid("make the floor lamp purpel", "set_color device=living_room.lamp color=purple"))
        XCTAssertNil(try unsaid("desk lamp to 4400K", "set_color_temp device=office.desk_lamp color_temp=4400"))
        XCTAssertNil(try unsaid("desk lamp to warm white", "set_color_temp device=office.desk_lamp color_temp=2700"))
        XCTAssertNil(try unsaid("desk lamp to 40 percent", "set_brightness device=office.desk_lamp brightness=40"))
    }
}
