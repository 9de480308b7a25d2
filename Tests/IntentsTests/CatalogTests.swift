import Foundation
import XCTest
@testable import Intents

final class CatalogTests: XCTestCase {
    func testDefaultCatalogHasTheHomeIntents() {
        let expected: Set<String> = [
            "none", "turn_on", "turn_off", "set_brightness", "brightness_up", "brightness_down", "set_color", "set_color_temp",
            "set_temperature", "open_cover", "close_cover", "set_cover_position", "lock", "unlock", "set_fan_speed",
            "media_play", "media_pause", "set_volume", "volume_up", "volume_down", "activate_scene",
            "query_state", "query_temperature", "query_lock",
        ]
        XCTAssertEqual(Set(defaultCatalog.intentNames), expected)
        for intent in defaultCatalog.intents {
            XCTAssertGreaterThanOrEqual(intent.templates.count, 3, "\(intent.name) needs template variety")
            XCTAssertFalse(intent.description.isEmpty)
        }
        XCTAssertEqual(Set(defaultCatalog.domainPhrases.keys), Set(Domain.allCases), "every domain has words")
        XCTAssertNotNil(defaultCatalog.color(id: "red"))
        XCTAssertEqual(defaultCatalog.colorTemperatures.first { $0.id == "warm" }?.kelvin, 2700)
    }

    func testTargetsAreDeclaredOncePerIntentAndComeFirst() throws {
        let intent = try XCTUnwrap(defaultCatalog.intent(named: "set_brightness"))
        XCTAssertEqual(intent.target, TargetSpec(capability: .brightness))
        XCTAssertEqual(intent.slotOrder, ["device", "area", "domain", "brightness"])
        XCTAssertEqual(intent.slot(named: "device")?.type, .device(capability: .brightness))
        let temp = try XCTUnwrap(defaultCatalog.intent(named: "set_temperature"))
        XCTAssertEqual(temp.target?.optional, true)
        XCTAssertEqual(temp.slot(named: "temperature")?.type, .temperature(min: SlotNumber(10), max: SlotNumber(30), step: SlotNumber(tenths: 5)))
        XCTAssertNil(try XCTUnwrap(defaultCatalog.intent(named: "none")).target)
        XCTAssertEqual(try XCTUnwrap(defaultCatalog.intent(named: "query_state")).response?.placeholders, ["target", "state"])
    }

    func testRulesAreInlinedButKeptInTheWrittenTree() throws {
        let intent = try XCTUnwrap(defaultCatalog.intent(named: "turn_on"))
        let t = intent.templates[0]
        XCTAssertTrue(t.root.ruleNames.contains("target"))
        XCTAssertTrue(t.expanded.ruleNames.isEmpty)
        XCTAssertEqual(Set(t.expanded.slotNames), ["device", "area", "domain"])
        XCTAssertNotNil(defaultCatalog.rules["target"])
    }

    func testExampleConfigLoadsWithTheDefaultCatalog() throws {
        let url = repositoryRoot.appendingPathComponent("deploy/hark.example.yaml")
        let home: HomeConfiguration
        do { home = try HomeConfiguration.load(configFile: url) } catch { return XCTFail("\(error)") }
        let r = home.registry
        XCTAssertEqual(r.site, "kitchen")
        XCTAssertEqual(r.areas.map(\.id), ["kitchen", "living_room", "bedroom", "hallway", "office"])
        XCTAssertGreaterThanOrEqual(r.devices.count, 10)
        XCTAssertEqual(Set(r.devices.map(\.adapter.kind)), Set(Adapter.kinds), "the example uses every adapter kind")
        XCTAssertEqual(r.device(id: "hallway.front_door")?.policy.confirm, true, "locks confirm by default")
        XCTAssertEqual(r.device(id: "hallway.garage_door")?.policy.confirm, true, "garage doors confirm by default")
        XCTAssertEqual(r.device(id: "kitchen.ceiling")?.policy.confirm, false)
        XCTAssertEqual(r.device(id: "office.heater")?.domain, .climate, "domain override")
        XCTAssertEqual(r.device(id: "office.sensor")?.capabilities, [.temperature], "capabilities override")
        XCTAssertEqual(r.device(id: "bedroom.fan")?.adapter,
                       .generic(topic: "home/bedroom/fan/set", payload: "{\"state\":\"{state}\",\"speed\":\"{speed}\"}", stateTopic: "home/bedroom/fan/state"))
        XCTAssertEqual(r.scenes.map(\.id), ["movie_night", "good_night", "away"])
        XCTAssertEqual(r.scene(id: "good_night")?.actions.first?.text, "turn_off area=kitchen domain=light")
        XCTAssertEqual(home.catalog.intents.count, defaultCatalog.intents.count)
    }

    func testUserCatalogDirectoryAddsIntents() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("hark-catalog-\(UUID().uuidString)")
        let catalogDir = dir.appendingPathComponent("intents.d")
        try FileManager.default.createDirectory(at: catalogDir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        try """
        intents:
          start_timer:
            description: Start a kitchen timer.
            slots:
              duration: {type: duration, max: 7200}
            templates:
              - "(set|start) a timer for {duration}"
              - "{duration} timer"
        """.write(to: catalogDir.appendingPathComponent("timers.yaml"), atomically: true, encoding: .utf8)
        let config = dir.appendingPathComponent("home.yaml")
        try (smallHomeYAML + "\ncatalog: [intents.d]\n").write(to: config, atomically: true, encoding: .utf8)
        let home: HomeConfiguration
        do { home = try HomeConfiguration.load(configFile: config) } catch { return XCTFail("\(error)") }
        XCTAssertEqual(home.catalogDirectories.map(\.lastPathComponent), ["intents.d"])
        let timer = try XCTUnwrap(home.catalog.intent(named: "start_timer"))
        XCTAssertEqual(timer.slot(named: "duration")?.type, .duration(min: 1, max: 7200))
        XCTAssertEqual(home.catalog.intents.count, defaultCatalog.intents.count + 1)
        let expander = TemplateExpander(catalog: home.catalog, registry: home.registry)
        let texts = expander.expansions(of: timer).map(\.text)
        XCTAssertTrue(texts.contains("set a timer for half an hour"))
        XCTAssertTrue(texts.contains("ninety seconds timer"))
        XCTAssertEqual(try home.catalog.decodeCanonical("start_timer duration=1800").slots["duration"], .int(1800))
    }

    func testDaemonKeysAreSkippedButOtherUnknownKeysAreErrors() {
        XCTAssertEqual(Registry.daemonKeys, ["mqtt", "audio", "speech", "parser", "logging", "hermes", "model"])
        let yaml = smallHomeYAML + "\naudio: {device: default}\nspeech: {}\nparser: 1\nlogging: x\nhermes: []\nmodel: {path: m.gguf}\n"
        XCTAssertNoThrow(try Registry.parse(yaml: yaml, file: "h.yaml"))
        let problems = expectDiagnostics { () throws(Diagnostics) in try Registry.parse(yaml: smallHomeYAML + "\nmqqt: {}\n", file: "h.yaml") }
        XCTAssertEqual(problems.count, 1)
        XCTAssertEqual(problems.first?.path, "mqqt")
        XCTAssertTrue(problems.first?.message.contains("unknown key 'mqqt'") == true)
    }
}
