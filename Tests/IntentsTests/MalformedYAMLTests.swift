import XCTest
@testable import Intents

/// Every malformed config or catalog must be reported with its exact line and field path.
final class MalformedYAMLTests: XCTestCase {
    struct Case {
        var name: String
        var yaml: String
        var line: Int
        var path: String
        var message: String
    }

    /// A valid registry prefix (lines 1–6) that config cases extend.
    static let head = """
    site: kitchen
    areas:
      - {id: kitchen, name: kitchen}
      - {id: bedroom, name: bedroom}
    devices:
      - {id: kitchen.lamp, name: lamp, area: kitchen, type: light, adapter: {tasmota: lamp}}

    """

    static let configCases: [Case] = [
        Case(name: "syntax error", yaml: head + "  - id: x\n   name: y\n", line: 8, path: "", message: "YAML syntax error"),
        Case(name: "unclosed flow mapping", yaml: head + "  - {id: a, name: b\n", line: 8, path: "", message: "YAML syntax error"),
        Case(name: "unknown top-level key", yaml: head + "scenez: []\n", line: 7, path: "scenez", message: "unknown key 'scenez' (did you mean 'scenes'?)"),
        Case(name: "duplicate device id", yaml: head + "  - {id: kitchen.lamp, name: other, area: kitchen, type: light, adapter: {tasmota: x}}\n",
             line: 7, path: "devices[1].id", message: "duplicate device id 'kitchen.lamp' (first defined at line 6)"),
        Case(name: "unknown area", yaml: head + "  - id: bedroom.fan\n    name: fan\n    area: kitchn\n    type: fan\n    adapter: {tasmota: fan}\n",
             line: 9, path: "devices[1].area", message: "unknown area 'kitchn' (did you mean 'kitchen'?) (known: kitchen, bedroom)"),
        Case(name: "unknown type", yaml: head + "  - {id: a.b, name: n, area: kitchen, type: dimmer, adapter: {tasmota: x}}\n",
             line: 7, path: "devices[1].type", message: "unknown device type 'dimmer'"),
        Case(name: "unknown adapter kind", yaml: head + "  - id: a.b\n    name: n\n    area: kitchen\n    type: light\n    adapter: {zigbee: lamp2}\n",
             line: 11, path: "devices[1].adapter.zigbee", message: "unknown key 'zigbee'"),
        Case(name: "two adapters", yaml: head + "  - id: a.b\n    name: n\n    area: kitchen\n    type: light\n    adapter:\n      tasmota: x\n      zigbee2mqtt: y\n",
             line: 12, path: "devices[1].adapter", message: "exactly one adapter, found tasmota and zigbee2mqtt"),
        Case(name: "bad Home Assistant entity", yaml: head + "  - id: a.b\n    name: n\n    area: kitchen\n    type: light\n    adapter: {homeassistant: kitchen light}\n",
             line: 11, path: "devices[1].adapter.homeassistant", message: "invalid Home Assistant entity id"),
        Case(name: "generic adapter without topic", yaml: head + "  - id: a.b\n    name: n\n    area: kitchen\n    type: light\n    adapter:\n      generic:\n        payload: 'on'\n",
             line: 13, path: "devices[1].adapter.generic.topic", message: "missing required key 'topic'"),
        Case(name: "wildcard topic", yaml: head + "  - id: a.b\n    name: n\n    area: kitchen\n    type: light\n    adapter: {generic: {topic: home/+/set}}\n",
             line: 11, path: "devices[1].adapter.generic.topic", message: "invalid MQTT topic"),
        Case(name: "empty name", yaml: head + "  - id: a.b\n    name: ''\n    area: kitchen\n    type: light\n    adapter: {tasmota: x}\n",
             line: 8, path: "devices[1].name", message: "must not be empty"),
        Case(name: "missing adapter", yaml: head + "  - id: a.b\n    name: n\n    area: kitchen\n    type: light\n",
             line: 7, path: "devices[1].adapter", message: "missing required key 'adapter'"),
        Case(name: "alias shared in one area", yaml: head + "  - id: a.b\n    name: ceiling\n    aliases: [big light, lamp]\n    area: kitchen\n    type: light\n    adapter: {tasmota: x}\n",
             line: 9, path: "devices[1].aliases[1]", message: "alias 'lamp' is also used by device 'kitchen.lamp' in area 'kitchen'"),
        Case(name: "unknown capability override", yaml: head + "  - id: a.b\n    name: n\n    area: kitchen\n    type: light\n    capabilities: [on_off, dimming]\n    adapter: {tasmota: x}\n",
             line: 11, path: "devices[1].capabilities[1]", message: "unknown capability 'dimming'"),
        Case(name: "invalid device id", yaml: head + "  - {id: Kitchen.Lamp2, name: n, area: kitchen, type: light, adapter: {tasmota: x}}\n",
             line: 7, path: "devices[1].id", message: "invalid device id 'Kitchen.Lamp2'"),
        Case(name: "policy not boolean", yaml: head + "  - id: a.b\n    name: n\n    area: kitchen\n    type: lock\n    adapter: {tasmota: x}\n    policy: {confirm: sometimes}\n",
             line: 12, path: "devices[1].policy.confirm", message: "expected true or false"),
        Case(name: "unknown site", yaml: head.replacingOccurrences(of: "site: kitchen", with: "site: garage"),
             line: 1, path: "site", message: "unknown area 'garage'"),
        Case(name: "duplicate area id", yaml: head.replacingOccurrences(of: "{id: bedroom, name: bedroom}", with: "{id: kitchen, name: cooking}"),
             line: 4, path: "areas[1].id", message: "duplicate area id 'kitchen' (first defined at line 3)"),
        Case(name: "duplicate YAML key", yaml: head + "  - id: a.b\n    name: n\n    name: m\n    area: kitchen\n    type: light\n    adapter: {tasmota: x}\n",
             line: 8, path: "", message: "duplicate key 'name'"),
        Case(name: "scene action out of range", yaml: head + "scenes:\n  - id: bright\n    name: bright\n    actions:\n      - turn_on device=kitchen.lamp\n      - set_brightness device=kitchen.lamp brightness=50\n",
             line: 12, path: "scenes[0].actions[1]", message: "device 'kitchen.lamp' lacks capability 'brightness'"),
        Case(name: "scene action syntax", yaml: head + "scenes:\n  - id: s\n    name: s\n    actions: [\"turn_on device=Kitchen\"]\n",
             line: 10, path: "scenes[0].actions[0]", message: "invalid value 'Kitchen'"),
    ]

    static let catalogCases: [Case] = [
        Case(name: "catalog syntax error", yaml: "intents:\n  a:\n    description: \"unterminated\n", line: 4, path: "", message: "YAML syntax error"),
        Case(name: "unknown intent key", yaml: "intents:\n  dim:\n    description: d\n    templtes: [\"dim it\"]\n",
             line: 4, path: "intents.dim.templtes", message: "unknown key 'templtes' (did you mean 'templates'?)"),
        Case(name: "slot with unknown type", yaml: "intents:\n  dim:\n    description: d\n    slots:\n      level: {type: percentage}\n    templates: [\"dim to {level}\"]\n",
             line: 5, path: "intents.dim.slots.level.type", message: "unknown slot type 'percentage'"),
        Case(name: "undeclared slot", yaml: "intents:\n  dim:\n    description: d\n    slots:\n      level: percent\n    templates:\n      - \"dim to {level}\"\n      - \"dim to {levle}\"\n",
             line: 8, path: "intents.dim.templates[1]", message: "references undeclared slot '{levle}'"),
        Case(name: "unbalanced parenthesis", yaml: "intents:\n  dim:\n    description: d\n    templates:\n      - \"(dim|lower the lights\"\n",
             line: 5, path: "intents.dim.templates[0]", message: "unclosed '('"),
        Case(name: "stray bracket", yaml: "intents:\n  dim:\n    description: d\n    templates:\n      - \"dim] the lights\"\n",
             line: 5, path: "intents.dim.templates[0]", message: "unbalanced ']'"),
        Case(name: "number range min > max", yaml: "intents:\n  n:\n    description: d\n    slots:\n      x: {type: number, min: 10,\n          max: 5}\n    templates: [\"set {x}\"]\n",
             line: 5, path: "intents.n.slots.x.min", message: "min 10 is greater than max 5"),
        Case(name: "unknown capability in target", yaml: "intents:\n  dim:\n    description: d\n    target: {capability: dimming}\n    templates: [\"dim <target>\"]\n",
             line: 4, path: "intents.dim.target.capability", message: "unknown capability 'dimming'"),
        Case(name: "keyword of two words", yaml: "intents:\n  fade:\n    description: d\n    target: {capability: brightness}\n    keywords: [fade, fade out]\n    templates: [\"fade <target>\"]\n",
             line: 5, path: "intents.fade.keywords[1]", message: "a keyword is one lowercase word ('fade out')"),
        Case(name: "keywords without a target", yaml: "intents:\n  hum:\n    description: d\n    keywords: [hum]\n    templates: [\"hum a tune\"]\n",
             line: 4, path: "intents.hum.keywords[0]", message: "keywords need a 'target:'"),
        Case(name: "unknown rule", yaml: "intents:\n  dim:\n    description: d\n    target: {capability: brightness}\n    templates: [\"dim <targte>\"]\n",
             line: 5, path: "intents.dim.templates[0]", message: "unknown rule '<targte>'"),
        Case(name: "required slot missing in an alternative", yaml: "intents:\n  n:\n    description: d\n    slots:\n      x: percent\n    templates:\n      - \"set (it|it to {x})\"\n",
             line: 7, path: "intents.n.templates[0]", message: "can expand without required slot '{x}'"),
        Case(name: "missing target", yaml: "intents:\n  n:\n    description: d\n    target: {capability: on_off}\n    templates:\n      - \"switch on\"\n",
             line: 6, path: "intents.n.templates[0]", message: "can expand without a target"),
        Case(name: "bad colour", yaml: "colors:\n  beige: \"#F5F5DZ\"\n", line: 2, path: "colors.beige", message: "expected a colour as #RRGGBB"),
        Case(name: "step on percent", yaml: "intents:\n  n:\n    description: d\n    slots:\n      x: {type: percent, step: 5}\n    templates: [\"set {x}\"]\n",
             line: 5, path: "intents.n.slots.x.step", message: "'step' does not apply to slot type 'percent'"),
        Case(name: "duplicate intent across files", yaml: "intents:\n  turn_on:\n    description: again\n    templates: [\"on\"]\n",
             line: 2, path: "intents.turn_on", message: "intent 'turn_on' is already defined at"),
        Case(name: "unused slot", yaml: "intents:\n  n:\n    description: d\n    slots:\n      x: percent\n      y: {type: percent, optional: true}\n    templates: [\"set {x}\"]\n",
             line: 6, path: "intents.n.slots.y", message: "slot 'y' is not referenced by any template"),
        Case(name: "missing templates", yaml: "intents:\n  n:\n    description: d\n", line: 3, path: "intents.n.templates", message: "missing required key 'templates'"),
        Case(name: "reserved slot name with target", yaml: "intents:\n  n:\n    description: d\n    target: on_off\n    slots:\n      device: area\n    templates: [\"on <target>\"]\n",
             line: 6, path: "intents.n.slots.device", message: "reserved for the target"),
    ]

    static let defaultFiles: [(name: String, text: String)] = {
        guard case let .success(files) = Catalog.catalogFiles(in: Catalog.defaultDirectory) else { fatalError("no default catalog") }
        return files
    }()

    func check(_ c: Case, _ problems: [Diagnostic], file: String) {
        let match = problems.contains { $0.file == file && $0.line == c.line && $0.path == c.path && $0.message.contains(c.message) }
        XCTAssertTrue(match, "\(c.name): expected \(file):\(c.line): \(c.path): …\(c.message)…, got:\n\(Diagnostics(problems))")
    }

    func testMalformedConfigsNameTheirLineAndField() {
        XCTAssertGreaterThanOrEqual(Self.configCases.count + Self.catalogCases.count, 15)
        for c in Self.configCases {
            let problems = expectDiagnostics { () throws(Diagnostics) in try Registry.parse(yaml: c.yaml, file: "hark.yaml", catalog: defaultCatalog) }
            check(c, problems, file: "hark.yaml")
        }
    }

    func testMalformedCatalogsNameTheirLineAndField() {
        for c in Self.catalogCases {
            let problems = expectDiagnostics { () throws(Diagnostics) in try Catalog.parse(files: Self.defaultFiles + [("mine.yaml", c.yaml)]) }
            check(c, problems, file: "mine.yaml")
            XCTAssertTrue(problems.allSatisfy { $0.file == "mine.yaml" }, "\(c.name): problems reported in the default catalog:\n\(Diagnostics(problems))")
        }
    }

    func testTemplateErrorsPointAtTheColumn() {
        let yaml = "intents:\n  dim:\n    description: d\n    templates:\n      - \"(dim|lower the lights\"\n      - 'dim {x'\n"
        let problems = expectDiagnostics { () throws(Diagnostics) in try Catalog.parse(files: [("c.yaml", yaml)]) }
        XCTAssertEqual(problems.map(\.description), [
            "c.yaml:5:10: intents.dim.templates[0]: template '(dim|lower the lights': unclosed '(' (missing ')')",
            "c.yaml:6:14: intents.dim.templates[1]: template 'dim {x': unclosed '{' (expected '}')",
        ])
    }

    func testAllProblemsAreReportedNotJustTheFirst() {
        let yaml = Self.head + "  - {id: a.b, name: n, area: nowhere, type: gizmo, adapter: {carrier_pigeon: x}}\nextra: 1\n"
        let problems = expectDiagnostics { () throws(Diagnostics) in try Registry.parse(yaml: yaml, file: "h.yaml") }
        XCTAssertEqual(problems.map(\.path), ["devices[1].area", "devices[1].type", "devices[1].adapter.carrier_pigeon", "extra"])
        XCTAssertEqual(problems.map(\.line), [7, 7, 7, 8])
        XCTAssertEqual(problems[0].description, "h.yaml:7:30: devices[1].area: unknown area 'nowhere' (known: kitchen, bedroom)")
    }

    func testAmbiguousDeviceNamesAreWarnings() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("hark-ambiguous-\(UUID().uuidString).yaml")
        defer { try? FileManager.default.removeItem(at: dir) }
        try (Self.head + "  - {id: kitchen.main, name: kitchen lights, area: kitchen, type: light, adapter: {tasmota: m}}\n")
            .write(to: dir, atomically: true, encoding: .utf8)
        let home: HomeConfiguration
        do { home = try HomeConfiguration.load(configFile: dir) } catch { return XCTFail("\(error)") }
        XCTAssertEqual(home.warnings.count, 1)
        let w = try XCTUnwrap(home.warnings.first)
        XCTAssertEqual(w.severity, .warning)
        XCTAssertEqual(w.line, 7)
        XCTAssertTrue(w.description.contains(": warning: devices[1].name: device 'kitchen.main' is called 'kitchen lights', which is also area 'kitchen' plus the light word 'lights'"), w.description)
    }
}
