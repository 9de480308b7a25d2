import Foundation
import Hub
import Inference
import MQTT
import MosquittoTestSupport
import XCTest

/// `hark run` as a separate process with the real model against a real mosquitto: a text command
/// reaches its device, SIGHUP loads a new device on the same connection, SIGTERM publishes the
/// retained `offline` and exits 0.
///
/// The commands are ones the committed adapter parses right ("Turn on the coffee machine.",
/// "dim the desk lamp"; checked with `hark parse --config`); the assertions are on the device
/// topics, so a misparse fails the test rather than passing it.
final class DaemonProcessTests: HubTestCase {
    private func config(port: Int, withDeskLamp: Bool) -> String {
        """
        \(DaemonProcess.home(port: port, withDeskLamp: withDeskLamp))\
          client_id: hark-e2e
        parser:
          confidence_threshold: 0.2
        logging:
          level: info
          stats_interval: 0

        """
    }

    private func send(_ client: MQTTClient, _ text: String, id: String) throws {
        try client.publish(topic: "hark/kitchen/text", payload: JSON.make(["text": .string(text), "id": .string(id)]).description, qos: .atLeastOnce)
    }

    /// The action or error the daemon answered `id` with, as "topic payload".
    private func answer(_ inbox: Inbox, id: String) async throws -> MQTTMessage {
        let topics = ["hark/kitchen/action", "hark/kitchen/error"]
        func find(_ all: [MQTTMessage]) -> MQTTMessage? {
            all.first { topics.contains($0.topic) && $0.json?["id"]?.stringValue == id }
        }
        return find(try await inbox.wait(for: "an answer to \(id)", timeout: 60) { find($0) != nil })!
    }

    func testRunServesReloadsOnSIGHUPAndStopsCleanlyOnSIGTERM() async throws {
        let model = try XCTUnwrap(ModelLocator.defaultModelPath(), ModelLocator.notFoundMessage())
        XCTAssertTrue(FileManager.default.fileExists(atPath: model), model)
        let hark = try DaemonProcess.executable()
        let broker = try startBroker()
        let directory = try makeDirectory()
        let file = directory.appendingPathComponent("hark.yaml")
        try config(port: broker.port, withDeskLamp: false).write(to: file, atomically: true, encoding: .utf8)
        let (client, inbox) = try await observer(broker, filters: ["hark/#", "zigbee2mqtt/#", "cmnd/#"])

        let daemon = try DaemonProcess(hark, ["run", "--config", file.path], logFile: directory.appendingPathComponent("hark.log"))
        addTeardownBlock { daemon.forceStop() }
        try await inbox.wait(for: "hark/status online", timeout: 120) { $0.last { $0.topic == "hark/status" }?.text == "online" }
        try await daemon.waitForLog("hub running", timeout: 30)

        // A command goes to its device.
        try send(client, "Turn on the coffee machine.", id: "e1")
        let first = try await answer(inbox, id: "e1")
        XCTAssertEqual(first.topic, "hark/kitchen/action", "\(first.text ?? "")\n\(daemon.log)")
        XCTAssertEqual(inbox.on("cmnd/coffee_plug/POWER").map(\.text), ["ON"])
        XCTAssertTrue(daemon.log.contains("info command ") && daemon.log.contains("parse_ms="), daemon.log)

        // Not in the registry yet: nothing reaches the desk lamp.
        try send(client, "dim the desk lamp", id: "e2")
        _ = try await answer(inbox, id: "e2")
        XCTAssertEqual(inbox.on("zigbee2mqtt/desk_lamp/set").count, 0)

        // SIGHUP with the desk lamp added.
        try config(port: broker.port, withDeskLamp: true).write(to: file, atomically: true, encoding: .utf8)
        daemon.signal(SIGHUP)
        try await daemon.waitForLog("reloaded config", timeout: 60)
        XCTAssertTrue(daemon.log.contains("devices=4"), daemon.log)
        try send(client, "dim the desk lamp", id: "e3")
        let third = try await answer(inbox, id: "e3")
        XCTAssertEqual(third.topic, "hark/kitchen/action", "\(third.text ?? "")\n\(daemon.log)")
        XCTAssertEqual(third.json?["devices"], .array([.string("kitchen.desk_lamp")]), "\(third.text ?? "")")
        XCTAssertEqual(inbox.on("zigbee2mqtt/desk_lamp/set").count, 1)

        // A broken file on SIGHUP: logged with file and line, the desk lamp still works.
        try (config(port: broker.port, withDeskLamp: true) + "bogus_section: 1\n").write(to: file, atomically: true, encoding: .utf8)
        daemon.signal(SIGHUP)
        try await daemon.waitForLog("reload refused", timeout: 60)
        XCTAssertTrue(daemon.log.contains("\(file.path):"), daemon.log)
        try send(client, "dim the desk lamp", id: "e4")
        let fourth = try await answer(inbox, id: "e4")
        XCTAssertEqual(fourth.json?["devices"], .array([.string("kitchen.desk_lamp")]), "\(fourth.text ?? "")")

        // One connection for the whole run: the reloads kept it.
        let connects = broker.log.split(separator: "\n").filter { $0.contains("New client connected") && $0.contains(" as hark-e2e ") }
        XCTAssertEqual(connects.count, 1, broker.logTail())

        // SIGTERM: exit code 0, retained offline.
        daemon.signal(SIGTERM)
        let status = try await daemon.wait(timeout: 30)
        XCTAssertEqual(status & 0x7f, 0, "killed by signal \(status & 0x7f)\n\(daemon.log)")
        XCTAssertEqual((status >> 8) & 0xff, 0, "exit code\n\(daemon.log)")
        XCTAssertTrue(daemon.log.contains("hub stopped"), daemon.log)
        let (_, late) = try await observer(broker, filters: ["hark/status"])
        let retained = try await late.wait(for: "the retained status") { !$0.isEmpty }
        XCTAssertEqual(retained.first?.text, "offline")
        XCTAssertTrue(retained.first?.retain == true)
    }
}
