import XCTest
@testable import Intents

final class TemplateTests: XCTestCase {
    let here = SourceLocation(file: "t.yaml", line: 3, column: 7)

    func testASTMirrorsTheSource() throws {
        let t = try Template(parsing: "(turn|switch) on [the] {device}[?]", location: here)
        XCTAssertEqual(t.root, .sequence([
            .alternatives([.text("turn"), .text("switch")]),
            .text(" on "),
            .optional(.text("the")),
            .text(" "),
            .slot("device"),
            .optional(.text("?")),
        ]))
        XCTAssertEqual(t.root.slotNames, ["device"])
        XCTAssertEqual(try Template(parsing: "[please|kindly] <target>", location: here).root,
                       .sequence([.optional(.alternatives([.text("please"), .text("kindly")])), .text(" "), .rule("target")]))
        XCTAssertEqual(try Template(parsing: "(please|)", location: here).root, .alternatives([.text("please"), .sequence([])]))
        XCTAssertEqual(try Template(parsing: "(on)", location: here).root, .alternatives([.text("on")]))
    }

    func testSyntaxErrors() {
        let cases: [(String, Int, String)] = [
            ("(turn|switch on", 0, "unclosed '('"),
            ("turn) on", 4, "unbalanced ')'"),
            ("[the lights", 0, "unclosed '['"),
            ("(a]", 2, "']' does not match '('"),
            ("turn on {device", 8, "unclosed '{'"),
            ("turn on {}", 8, "empty slot reference"),
            ("turn on {Device}", 8, "invalid slot name 'Device'"),
            ("turn <on", 5, "unclosed '<'"),
            ("a | b", 2, "'|' outside a group"),
            ("turn on }", 8, "unbalanced '}'"),
            ("   ", 0, "empty template"),
        ]
        for (source, offset, message) in cases {
            do {
                _ = try Template(parsing: source, location: here)
                XCTFail("'\(source)' parsed")
            } catch {
                XCTAssertEqual(error.offset, offset, source)
                XCTAssertTrue(error.message.contains(message), "\(source): \(error.message)")
            }
        }
    }

    func testResponseTemplates() throws {
        let r = try XCTUnwrap(defaultCatalog.intent(named: "query_temperature")?.response)
        XCTAssertEqual(r.render(["temperature": "21.5", "target": "the bedroom"]), "It is 21.5 degrees in the bedroom.")
        XCTAssertEqual(r.render([:]), r.source)
    }
}

final class PromptTextTests: XCTestCase {
    func testRegistryPromptIsCompactAndDeterministic() {
        let text = PromptText.registry(smallHome, site: nil)
        XCTAssertEqual(text, """
        site: kitchen
        areas: kitchen | bedroom (sleeping room) | hallway
        kitchen.ceiling: ceiling light | kitchen | on_off brightness
        kitchen.strip: led strip | kitchen | on_off brightness color color_temp
        kitchen.kettle: kettle | kitchen | on_off
        bedroom.lamp: bedside lamp (reading light) | bedroom | on_off brightness
        bedroom.thermostat: radiator | bedroom | on_off setpoint temperature
        hallway.door: front door | hallway | lock
        hallway.sensor: hall sensor | hallway | temperature humidity
        scenes: dinner
        """)
        XCTAssertEqual(PromptText.registry(smallHome, site: "bedroom").split(separator: "\n").first, "site: bedroom")
        XCTAssertEqual(PromptText.registry(smallHome, site: nil), text)
    }
}
