import Foundation
import Hub
import Inference
import MQTT
import MosquittoTestSupport
import SynthesisTestSupport
import XCTest

/// Issue 7 end to end: `hark run` as a separate process with the real model and a real mosquitto,
/// its capture device an ALSA `file` PCM reading a named pipe that the test writes in real time
/// (espeak-ng speech over a noise floor). Spoken commands after the wake phrase, and after a
/// push-to-talk request, reach their devices; SIGHUP with a new device rebuilds the speech grammar
/// and a spoken command reaches the new device; SIGTERM publishes the retained `offline` and exits 0.
final class SpeechDaemonProcessTests: HubTestCase {
    private let voice = Voice(name: "en-us", speed: 150)

    private func config(port: Int, alsa: String, withDeskLamp: Bool) -> String {
        """
        \(DaemonProcess.home(port: port, withDeskLamp: withDeskLamp))\
          client_id: hark-speech-e2e
        parser:
          confidence_threshold: 0.2
        audio:
          device: hark_mic
          alsa_config: \(alsa)
        speech:
          enabled: true
          push_to_talk: true
        logging:
          level: info
          stats_interval: 0

        """
    }

    private func speech(_ text: String) throws -> [Int16] {
        Synthesizer.withNoiseFloor(try Synthesizer.samples(text, voice: voice) + Synthesizer.silence(seconds: 1.2))
    }

    func testSpokenCommandsReachDevicesAcrossAReloadAndSIGTERMStopsCleanly() async throws {
        let model = try XCTUnwrap(ModelLocator.defaultModelPath(), ModelLocator.notFoundMessage())
        XCTAssertTrue(FileManager.default.fileExists(atPath: model), model)
        let hark = try DaemonProcess.executable()
        let broker = try startBroker()
        let directory = try makeDirectory()
        let fifo = try PacedFIFO(path: directory.appendingPathComponent("mic.fifo").path)
        addTeardownBlock { fifo.stop() }
        let alsa = try TestALSADevice.write(to: directory.appendingPathComponent("asound.conf").path, name: "hark_mic", infile: fifo.path)
        let file = directory.appendingPathComponent("hark.yaml")
        try config(port: broker.port, alsa: alsa, withDeskLamp: false).write(to: file, atomically: true, encoding: .utf8)
        let (client, inbox) = try await observer(broker, filters: ["hark/#", "zigbee2mqtt/#", "cmnd/#", "hermes/#"])
        // Synthesised before the daemon starts, so that speaking is only queueing.
        let wake = try speech("hey hark house")
        let coffee = try speech("turn on the coffee machine")
        let ceiling = try speech("turn off the ceiling light")
        let deskLamp = try speech("turn on the desk lamp")

        let daemon = try DaemonProcess(hark, ["run", "--config", file.path], logFile: directory.appendingPathComponent("hark.log"))
        addTeardownBlock { daemon.forceStop() }
        try await inbox.wait(for: "hark/status online", timeout: 120) { $0.last { $0.topic == "hark/status" }?.text == "online" }
        try await daemon.waitForLog("info listening ", timeout: 60)

        // The wake phrase, a pause, the command.
        fifo.say(wake + coffee)
        // The device command and the action are separate publishes: wait for both.
        let coffeeOn = try await inbox.wait(for: "the coffee machine switched on and its action", timeout: 60) {
            !$0.filter { $0.topic == "cmnd/coffee_plug/POWER" }.isEmpty && $0.contains { $0.topic == "hark/kitchen/action" }
        }
        XCTAssertEqual(coffeeOn.filter { $0.topic == "cmnd/coffee_plug/POWER" }.map(\.text), ["ON"], daemon.log)
        let action = try XCTUnwrap(inbox.on("hark/kitchen/action").last?.json, daemon.log)
        XCTAssertEqual(action["source"], .string("speech"))
        XCTAssertEqual(action["text"], .string("turn on the coffee machine"))
        XCTAssertNotNil(action["ms"]?["asr"], "\(action)")
        XCTAssertNotNil(action["ms"]?["parse"], "\(action)")
        XCTAssertEqual(inbox.on("hermes/hotword/hey_hark_house/detected").count, 1, daemon.log)
        XCTAssertEqual(inbox.on("hermes/asr/textCaptured").last?.json?["text"], .string("turn on the coffee machine"))

        // A command without the wake phrase is not acted on...
        fifo.say(ceiling)
        try await Task.sleep(for: .seconds(ceilingDuration(ceiling) + 2))
        XCTAssertTrue(inbox.on("zigbee2mqtt/kitchen_ceiling/set").isEmpty, daemon.log)
        // ...but after a push-to-talk request it is.
        try client.publish(topic: "hark/kitchen/listen", payload: "", qos: .atLeastOnce)
        try await daemon.waitForLog("push-to-talk", timeout: 10)
        fifo.say(ceiling)
        let ceilingOff = try await inbox.wait(for: "the ceiling light switched off", timeout: 60) { !$0.filter { $0.topic == "zigbee2mqtt/kitchen_ceiling/set" }.isEmpty }
        XCTAssertEqual(ceilingOff.filter { $0.topic == "zigbee2mqtt/kitchen_ceiling/set" }.first?.json?["state"], .string("OFF"), daemon.log)

        // SIGHUP with a desk lamp: the speech grammar follows, and the lamp can be named by voice.
        try config(port: broker.port, alsa: alsa, withDeskLamp: true).write(to: file, atomically: true, encoding: .utf8)
        daemon.signal(SIGHUP)
        try await daemon.waitForLog("speech grammar rebuilt", timeout: 60)
        fifo.say(wake + deskLamp)
        let lamp = try await inbox.wait(for: "the desk lamp switched on", timeout: 60) { !$0.filter { $0.topic == "zigbee2mqtt/desk_lamp/set" }.isEmpty }
        XCTAssertEqual(lamp.filter { $0.topic == "zigbee2mqtt/desk_lamp/set" }.first?.json?["state"], .string("ON"), daemon.log)
        XCTAssertEqual(inbox.on("hermes/hotword/hey_hark_house/detected").count, 2, daemon.log)

        // SIGTERM: exit code 0, retained offline, the speech stage stopped with the rest.
        daemon.signal(SIGTERM)
        let status = try await daemon.wait(timeout: 30)
        XCTAssertEqual(status & 0x7f, 0, "killed by signal \(status & 0x7f)\n\(daemon.log)")
        XCTAssertEqual((status >> 8) & 0xff, 0, "exit code\n\(daemon.log)")
        XCTAssertTrue(daemon.log.contains("speech stopped"), daemon.log)
        XCTAssertTrue(daemon.log.contains("hub stopped"), daemon.log)
        let (_, late) = try await observer(broker, filters: ["hark/status"])
        let retained = try await late.wait(for: "the retained status") { !$0.isEmpty }
        XCTAssertEqual(retained.first?.text, "offline")
        print(daemon.log.split(separator: "\n").filter { $0.contains(" heard ") || $0.contains(" command ") }.joined(separator: "\n"))
    }

    private func ceilingDuration(_ samples: [Int16]) -> Double { Double(samples.count) / 16_000 }
}
