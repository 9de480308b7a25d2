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
        XCTAssertEqual(configuration.audio, AudioSettings(device: "default"))
        var speech = SpeechSettings(mode: .auto, model: "/usr/share/pocketsphinx/model/en-us", wakePhrase: "hey hark house",
                                    wakeThreshold: 1e-20, phoneLoopProbability: 1e-10, pushToTalk: false)
        speech.pronunciations = ["sonos": ["S OW N OW S"]]
        XCTAssertEqual(configuration.speech, speech)
    }

    func testAudioAndSpeechSettingsAreRead() throws {
        let yaml = """
        audio:
          device: plughw:1,0
          alsa_config: test/asound.conf
          sample_rate: 16000
          endpointing: {trailing_silence_ms: 400, complete_silence_ms: 150, max_utterance_s: 5.5, pre_roll_ms: 250, vad: energy}
        speech:
          enabled: false
          model: models/en-us
          wake_phrase: Okay Hark House
          wake_threshold: 1e-30
          phone_loop_probability: 1e-15
          push_to_talk: true
          listen_timeout_s: 4
          speculative_parse: false
        """
        let c = try DaemonConfiguration.parse(yaml: yaml, file: "hark.yaml")
        XCTAssertEqual(c.audio, AudioSettings(device: "plughw:1,0", alsaConfigurationFile: "test/asound.conf", trailingSilenceMs: 400,
                                              maximumUtteranceSeconds: 5.5, preRollMs: 250, completeSilenceMs: 150))
        XCTAssertEqual(c.speech, SpeechSettings(mode: .off, model: "models/en-us", wakePhrase: "okay hark house", wakeThreshold: 1e-30,
                                                phoneLoopProbability: 1e-15, pushToTalk: true, listenTimeoutSeconds: 4,
                                                speculativeParse: false))
        XCTAssertEqual(try DaemonConfiguration.parse(yaml: "speech: {enabled: true}", file: "a.yaml").speech.mode, .on)
        XCTAssertEqual(try DaemonConfiguration.parse(yaml: "audio: {endpointing: {complete_silence_ms: 0}}", file: "a.yaml").audio.completeSilenceMs, 0)
        XCTAssertThrowsError(try DaemonConfiguration.parse(yaml: "audio: {endpointing: {trailing_silence_ms: 300, complete_silence_ms: 300}}", file: "a.yaml")) { error in
            XCTAssertEqual((error as? Diagnostics)?.items.map(\.description), [
                "a.yaml:1:70: audio.endpointing.complete_silence_ms: must be shorter than trailing_silence_ms (300), or 0 to always wait that long",
            ])
        }
        XCTAssertEqual(try DaemonConfiguration.parse(yaml: "speech: {enabled: auto}", file: "a.yaml").speech.mode, .auto)

        // Relative paths are taken from the config file's directory.
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("hark-config-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let file = directory.appendingPathComponent("hark.yaml")
        try yaml.write(to: file, atomically: true, encoding: .utf8)
        let loaded = try DaemonConfiguration.load(configFile: file)
        XCTAssertEqual(loaded.audio.alsaConfigurationFile, directory.appendingPathComponent("test/asound.conf").standardized.path)
        XCTAssertEqual(loaded.speech.model, directory.appendingPathComponent("models/en-us").standardized.path)
    }

    func testAudioAndSpeechProblemsNameFileLineAndField() {
        let yaml = """
        audio:
          device: ""
          sample_rate: 44100
          endpointing: {trailing_silence_ms: 20, max_utterance_s: forever, vad: webrtc, complete_silence_ms: 9000}
          microphone: usb
        speech:
          enabled: sometimes
          wake_phrase: hey
          wake_threshold: 1
          phone_loop_probability: 0
          push_to_talk: 1x
          wakephrase: hey hark house
        """
        XCTAssertThrowsError(try DaemonConfiguration.parse(yaml: yaml, file: "hark.yaml")) { error in
            let lines = (error as? Diagnostics)?.items.map(\.description) ?? ["\(error)"]
            XCTAssertEqual(lines, [
                "hark.yaml:2:11: audio.device: must not be empty",
                "hark.yaml:3:16: audio.sample_rate: must be 16000 (Hark works on 16 kHz mono; the device's own rate is converted on capture)",
                "hark.yaml:4:38: audio.endpointing.trailing_silence_ms: 20 is not in 100...5000",
                "hark.yaml:4:59: audio.endpointing.max_utterance_s: expected a number, found 'forever'",
                "hark.yaml:4:73: audio.endpointing.vad: unknown voice activity detector 'webrtc' (expected: energy; WebRTC's VAD is not available in this build)",
                "hark.yaml:4:102: audio.endpointing.complete_silence_ms: 9000 is not in 0...5000",
                "hark.yaml:5:3: audio.microphone: unknown key 'microphone' (expected one of: device, alsa_config, sample_rate, endpointing)",
                "hark.yaml:7:12: speech.enabled: expected true, false or auto, found 'sometimes'",
                "hark.yaml:8:16: speech.wake_phrase: 'hey' is too short: use a phrase of three or more syllables (DESIGN.md section 5)",
                "hark.yaml:9:19: speech.wake_threshold: must be between 0 and 1, exclusive (typical: 1e-10 to 1e-40)",
                "hark.yaml:10:27: speech.phone_loop_probability: must be between 0 and 1, exclusive (typical: 1e-10 to 1e-40)",
                "hark.yaml:11:17: speech.push_to_talk: expected true or false, found '1x'",
                "hark.yaml:12:3: speech.wakephrase: unknown key 'wakephrase' (did you mean 'wake_phrase'?) (expected one of: enabled, model, wake_phrase, wake_threshold, phone_loop_probability, push_to_talk, listen_timeout_s, speculative_parse, pronunciations)",
            ])
        }
    }

    func testAddedPronunciationsAreReadAndCheckedWithTheirLine() throws {
        let good = try DaemonConfiguration.parse(yaml: """
        speech:
          pronunciations:
            sonos: S OW N OW S
            hue: [HH Y UW, Y UW]
        """, file: "a.yaml")
        XCTAssertEqual(good.speech.pronunciations, ["sonos": ["S OW N OW S"], "hue": ["HH Y UW", "Y UW"]])
        let yaml = """
        speech:
          pronunciations:
            Sonos: S OW N OW S
            hue: HH Y UW1
            nest: ""
            tado: [T AA D OW, t aa]
        """
        XCTAssertThrowsError(try DaemonConfiguration.parse(yaml: yaml, file: "hark.yaml")) { error in
            let lines = (error as? Diagnostics)?.items.map(\.description) ?? ["\(error)"]
            XCTAssertEqual(lines, [
                "hark.yaml:3:5: speech.pronunciations: 'Sonos' is not a lowercase word",
                "hark.yaml:4:10: speech.pronunciations.hue: 'UW1' is not a phone: phones are uppercase letters such as AA, HH, NG (Debian's en-us dictionary has no stress digits: write UW)",
                "hark.yaml:5:11: speech.pronunciations.nest: must not be empty",
                "hark.yaml:6:23: speech.pronunciations.tado: 't' is not a phone: phones are uppercase letters such as AA, HH, NG",
            ])
        }
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
