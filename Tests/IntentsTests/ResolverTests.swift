import Foundation
import XCTest
@testable import Intents

final class ResolverTests: XCTestCase {
    let resolver = ActionResolver(catalog: defaultCatalog, registry: smallHome)

    func resolve(_ text: String, site: String? = nil, file: StaticString = #filePath, line: UInt = #line) -> ResolvedAction? {
        do { return try resolver.resolve(text: text, site: site) } catch {
            XCTFail("'\(text)' rejected: \(error)", file: file, line: line)
            return nil
        }
    }

    func rejection(_ text: String, site: String? = nil, file: StaticString = #filePath, line: UInt = #line) -> ResolutionError? {
        do {
            let r = try resolver.resolve(text: text, site: site)
            XCTFail("'\(text)' accepted: \(r.devices)", file: file, line: line)
            return nil
        } catch { return error }
    }

    func testTargetsExpandThroughTheRegistry() {
        XCTAssertEqual(resolve("set_brightness device=bedroom.lamp brightness=30")?.devices, ["bedroom.lamp"])
        XCTAssertEqual(resolve("turn_off area=kitchen domain=light")?.devices, ["kitchen.ceiling", "kitchen.strip"])
        XCTAssertEqual(resolve("turn_off area=kitchen")?.devices, ["kitchen.ceiling", "kitchen.strip", "kitchen.kettle"])
        XCTAssertEqual(resolve("turn_off domain=light")?.devices, ["kitchen.ceiling", "kitchen.strip"], "domain only: the site's area")
        XCTAssertEqual(resolve("turn_off domain=light", site: "bedroom")?.devices, ["bedroom.lamp"])
        XCTAssertEqual(resolve("set_color area=kitchen color=red")?.devices, ["kitchen.strip"], "only devices with the capability")
        XCTAssertEqual(resolve("set_temperature temperature=21.5", site: "bedroom")?.devices, ["bedroom.thermostat"], "optional target: site's area")
        XCTAssertEqual(resolve("query_temperature area=hallway")?.devices, ["hallway.sensor"])
        XCTAssertEqual(resolve("activate_scene scene=dinner")?.devices, ["kitchen.ceiling", "kitchen.strip", "kitchen.kettle"], "scene devices")
        XCTAssertEqual(resolve("none")?.devices, [])
    }

    func testTargetsHaveOneSpellingPerDeviceSet() throws {
        func spelt(_ text: String, site: String? = nil) throws -> String {
            resolver.canonicalTarget(try resolver.resolve(text: text, site: site)).canonical.text
        }
        // The site's own area is what no target means (kitchen is the registry's site).
        XCTAssertEqual(try spelt("turn_off area=kitchen domain=light"), "turn_off domain=light")
        XCTAssertEqual(try spelt("set_temperature area=bedroom temperature=20", site: "bedroom"), "set_temperature temperature=20")
        XCTAssertEqual(try spelt("turn_off area=kitchen"), "turn_off area=kitchen", "turn_off needs a target: the area stays")
        XCTAssertEqual(try spelt("turn_off area=bedroom domain=light"), "turn_off area=bedroom domain=light", "another area stays")
        // A domain every device with the capability is in says nothing.
        XCTAssertEqual(try spelt("set_temperature domain=climate temperature=20", site: "bedroom"), "set_temperature temperature=20")
        XCTAssertEqual(try spelt("lock area=hallway domain=lock"), "lock area=hallway")
        XCTAssertEqual(try spelt("turn_off area=kitchen domain=switch"), "turn_off domain=switch", "on/off spans domains: the domain stays")
        XCTAssertEqual(try spelt("set_brightness device=bedroom.lamp brightness=30"), "set_brightness device=bedroom.lamp brightness=30")
        // Expected actions compare in the same form; one the registry refuses is left as written.
        XCTAssertEqual(resolver.canonicalForm(try CanonicalAction(parsing: "lock domain=lock area=hallway")).text, "lock area=hallway")
        XCTAssertEqual(resolver.canonicalForm(try CanonicalAction(parsing: "lock device=garage.door")).text, "lock device=garage.door")
    }

    func testResultIsCanonicalAndCarriesPolicy() throws {
        let r = try XCTUnwrap(resolve("set_brightness brightness=30 device=bedroom.lamp"))
        XCTAssertEqual(r.canonical.text, "set_brightness device=bedroom.lamp brightness=30")
        XCTAssertFalse(r.needsConfirmation)
        XCTAssertEqual(resolve("unlock device=hallway.door")?.needsConfirmation, true, "locks confirm by default")
        XCTAssertEqual(resolve("lock area=hallway domain=lock")?.needsConfirmation, true)
    }

    func testCapabilityRules() {
        XCTAssertEqual(rejection("set_brightness device=kitchen.kettle brightness=30"),
                       .lacksCapability(device: "kitchen.kettle", capability: .brightness, has: [.onOff]))
        XCTAssertEqual(rejection("set_color device=bedroom.lamp color=red"),
                       .lacksCapability(device: "bedroom.lamp", capability: .color, has: [.onOff, .brightness]))
        XCTAssertEqual(rejection("unlock device=kitchen.ceiling"),
                       .lacksCapability(device: "kitchen.ceiling", capability: .lock, has: [.onOff, .brightness]))
        XCTAssertEqual(rejection("turn_on device=garage.door"), .unknownDevice("garage.door"))
        XCTAssertEqual(rejection("set_color area=bedroom color=red")?.description,
                       "no device matches: nothing in area 'bedroom' has capability 'color'")
        XCTAssertEqual(rejection("open_cover domain=cover")?.description,
                       "no device matches: nothing in domain 'cover' in the site's area 'kitchen' has capability 'open_close'")
    }

    func testRangeRules() {
        XCTAssertEqual(rejection("set_brightness device=bedroom.lamp brightness=101"), .outOfRange(slot: "brightness", value: "101", min: "0", max: "100"))
        XCTAssertEqual(rejection("set_brightness device=bedroom.lamp brightness=-1"), .outOfRange(slot: "brightness", value: "-1", min: "0", max: "100"))
        XCTAssertEqual(rejection("set_brightness device=bedroom.lamp brightness=30.5"), .notWhole(slot: "brightness", value: "30.5"))
        XCTAssertEqual(rejection("set_temperature device=bedroom.thermostat temperature=21.3"), .offStep(slot: "temperature", value: "21.3", step: "0.5"))
        XCTAssertEqual(rejection("set_temperature device=bedroom.thermostat temperature=35"), .outOfRange(slot: "temperature", value: "35", min: "10", max: "30"))
        XCTAssertNotNil(resolve("set_temperature device=bedroom.thermostat temperature=30"))
        XCTAssertNotNil(resolve("set_temperature device=bedroom.thermostat temperature=10"))
        XCTAssertEqual(rejection("set_color_temp device=kitchen.strip color_temp=9000"), .outOfRange(slot: "color_temp", value: "9000", min: "2000", max: "6500"))
        XCTAssertEqual(rejection("brightness_up device=bedroom.lamp step=0"), .outOfRange(slot: "step", value: "0", min: "1", max: "100"))
        XCTAssertEqual(rejection("set_color device=kitchen.strip color=mauve"),
                       .unknownValue(slot: "color", value: "mauve", kind: "colour", known: defaultCatalog.colors.map(\.id)))
        XCTAssertEqual(rejection("set_fan_speed domain=fan speed=turbo")?.description.hasPrefix("slot 'speed': unknown value 'turbo'"), true)
        XCTAssertEqual(rejection("activate_scene scene=party"), .unknownValue(slot: "scene", value: "party", kind: "scene", known: ["dinner"]))
    }

    func testAreaDomainAndShapeRules() {
        XCTAssertEqual(rejection("turn_on area=garage"), .unknownArea("garage", known: ["kitchen", "bedroom", "hallway"]))
        XCTAssertEqual(rejection("turn_on domain=lights"), .unknownDomain("lights"))
        XCTAssertEqual(rejection("turn_on device=bedroom.lamp area=bedroom"), .targetConflict(intent: "turn_on"))
        XCTAssertEqual(rejection("turn_on"), .missingTarget(intent: "turn_on"))
        XCTAssertEqual(rejection("set_brightness device=bedroom.lamp"), .missingSlot(intent: "set_brightness", slot: "brightness"))
        XCTAssertEqual(rejection("turn_on device=bedroom.lamp brightness=3"),
                       .unknownSlot(intent: "turn_on", slot: "brightness", declared: ["device", "area", "domain"]))
        XCTAssertEqual(rejection("dance"), .unknownIntent("dance", known: defaultCatalog.intentNames))
        XCTAssertEqual(rejection("none device=bedroom.lamp"), .unknownSlot(intent: "none", slot: "device", declared: []))
        XCTAssertEqual(rejection("turn_off domain=light", site: "attic"), .noSite(intent: "turn_off", site: "attic"))
        XCTAssertEqual(rejection("turn_off device=a b"), .syntax(.missingEquals(field: "b")))
        let noSite = ActionResolver(catalog: defaultCatalog, registry: Registry(areas: smallHome.areas, devices: smallHome.devices))
        XCTAssertThrowsError(try noSite.resolve(text: "turn_off domain=light")) { XCTAssertEqual($0 as? ResolutionError, .noSite(intent: "turn_off", site: nil)) }
    }

    func testActionJSONMatchesTheDesignLayout() throws {
        let r = try XCTUnwrap(resolve("set_brightness device=bedroom.lamp brightness=30"))
        let action = r.action(id: "7f3c", text: "dim the bedroom lamp to thirty percent", confidence: 0.97, source: .speech, ms: ["asr": 41, "parse": 23])
        XCTAssertEqual(action.jsonLine, """
        {"id":"7f3c","site":"kitchen","text":"dim the bedroom lamp to thirty percent","intent":"set_brightness","slots":{"device":"bedroom.lamp","brightness":30},"devices":["bedroom.lamp"],"confidence":0.97,"source":"speech","ms":{"asr":41,"parse":23}}
        """)
        let decoded = try JSONDecoder().decode(Action.self, from: Data(action.jsonLine.utf8))
        XCTAssertEqual(decoded.slots["brightness"], .int(30))
        XCTAssertEqual(decoded.devices, ["bedroom.lamp"])
        XCTAssertEqual(decoded.ms["parse"], 23)
        var reordered = decoded
        reordered.slots = defaultCatalog.canonicalize(decoded.canonical).slots  // JSON key order is not kept
        XCTAssertEqual(reordered.jsonLine, action.jsonLine)
        let reencoded = try JSONDecoder().decode(Action.self, from: JSONEncoder().encode(action))
        XCTAssertEqual(reencoded, decoded)

        let half = try XCTUnwrap(resolve("set_temperature temperature=21.5", site: "bedroom"))
            .action(id: "x", text: "say \"hi\"\n", confidence: 1, source: .text)
        XCTAssertEqual(half.jsonLine, #"{"id":"x","site":"bedroom","text":"say \"hi\"\n","intent":"set_temperature","slots":{"temperature":21.5},"devices":["bedroom.thermostat"],"confidence":1.0,"source":"text","ms":{}}"#)
        let object = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(half.jsonLine.utf8)) as? [String: Any])
        XCTAssertEqual((object["slots"] as? [String: Any])?["temperature"] as? Double, 21.5)
        XCTAssertThrowsError(try JSONDecoder().decode(SlotValue.self, from: Data("21.25".utf8)))
    }
}

final class TargetChoicesTests: XCTestCase {
    func testChoicesAreExactlyWhatTheResolverAccepts() throws {
        let resolver = ActionResolver(catalog: defaultCatalog, registry: smallHome)
        let c = TargetChoices(target: TargetSpec(capability: .brightness), registry: smallHome, site: "kitchen")
        XCTAssertEqual(c.devices, ["kitchen.ceiling", "kitchen.strip", "bedroom.lamp"])
        XCTAssertEqual(c.areas, ["kitchen", "bedroom"])
        XCTAssertEqual(c.areaDomains, [.init(area: "kitchen", domain: .light), .init(area: "bedroom", domain: .light)])
        XCTAssertEqual(c.domains, [.light])
        XCTAssertFalse(c.allowsNone)
        XCTAssertEqual(TargetChoices(target: TargetSpec(capability: .onOff), registry: smallHome, site: "kitchen").domains, [.light, .switch])
        XCTAssertEqual(TargetChoices(target: TargetSpec(capability: .setpoint, optional: true), registry: smallHome, site: "bedroom").allowsNone, true)
        XCTAssertEqual(TargetChoices(target: TargetSpec(capability: .setpoint, optional: true), registry: smallHome, site: "kitchen").allowsNone, false)

        // Every choice resolves, and every other area/domain combination is rejected.
        for site in smallHome.areas.map(\.id) {
            for intent in defaultCatalog.intents {
                guard let target = intent.target else { continue }
                let choices = TargetChoices(target: target, registry: smallHome, site: site)
                var extra = SlotValues()
                for slot in intent.slots where !slot.isTarget && !slot.optional {
                    extra[slot.name] = SlotVocabulary(catalog: defaultCatalog, registry: smallHome).values(for: slot.type).first?.value
                }
                func accepts(_ target: SlotValues) -> Bool {
                    var slots = target
                    for (n, v) in extra { slots[n] = v }
                    return (try? resolver.resolve(CanonicalAction(intent: intent.name, slots: slots), site: site)) != nil
                }
                for id in smallHome.devices.map(\.id) { XCTAssertEqual(accepts(["device": .id(id)]), choices.devices.contains(id), "\(intent.name) \(id)") }
                for area in smallHome.areas.map(\.id) {
                    XCTAssertEqual(accepts(["area": .id(area)]), choices.areas.contains(area), "\(intent.name) \(area)")
                    for domain in Domain.allCases {
                        XCTAssertEqual(accepts(["area": .id(area), "domain": .id(domain.rawValue)]),
                                       choices.areaDomains.contains(.init(area: area, domain: domain)), "\(intent.name) \(area) \(domain)")
                    }
                }
                for domain in Domain.allCases {
                    XCTAssertEqual(accepts(["domain": .id(domain.rawValue)]), choices.domains.contains(domain), "\(intent.name) \(domain) at \(site)")
                }
                XCTAssertEqual(accepts([:]), choices.allowsNone, "\(intent.name) without target at \(site)")
            }
        }
    }
}
