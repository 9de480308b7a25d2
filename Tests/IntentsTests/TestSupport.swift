import Foundation
import XCTest
@testable import Intents

/// The repository root, from this file's location.
let repositoryRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

/// The default catalog, loaded once.
let defaultCatalog: Catalog = {
    do { return try Catalog.load() } catch { fatalError("default catalog does not load:\n\(error)") }
}()

/// A small home used across tests: two areas with lights, a lock, a thermostat, a sensor, a scene.
let smallHomeYAML = """
site: kitchen
mqtt: {host: localhost}
areas:
  - {id: kitchen, name: kitchen}
  - {id: bedroom, name: bedroom, aliases: [sleeping room]}
  - {id: hallway, name: hallway}
devices:
  - id: kitchen.ceiling
    name: ceiling light
    area: kitchen
    type: dimmable_light
    adapter: {zigbee2mqtt: kitchen_ceiling}
  - id: kitchen.strip
    name: led strip
    area: kitchen
    type: color_light
    adapter: {homeassistant: light.kitchen_strip}
  - id: kitchen.kettle
    name: kettle
    area: kitchen
    type: outlet
    adapter: {tasmota: kettle}
  - id: bedroom.lamp
    name: bedside lamp
    aliases: [reading light]
    area: bedroom
    type: dimmable_light
    adapter: {tasmota: bedroom_lamp}
  - id: bedroom.thermostat
    name: radiator
    area: bedroom
    type: thermostat
    adapter: {homeassistant: climate.bedroom}
  - id: hallway.door
    name: front door
    area: hallway
    type: lock
    adapter: {zigbee2mqtt: front_door}
  - id: hallway.sensor
    name: hall sensor
    area: hallway
    type: sensor
    adapter: {generic: {topic: home/hall/sensor}}
scenes:
  - id: dinner
    name: dinner
    area: kitchen
    actions:
      - set_brightness domain=light brightness=40
      - turn_on device=kitchen.kettle
"""

let smallHome: Registry = {
    do { return try Registry.parse(yaml: smallHomeYAML, file: "small.yaml", catalog: defaultCatalog) } catch { fatalError("small home does not load:\n\(error)") }
}()

/// Runs `body` expecting `Diagnostics`; returns them (fails the test when nothing is thrown).
func expectDiagnostics<T>(_ body: () throws(Diagnostics) -> T, file: StaticString = #filePath, line: UInt = #line) -> [Diagnostic] {
    do {
        _ = try body()
        XCTFail("expected diagnostics, got success", file: file, line: line)
        return []
    } catch {
        return error.items
    }
}
