import Foundation
import Hub
import Intents
import MQTT
import MosquittoTestSupport
import XCTest

/// `HubService.reload`: a running hub takes a new registry on the same MQTT connection, or keeps
/// the running one when the new file has errors.
final class HubReloadTests: HubTestCase {
    /// The test home plus a kettle behind Tasmota (a new device with a new state topic).
    static let kettleLine = "  - {id: kitchen.kettle, name: kettle, area: kitchen, type: outlet, adapter: {tasmota: kettle_plug}}\n"
    static let homeWithKettle = testHomeYAML.replacingOccurrences(of: "scenes:\n", with: kettleLine + "scenes:\n")

    private func write(_ yaml: String, in directory: URL) throws -> URL {
        let url = directory.appendingPathComponent("hark.yaml")
        try yaml.write(to: url, atomically: true, encoding: .utf8)
        return url
    }

    private func send(_ client: MQTTClient, text: String, id: String) throws {
        try client.publish(topic: "hark/kitchen/text", payload: JSON.make(["text": .string(text), "id": .string(id)]).description, qos: .atLeastOnce)
    }

    /// Lines of the broker's log that record a connection of `clientID`.
    private func connections(of clientID: String, _ broker: MosquittoBroker) -> Int {
        broker.log.split(separator: "\n").filter { $0.contains("New client connected") && $0.contains(" as \(clientID) ") }.count
    }

    func testAReloadAddsADeviceOnTheSameConnectionAndKeepsKnownStates() async throws {
        XCTAssertNotEqual(Self.homeWithKettle, testHomeYAML, "the kettle was not inserted")
        let broker = try startBroker()
        try await publishRetainedStates(broker)
        let (client, inbox) = try await observer(broker)
        try client.publish(topic: "stat/kettle_plug/RESULT", payload: #"{"POWER":"ON"}"#, qos: .atLeastOnce, retain: true)
        let logs = LogLines()
        let hub = try await startHub(broker, logger: logs.logger())
        XCTAssertEqual(hub.statistics.connects, 1)

        // Registry A knows no kettle.
        try send(client, text: "turn_on device=kitchen.kettle", id: "before")
        let before = try await inbox.waitForJSON(on: "hark/kitchen/error", id: "before")
        XCTAssertEqual(before["error"]?.stringValue?.hasPrefix("hark/kitchen/text: not understood:"), true, "\(before)")

        // Commands sent while the reload runs are answered, by one registry or the other.
        let directory = try makeDirectory()
        let file = try write(Self.homeWithKettle, in: directory)
        for i in 0..<5 { try send(client, text: "turn on the ceiling light", id: "during\(i)") }
        let outcome = await hub.reload(configFile: file)
        for i in 0..<5 { _ = try await inbox.waitForJSON(on: "hark/kitchen/action", id: "during\(i)") }

        guard case let .reloaded(summary) = outcome else { return XCTFail("reload refused: \(outcome)") }
        XCTAssertEqual(summary.addedDevices, ["kitchen.kettle"])
        XCTAssertEqual(summary.removedDevices, [])
        XCTAssertEqual(summary.devices, TestHome.home.registry.devices.count + 1)
        XCTAssertEqual(summary.subscribed, ["stat/kettle_plug/POWER", "stat/kettle_plug/RESULT", "tele/kettle_plug/SENSOR", "tele/kettle_plug/STATE"])
        XCTAssertEqual(summary.unsubscribed, [])
        // The file names port 1883 and client id hark-test; the running connection stays as it is.
        XCTAssertTrue(summary.restartOnly.contains("mqtt.port") && summary.restartOnly.contains("mqtt.client_id"), "\(summary.restartOnly)")
        XCTAssertEqual(hub.configuration.mqtt.connection.port, broker.port)
        XCTAssertEqual(logs.containing("reloaded config").count, 1, "\(logs.all)")
        XCTAssertTrue(logs.containing("reloaded config")[0].contains("devices=\(summary.devices)"), "\(logs.all)")
        XCTAssertEqual(logs.containing("take effect only on restart").count, 1, "\(logs.all)")

        // Registry B routes the kettle to its device topic.
        let devicesBefore = inbox.all.filter { isDeviceTopic($0.topic) }.count
        try send(client, text: "turn_on device=kitchen.kettle", id: "after")
        let action = try await inbox.waitForJSON(on: "hark/kitchen/action", id: "after")
        XCTAssertEqual(action["devices"], .array([.string("kitchen.kettle")]))
        let published = inbox.all.filter { isDeviceTopic($0.topic) }.dropFirst(devicesBefore).map { "\($0.topic) \($0.text ?? "")" }
        XCTAssertEqual(published, ["cmnd/kettle_plug/POWER ON"])

        // The new state topic was subscribed (its retained state arrived); old states were kept.
        try send(client, text: "query_state device=kitchen.kettle", id: "q1")
        let kettle = try await inbox.waitForJSON(on: "hark/kitchen/response", id: "q1")
        XCTAssertEqual(kettle["text"], "Kettle is on.")
        try send(client, text: "query_state device=kitchen.ceiling", id: "q2")
        let ceiling = try await inbox.waitForJSON(on: "hark/kitchen/response", id: "q2")
        XCTAssertEqual(ceiling["text"], "Ceiling light is on.")

        // Same connection: the client connected once, and the broker saw one connection from it.
        XCTAssertEqual(hub.statistics.connects, 1)
        XCTAssertEqual(connections(of: "hark-hub", broker), 1, broker.logTail())
        XCTAssertEqual(hub.statistics.reloads, 1)
    }

    func testABrokenConfigIsRefusedWithFileAndLineAndTheRunningOneStays() async throws {
        let broker = try startBroker()
        let (client, inbox) = try await observer(broker)
        let logs = LogLines()
        let hub = try await startHub(broker, logger: logs.logger())

        // The kettle, with a type that does not exist, and a logging level that does not either.
        let broken = Self.homeWithKettle.replacingOccurrences(of: "type: outlet, adapter: {tasmota: kettle_plug}",
                                                              with: "type: toaster, adapter: {tasmota: kettle_plug}")
            + "\nlogging:\n  level: chatty\n"
        let lines = broken.split(separator: "\n", omittingEmptySubsequences: false)
        let typeLine = try XCTUnwrap(lines.firstIndex { $0.contains("type: toaster") }) + 1
        let levelLine = try XCTUnwrap(lines.firstIndex { $0.contains("level: chatty") }) + 1
        let file = try write(broken, in: try makeDirectory())

        let outcome = await hub.reload(configFile: file)
        guard case let .refused(problems) = outcome else { return XCTFail("a broken config was accepted: \(outcome)") }
        XCTAssertTrue(problems.contains { $0.hasPrefix("\(file.path):\(typeLine):") && $0.contains("toaster") }, "\(problems)")
        XCTAssertTrue(problems.contains { $0.hasPrefix("\(file.path):\(levelLine):") && $0.contains("chatty") }, "\(problems)")
        for problem in problems {
            XCTAssertEqual(logs.containing(problem).count, 1, "every problem is logged once: \(problem)\n\(logs.all)")
        }
        XCTAssertEqual(logs.containing("reload refused").count, 1, "\(logs.all)")
        XCTAssertEqual(hub.statistics.failedReloads, 1)
        XCTAssertEqual(hub.statistics.reloads, 0)
        XCTAssertEqual(hub.registry.devices.count, TestHome.home.registry.devices.count)

        // Registry A still runs: the kettle is unknown, the ceiling light works.
        try send(client, text: "turn_on device=kitchen.kettle", id: "k")
        let error = try await inbox.waitForJSON(on: "hark/kitchen/error", id: "k")
        XCTAssertEqual(error["error"]?.stringValue?.hasPrefix("hark/kitchen/text: not understood:"), true, "\(error)")
        try send(client, text: "turn on the ceiling light", id: "c")
        _ = try await inbox.waitForJSON(on: "hark/kitchen/action", id: "c")

        // A file that cannot be read is refused too.
        let missing = await hub.reload(configFile: file.deletingLastPathComponent().appendingPathComponent("absent.yaml"))
        guard case let .refused(why) = missing else { return XCTFail("a missing file was accepted") }
        XCTAssertEqual(why.count, 1, "\(why)")
        XCTAssertTrue(why[0].contains("absent.yaml:1:1") && why[0].contains("cannot read"), "\(why)")
    }
}
