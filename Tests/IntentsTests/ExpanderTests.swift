import Foundation
import XCTest
@testable import Intents

final class ExpanderTests: XCTestCase {
    /// A catalog with small intents whose expansion counts can be worked out by hand.
    static let tinyCatalog: Catalog = {
        let yaml = """
        rules:
          target: "([the] {device}|[the] {area} {domain}|[the] {domain})"
        domains:
          light: [lights]
          switch: [plugs, sockets]
        colors:
          red: "#FF0000"
          blue: {hex: "#0000FF", phrases: [blue, navy]}
        intents:
          turn_on:
            description: on
            target: {capability: on_off}
            templates:
              - "(turn|switch) on <target>"
          set_brightness:
            description: brightness
            target: {capability: brightness}
            slots:
              brightness: {type: percent, min: 10, max: 12}
            templates:
              - "set [the] {device} to {brightness} [percent]"
          set_color:
            description: colour
            target: {capability: color, optional: true}
            slots:
              color: color
            templates:
              - "[make it] {color}"
          greet:
            description: none-like
            templates:
              - "(hi|hello) [there] [(friend|pal)]"
        """
        do { return try Catalog.parse(files: [("tiny.yaml", yaml)]) } catch { fatalError("\(error)") }
    }()

    static let tinyHome: Registry = {
        var strip = Device(id: "kitchen.strip", name: "strip", area: "kitchen", type: .colorLight, adapter: .tasmota(topic: "strip"))
        strip.aliases = ["led strip"]
        return Registry(site: "kitchen", areas: [Area(id: "kitchen", name: "kitchen"), Area(id: "bedroom", name: "bedroom", aliases: ["bed room"])],
                        devices: [
                            Device(id: "kitchen.lamp", name: "lamp", area: "kitchen", type: .dimmableLight, adapter: .tasmota(topic: "lamp")),
                            strip,
                            Device(id: "bedroom.plug", name: "heater plug", area: "bedroom", type: .outlet, adapter: .tasmota(topic: "plug")),
                        ])
    }()

    let expander = TemplateExpander(catalog: tinyCatalog, registry: tinyHome)

    func intent(_ name: String) -> Intent { Self.tinyCatalog.intent(named: name)! }

    func testPathCountsOfSmallTemplates() throws {
        func paths(_ s: String) throws -> Int { try Template(parsing: s, location: SourceLocation(file: "t", line: 1, column: 1)).root.pathCount }
        XCTAssertEqual(try paths("turn on"), 1)
        XCTAssertEqual(try paths("(turn|switch) on"), 2)
        XCTAssertEqual(try paths("(turn|switch) on [the] lights"), 4)
        XCTAssertEqual(try paths("[please] (a|b|c) [x|y]"), 18)
        XCTAssertEqual(try paths("(a|(b|c) [d])"), 5)
        XCTAssertEqual(try paths("(please|)"), 2)
    }

    func testExpansionCountsMatchEnumeration() {
        // greet: 2 × 2 × 3 paths, no slots.
        XCTAssertEqual(expander.count(intent("greet")), 12)
        // turn_on: 2 verbs × (device: 3 devices × [the] 2 = 6 phrases... lamp, strip, led strip, heater plug = 4 phrases × 2
        //   + area+domain: kitchen lights, bedroom plugs/sockets, bed room plugs/sockets = 1 + 2 + 2 = 5 × 2
        //   + domain only in the site (kitchen): lights = 1 × 2) = 2 × (8 + 10 + 2) = 40
        XCTAssertEqual(expander.count(intent("turn_on")), 40)
        // set_brightness: devices with brightness (lamp, strip, led strip) 3 × [the] 2 × values 10...12 (3 × digits/words) 6 × [percent] 2
        XCTAssertEqual(expander.count(intent("set_brightness")), 72)
        // set_color: optional target, never named: 2 paths × colour phrases (red, blue, navy) 3; site has a colour light
        XCTAssertEqual(expander.count(intent("set_color")), 6)
        for name in ["greet", "turn_on", "set_brightness", "set_color"] {
            let all = expander.expansions(of: intent(name))
            XCTAssertEqual(all.count, expander.count(intent(name)), name)
            XCTAssertEqual(Set(all.map { "\($0.text)|\($0.action)" }).count, all.count, "\(name): no duplicate pairs")
        }
        let texts = Set(expander.expansions(of: intent("turn_on")).map { "\($0.text) -> \($0.action)" })
        XCTAssertTrue(texts.contains("switch on the led strip -> turn_on device=kitchen.strip"))
        XCTAssertTrue(texts.contains("turn on bed room sockets -> turn_on area=bedroom domain=switch"))
        XCTAssertTrue(texts.contains("turn on the lights -> turn_on domain=light"))
        XCTAssertFalse(texts.contains { $0.contains("kitchen plugs") }, "no area+domain pair without a device")
        XCTAssertFalse(texts.contains { $0.hasPrefix("turn on plugs") }, "domain-only targets need a device in the site's area")
        let brightness = Set(expander.expansions(of: intent("set_brightness")).map(\.text))
        XCTAssertTrue(brightness.contains("set the lamp to eleven percent"))
        XCTAssertTrue(brightness.contains("set led strip to 12"))
        XCTAssertEqual(expander.expansions(of: intent("turn_on"), limit: 5).count, 5)
    }

    func testCountsForTreesOutsideTheCatalog() throws {
        let t = try Template(parsing: "[please] make it {color}", location: SourceLocation(file: "t", line: 1, column: 1))
        XCTAssertEqual(expander.count(t.root, for: intent("set_color")), 6)
        // set_brightness needs a target: the same shape without one has no expansion.
        let untargeted = try Template(parsing: "[please] set {brightness}", location: SourceLocation(file: "t", line: 1, column: 1))
        XCTAssertEqual(expander.count(untargeted.root, for: intent("set_brightness")), 0)
    }

    func testSiteChangesDomainOnlyExpansions() {
        let inBedroom = TemplateExpander(catalog: Self.tinyCatalog, registry: Self.tinyHome, site: "bedroom")
        let texts = inBedroom.expansions(of: intent("turn_on")).map(\.text)
        XCTAssertTrue(texts.contains("turn on plugs"))
        XCTAssertFalse(texts.contains("turn on lights"))
        XCTAssertEqual(inBedroom.count(intent("set_color")), 0, "no colour light in the bedroom for a target-less command")
    }

    func testSamplingIsSeededAndEveryDefaultExpansionResolves() throws {
        let home = try HomeConfiguration.load(configFile: repositoryRoot.appendingPathComponent("deploy/hark.example.yaml"))
        for site in home.registry.areas.map(\.id) {
            let ex = TemplateExpander(catalog: home.catalog, registry: home.registry, site: site)
            let resolver = ActionResolver(catalog: home.catalog, registry: home.registry)
            var rng = SeededGenerator(seed: 42)
            let samples = ex.sample(count: 800, using: &rng)
            XCTAssertEqual(samples.count, 800)
            for e in samples {
                XCTAssertEqual(e.site, site)
                XCTAssertFalse(e.text.isEmpty)
                XCTAssertEqual(e.text, e.text.lowercased())
                XCTAssertFalse(e.text.contains("  "))
                do {
                    let r = try resolver.resolve(e.action, site: site)
                    XCTAssertEqual(r.canonical, e.action, "expansions are already canonical")
                    XCTAssertEqual(try home.catalog.decodeCanonical(e.action.text), e.action)
                    if let target = home.catalog.intent(named: e.intent)?.target {
                        XCTAssertFalse(r.devices.isEmpty)
                        XCTAssertTrue(r.devices.allSatisfy { home.registry.device(id: $0)!.has(target.capability) })
                    }
                } catch {
                    XCTFail("'\(e.text)' -> \(e.action) at \(site): \(error)")
                }
            }
            // Sampling reaches devices, areas and domains, not only the most numerous phrasings.
            let shapes = Set(samples.flatMap { $0.action.slots.names })
            XCTAssertTrue(shapes.isSuperset(of: ["device", "area", "domain"]), "\(shapes)")
            XCTAssertEqual(Set(samples.map(\.intent)).count, home.catalog.intents.count, "every intent sampled at \(site)")
        }
        var a = SeededGenerator(seed: 7), b = SeededGenerator(seed: 7)
        let ex = TemplateExpander(catalog: home.catalog, registry: home.registry)
        XCTAssertEqual(ex.sample(count: 50, using: &a), ex.sample(count: 50, using: &b))
    }

    func testEveryEnumeratedExpansionOfTheDefaultCatalogResolvesOnASmallHome() {
        let ex = TemplateExpander(catalog: defaultCatalog, registry: smallHome)
        let resolver = ActionResolver(catalog: defaultCatalog, registry: smallHome)
        for intent in defaultCatalog.intents {
            var n = 0
            ex.forEachExpansion(of: intent) { e in
                n += 1
                if (try? resolver.resolve(e.action)) == nil { XCTFail("\(e.text) -> \(e.action) does not resolve") ; return false }
                return n < 3000
            }
            let reachable = intent.target.map { !smallHome.devices(with: $0.capability).isEmpty } ?? true
            XCTAssertEqual(n > 0, reachable, "\(intent.name) has expansions exactly when the small home has a device for it")
        }
    }

    func testVocabularySaysNumbersAndNames() {
        let v = SlotVocabulary(catalog: defaultCatalog, registry: smallHome)
        let percent = v.values(for: .percent(min: 0, max: 100))
        XCTAssertEqual(percent.count, 101)
        XCTAssertEqual(percent[30].phrases, ["30", "thirty"])
        let temps = v.values(for: .temperature(min: SlotNumber(20), max: SlotNumber(21), step: SlotNumber(tenths: 5)))
        XCTAssertEqual(temps.map(\.value), [.int(20), .number(SlotNumber(tenths: 205)), .int(21)])
        XCTAssertEqual(temps[1].phrases, ["20.5", "twenty point five", "twenty and a half"])
        let ct = v.values(for: .colorTemp(min: 2600, max: 2800))
        XCTAssertEqual(ct.map(\.value), [.int(2600), .int(2700), .int(2800)])
        XCTAssertEqual(ct[1].phrases, ["warm", "warm white", "2700 kelvin"])
        XCTAssertEqual(v.values(for: .device(capability: .brightness)).map(\.value.description), ["kitchen.ceiling", "kitchen.strip", "bedroom.lamp"])
        XCTAssertEqual(v.values(for: .area).first { $0.value == .id("bedroom") }?.phrases, ["bedroom", "sleeping room"])
        XCTAssertEqual(SlotVocabulary.durationPhrases(1800), ["30 minutes", "thirty minutes", "half an hour"])
        XCTAssertEqual(SlotVocabulary.durationPhrases(3600), ["an hour", "one hour", "1 hour"])
    }
}
