import Foundation
import XCTest
@testable import Intents

final class CanonicalActionTests: XCTestCase {
    func testEncodeDecodeRoundTrip() throws {
        let texts = [
            "set_brightness device=bedroom.lamp brightness=30",
            "turn_off area=kitchen domain=light",
            "turn_off domain=light",
            "set_temperature temperature=21.5",
            "set_temperature area=bedroom temperature=-0.5",
            "set_color_temp device=kitchen.strip color_temp=2700",
            "none",
        ]
        for text in texts {
            let action = try CanonicalAction(parsing: text)
            XCTAssertEqual(action.text, text)
            XCTAssertEqual(try CanonicalAction(parsing: action.text), action)
        }
        let a = try CanonicalAction(parsing: "set_brightness device=bedroom.lamp brightness=30")
        XCTAssertEqual(a.intent, "set_brightness")
        XCTAssertEqual(a.slots.names, ["device", "brightness"])
        XCTAssertEqual(a.slots["device"], .id("bedroom.lamp"))
        XCTAssertEqual(a.slots["brightness"], .int(30))
        XCTAssertEqual(try CanonicalAction(parsing: "set_temperature temperature=21.5").slots["temperature"], .number(SlotNumber(tenths: 215)))
        XCTAssertEqual(try CanonicalAction(parsing: "none\n").text, "none", "a model's trailing newline is ignored")
    }

    func testEncodingFollowsStoredOrderAndCatalogCanonicalizes() throws {
        var slots = SlotValues()
        slots["brightness"] = .int(30)
        slots["device"] = .id("bedroom.lamp")
        let action = CanonicalAction(intent: "set_brightness", slots: slots)
        XCTAssertEqual(action.text, "set_brightness brightness=30 device=bedroom.lamp")
        XCTAssertEqual(defaultCatalog.canonicalize(action).text, "set_brightness device=bedroom.lamp brightness=30")
    }

    func testSyntaxRejections() {
        let cases: [(String, CanonicalActionError)] = [
            ("", .empty),
            ("   ", .empty),
            ("Turn_on device=a", .invalidIntentName("Turn_on")),
            ("turn_on device", .missingEquals(field: "device")),
            ("turn_on Device=a", .invalidSlotName("Device")),
            ("turn_on device=", .emptyValue(slot: "device")),
            ("turn_on device=a device=b", .duplicateSlot("device")),
            ("set_brightness device=a brightness=030", .invalidValue(slot: "brightness", value: "030", reason: "")),
            ("set_temperature temperature=21.0", .invalidValue(slot: "temperature", value: "21.0", reason: "")),
            ("set_temperature temperature=21.55", .invalidValue(slot: "temperature", value: "21.55", reason: "")),
            ("turn_on device=Kitchen.Lamp", .invalidValue(slot: "device", value: "Kitchen.Lamp", reason: "")),
            ("turn_on device=kitchen..lamp", .invalidValue(slot: "device", value: "kitchen..lamp", reason: "")),
            ("set_temperature temperature=-0", .invalidValue(slot: "temperature", value: "-0", reason: "")),
        ]
        for (text, expected) in cases {
            do {
                let a = try CanonicalAction(parsing: text)
                XCTFail("'\(text)' parsed as \(a)")
            } catch {
                switch (error, expected) {
                case let (.invalidValue(s1, v1, _), .invalidValue(s2, v2, _)): XCTAssertEqual([s1, v1], [s2, v2], text)
                default: XCTAssertEqual(error, expected, text)
                }
            }
        }
        XCTAssertThrowsError(try CanonicalAction(parsing: "turn_on  device=a")) { e in
            XCTAssertTrue("\(e)".contains("exactly one space"))
        }
        XCTAssertThrowsError(try CanonicalAction(parsing: "turn_on\tdevice=a"))
    }

    func testCatalogDecodingChecksIntentSlotsKindsAndOrder() throws {
        XCTAssertEqual(try defaultCatalog.decodeCanonical("set_brightness device=bedroom.lamp brightness=30").slots.count, 2)
        func rejects(_ text: String, _ fragment: String, line: UInt = #line) {
            do {
                _ = try defaultCatalog.decodeCanonical(text)
                XCTFail("'\(text)' accepted", line: line)
            } catch {
                XCTAssertTrue(error.description.contains(fragment), "\(error.description) lacks '\(fragment)'", line: line)
            }
        }
        rejects("dim_lights device=a", "unknown intent 'dim_lights'")
        rejects("turn_on color=red device=a", "intent 'turn_on' has no slot 'color' (its slots: device, area, domain)")
        rejects("set_brightness device=a brightness=high", "slot 'brightness' expects a number, got 'high'")
        rejects("set_brightness device=30", "slot 'device' expects an id, got '30'")
        rejects("set_brightness brightness=30 device=a", "slot 'device' must come before 'brightness'")
        rejects("turn_off domain=light area=kitchen", "slot 'area' must come before 'domain'")
    }

    func testSlotNumberCanonicalText() {
        XCTAssertEqual(SlotNumber(tenths: 215).description, "21.5")
        XCTAssertEqual(SlotNumber(21).description, "21")
        XCTAssertEqual(SlotNumber(tenths: -5).description, "-0.5")
        XCTAssertEqual(SlotNumber(exactly: 20.3)?.tenths, 203)
        XCTAssertNil(SlotNumber(exactly: 20.25))
        XCTAssertEqual(SlotNumber(canonical: "0"), SlotNumber(0))
        XCTAssertNil(SlotNumber(canonical: "1."))
        XCTAssertNil(SlotNumber(canonical: ".5"))
    }
}
