import Foundation
import Intents
import MQTT
import XCTest

@testable import Hub

final class DaemonConfigurationTests: XCTestCase {
    private var exampleFile: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("deploy/hark.example.yaml")
    }

    func testTheExampleConfigurationLoads() throws {
        let home = try HomeConfiguration.load(configFile: exampleFile)
        let configuration = try DaemonConfiguration.load(configFile: exampleFile, registry: home.registry)
        XCTAssertEqual(configuration.mqtt.connection.host, "localhost")
        XCTAssertEqual(configuration.mqtt.connection.port, 1883)
        XCTAssertEqual(configuration.mqtt.connection.clientID, "hark-kitchen")
        XCTAssertEqual(configuration.mqtt.adapters.zigbee2mqttBase, "zigbee2mqtt")
        XCTAssertEqual(configuration.hermes, HermesSettings(enabled: true, siteID: "kitchen"))
        XCTAssertEqual(configuration.parser.confidenceThreshold, 0.5)
        XCTAssertEqual(configuration.logging.level, .info)
        XCTAssertEqual(configuration.mqtt.inputQueueLimit, 256)
        XCTAssertTrue(configuration.mqtt.connection.cleanSession)
    }

    func testEverySettingIsRead() throws {
        let yaml = """
        site: kitchen
        mqtt:
          host: broker.lan
          port: 8883
          client_id: hark-2
          keepalive: 20
          username: hark
          password_file: /etc/hark/pw
          tls: {ca_file: /etc/ca.pem, cert_file: /etc/c.pem, key_file: /etc/k.pem}
          persistent_session: true
          outbox_limit: 500
          input_queue: 64
          zigbee2mqtt_base: z2m
          homeassistant_base: ha
          homeassistant:
            light.kitchen: {command_topic: a/b, state_topic: a/c}
          brightness_step: 15
          volume_step: 5
        hermes: {enabled: false, site_id: default, sites: {satellite1: kitchen}}
        parser: {confidence_threshold: 0.7}
        logging: {level: debug}
        audio: {device: default}
        """
        let c = try DaemonConfiguration.parse(yaml: yaml, file: "hark.yaml")
        XCTAssertEqual(c.mqtt.connection.host, "broker.lan")
        XCTAssertEqual(c.mqtt.connection.port, 8883)
        XCTAssertEqual(c.mqtt.connection.clientID, "hark-2")
        XCTAssertEqual(c.mqtt.connection.keepAliveSeconds, 20)
        XCTAssertEqual(c.mqtt.connection.credentials, .init(username: "hark", password: .file("/etc/hark/pw")))
        XCTAssertEqual(c.mqtt.connection.tls, .init(caFile: "/etc/ca.pem", certificateFile: "/etc/c.pem", keyFile: "/etc/k.pem"))
        XCTAssertFalse(c.mqtt.connection.cleanSession)
        XCTAssertEqual(c.mqtt.connection.outboxLimit, 500)
        XCTAssertEqual(c.mqtt.inputQueueLimit, 64)
        XCTAssertEqual(c.mqtt.adapters.zigbee2mqttBase, "z2m")
        XCTAssertEqual(c.mqtt.adapters.homeAssistantBase, "ha")
        XCTAssertEqual(c.mqtt.adapters.homeAssistantEntities["light.kitchen"], HomeAssistantTopics(commandTopic: "a/b", stateTopic: "a/c"))
        XCTAssertEqual(c.mqtt.adapters.brightnessStep, 15)
        XCTAssertEqual(c.mqtt.adapters.volumeStep, 5)
        XCTAssertEqual(c.hermes, HermesSettings(enabled: false, siteID: "default", sites: ["satellite1": "kitchen"]))
        XCTAssertEqual(c.parser.confidenceThreshold, 0.7)
        XCTAssertEqual(c.logging.level, .debug)
    }

    func testProblemsNameFileLineAndFieldAllAtOnce() {
        let yaml = """
        mqtt:
          host: localhost
          port: 70000
          clientid: x
          tls: {ca_file: /ca.pem, cert_file: /c.pem}
          password_file: /pw
          zigbee2mqtt_base: "z2m/#"
          brightness_step: many
        hermes:
          enabled: maybe
          sites: {sat: garage}
        parser: {confidence_threshold: 1.5}
        logging: {level: verbose}
        """
        let registry = Registry(site: "kitchen", areas: [Area(id: "kitchen", name: "kitchen")], devices: [])
        XCTAssertThrowsError(try DaemonConfiguration.parse(yaml: yaml, file: "hark.yaml", registry: registry)) { error in
            let lines = (error as? Diagnostics)?.items.map(\.description) ?? ["\(error)"]
            XCTAssertEqual(lines, [
                "hark.yaml:3:9: mqtt.port: 70000 is not in 1...65535",
                "hark.yaml:4:3: mqtt.clientid: unknown key 'clientid' (did you mean 'client_id'?) (expected one of: host, port, client_id, keepalive, username, password_file, tls, persistent_session, outbox_limit, input_queue, zigbee2mqtt_base, homeassistant_base, homeassistant, brightness_step, volume_step)",
                "hark.yaml:5:8: mqtt.tls: cert_file and key_file must be given together",
                "hark.yaml:6:18: mqtt.password_file: needs 'username' as well",
                "hark.yaml:7:21: mqtt.zigbee2mqtt_base: invalid MQTT topic 'z2m/#' (no wildcards '+' or '#', no control characters)",
                "hark.yaml:8:20: mqtt.brightness_step: expected an integer, found 'many'",
                "hark.yaml:10:12: hermes.enabled: expected true or false, found 'maybe'",
                "hark.yaml:11:16: hermes.sites.sat: unknown area 'garage' (known: kitchen)",
                "hark.yaml:12:32: parser.confidence_threshold: 1.5 is not in 0...1",
                "hark.yaml:13:18: logging.level: unknown level 'verbose' (expected one of: debug, info, warning, error)",
            ])
        }
    }

    func testHomeAssistantOverridesMustNameARegistryEntity() {
        let yaml = """
        mqtt:
          homeassistant:
            light.kitchn: {command_topic: a/b}
        """
        let registry = Registry(areas: [Area(id: "kitchen", name: "kitchen")], devices: [
            Device(id: "kitchen.light", name: "light", area: "kitchen", type: .light, adapter: .homeAssistant(entityID: "light.kitchen")),
        ])
        XCTAssertThrowsError(try DaemonConfiguration.parse(yaml: yaml, file: "h.yaml", registry: registry)) { error in
            XCTAssertEqual("\(error)", "h.yaml:3:5: mqtt.homeassistant.light.kitchn: no device uses Home Assistant entity 'light.kitchn' (did you mean 'light.kitchen'?)")
        }
    }

    func testMissingSectionsTakeDefaultsAndSyntaxErrorsAreReported() throws {
        XCTAssertEqual(try DaemonConfiguration.parse(yaml: "site: kitchen\n", file: "a.yaml"), DaemonConfiguration())
        XCTAssertThrowsError(try DaemonConfiguration.parse(yaml: "mqtt: [\n", file: "b.yaml")) { error in
            XCTAssertTrue("\(error)".hasPrefix("b.yaml:2:1: YAML syntax error"), "\(error)")
        }
        XCTAssertThrowsError(try DaemonConfiguration.load(configFile: URL(fileURLWithPath: "/nonexistent/hark.yaml"))) { error in
            XCTAssertEqual("\(error)", "/nonexistent/hark.yaml:1:1: cannot read configuration file")
        }
    }
}
