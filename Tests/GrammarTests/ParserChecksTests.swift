import Foundation
import Grammar
import Inference
import Intents
import XCTest

/// The checks after the model, end to end with the real model and adapter on the example home:
/// a yes/no question is answered or refused, never acted on; effects and settings no action has
/// ("twinkle", "a rainbow cycle"), opening a plug and actions asked for later are refused; the
/// plain commands beside them still act; a reading no query gives ("how much power") is refused
/// when the model leant to "not a command".
final class ParserChecksTests: XCTestCase {
    /// Asserts that each command gives the action (canonical text), heard at `site`.
    func assertActs(_ parser: IntentParser, _ cases: [(command: String, action: String)], site: String? = nil,
                    line: UInt = #line) throws {
        for (command, action) in cases {
            let result = try parser.parse(command, site: site)
            XCTAssertEqual(result.resolved?.canonical.description, action, "\(command): \(result.outcome) '\(result.canonical)'", line: line)
        }
    }

    /// Asserts that no command gives an action.
    func assertRefuses(_ parser: IntentParser, _ commands: [String], line: UInt = #line) throws {
        for command in commands {
            let result = try parser.parse(command)
            if case .action = result.outcome { XCTFail("\(command) -> \(result.canonical)", line: line) }
        }
    }

    /// A parser with the tuned adapter on the example home, on one thread.
    static func parser() throws -> IntentParser {
        let home = try ExampleHome.load()
        var options = IntentParser.Options()
        options.threads = 1
        return try IntentParser(language: ExampleHome.tunedModel(), catalog: home.catalog, registry: home.registry, options: options)
    }

    func testReadingsNoQueryGivesAreRefusedWhenTheModelLeansToNone() throws {
        let home = try ExampleHome.load()
        var options = IntentParser.Options()
        options.threads = 1
        let model = try ExampleHome.tunedModel()
        let parser = try IntentParser(language: model, catalog: home.catalog, registry: home.registry, options: options)
        options.leaningNoneThreshold = nil
        let leaningOff = try IntentParser(language: model, catalog: home.catalog, registry: home.registry, options: options)
        options.capabilityCheck = false
        let unchecked = try IntentParser(language: model, catalog: home.catalog, registry: home.registry, options: options)
        for command in ["how much power is the coffee machine using", "how many watts is the coffee machine drawing"] {
            let result = try parser.parse(command)
            XCTAssertEqual(result.outcome == .action, false, "\(command) -> \(result.canonical)")
            XCTAssertGreaterThanOrEqual(result.noneProbability ?? 0, 0.8, command)
            // Without the leaning refusal, "how much" still finds no query that answers it.
            XCTAssertEqual(try leaningOff.parse(command).outcome == .action, false, command)
            // Without either, the model's answer (bent towards the named device) acts.
            XCTAssertEqual(try unchecked.parse(command).outcome, .action, command)
        }
        for (command, action) in [("is the coffee machine on", "query_state device=kitchen.coffee"),
                                  ("turn on the coffee machine", "turn_on device=kitchen.coffee")] {
            XCTAssertEqual(try parser.parse(command).resolved?.canonical.description, action, command)
        }
    }

    /// A level said as a fraction is the number it means, and a number or a named value (a colour,
    /// a white tone) the model's action leaves unused is decided again among the device's actions
    /// that take one.
    func testNumbersAndValuesSaidAreUsed() throws {
        let parser = try Self.parser()
        try assertActs(parser, [("open the patio blind about a quarter", "set_cover_position device=living_room.blind position=25"),
                                ("put the floor lamp at half brightness", "set_brightness device=living_room.lamp brightness=50"),
                                ("floor lamp on full brightness", "set_brightness device=living_room.lamp brightness=100"),
                                ("open the patio blind", "open_cover device=living_room.blind"),
                                ("desk lamp on daylight", "set_color_temp device=office.desk_lamp color_temp=6500"),
                                ("floor lamp on red", "set_color device=living_room.lamp color=red"),
                                ("turn the office lights red", "set_color area=office color=red"),
                                ("make the living room lights blue", "set_color area=living_room color=blue")])
    }

    /// A command that names a device and asks it to work ("start the coffee machine") acts on it
    /// even where the model said "not a command"; operations no action has ("skip"), and a kind of
    /// device the room lacks ("the bedroom heater" where the bedroom has a fan), are refused.
    func testNamedDevicesAndDomainsAreTakenAtTheirWord() throws {
        let parser = try Self.parser()
        let first = try parser.parse("start the coffee machine")
        XCTAssertEqual(first.resolved?.canonical.description, "turn_on device=kitchen.coffee", "\(first.outcome) '\(first.canonical)'")
        XCTAssertGreaterThan(first.noneProbability ?? 0, 0.5, "the model's own first answer was 'not a command'")
        try assertRefuses(parser, ["turn the bedroom heater on", "skip this song on the living room speaker", "rewind the living room speaker",
                                  "next song on the living room speaker"])
        try assertActs(parser, [("switch on the bedroom lights", "turn_on area=bedroom domain=light"),
                                ("can you close up the patio blind", "close_cover device=living_room.blind"),
                                ("stop the ceiling fan", "turn_off device=bedroom.fan")])
    }

    /// A command that names a room is answered in that room or not at all: the bedroom has no
    /// thermometer, so "how cold is it in the bedroom" is not the office's reading.
    func testTheRoomNamedIsTheRoomActedIn() throws {
        let parser = try Self.parser()
        try assertRefuses(parser, ["how cold is it in the bedroom"])
        try assertActs(parser, [("turn the bedroom lights off", "turn_off area=bedroom domain=light")], site: "kitchen")
        try assertActs(parser, [("how warm is it in the office", "query_temperature area=office")], site: "bedroom")
    }

    func testQuestionsAndUnknownEffectsAreNotActedOn() throws {
        let parser = try Self.parser()
        let queries = Set(parser.catalog.intents.filter { $0.response != nil }.map(\.name))
        for question in ["is the patio blind open", "is the coffee machine on", "did somebody lock the front door", "are the counter lights on"] {
            let result = try parser.parse(question)
            if case .action = result.outcome {
                XCTAssertTrue(queries.contains(result.resolved?.canonical.intent ?? ""), "\(question) -> \(result.canonical)")
            }
        }
        try assertRefuses(parser, ["make the floor lamp twinkle", "put the desk lamp on a rainbow cycle", "open the coffee machine",
                                  "put on some jazz on the living room speaker", "turn off the counter lights in ten minutes",
                                  "open the patio blind at 7 am", "close the patio blind when it gets dark",
                                  "start the coffee machine at half seven", "don't turn off the counter lights",
                                  "who unlocked the front door", "close the garage door and lock the front door",
                                  "mute the living room speaker", "space heater to half", "put the coffee machine on 40", "the floor lamp",
                                  "turn it off", "what's playing on the living room speaker"])
        try assertActs(parser, [("make the floor lamp red", "set_color device=living_room.lamp color=red"),
                                ("open the patio blind", "open_cover device=living_room.blind"),
                                ("put the ceiling fan on high", "set_fan_speed device=bedroom.fan speed=high")])
    }
}
