import Foundation
import Hub
import MQTT
import MosquittoTestSupport
import XCTest

/// Starting before the broker, stopping with commands still queued.
final class HubLifecycleTests: HubTestCase {
    private func makeHub(_ broker: MosquittoBroker, parser: any CommandParser = TestHome.parser()) -> HubService {
        var configuration = TestHome.daemon
        configuration.mqtt.connection = clientConfiguration(broker, clientID: "hark-lifecycle")
        configuration.mqtt.connection.presence = .init()
        return HubService(configuration: configuration, home: TestHome.home, parser: parser, logger: .silent)
    }

    func testAHubStartedBeforeTheBrokerServesOnceTheBrokerComes() async throws {
        let broker = try MosquittoBroker(directory: try makeDirectory())
        addTeardownBlock { try? broker.stop() }
        let hub = makeHub(broker)
        let serving = Task { try await hub.run() }
        addTeardownBlock {
            serving.cancel()
            _ = try? await serving.value
        }
        try await Task.sleep(for: .milliseconds(300))
        XCTAssertFalse(hub.isReady)
        try broker.start()
        try await hub.waitUntilReady(timeout: .seconds(15))
        let (client, inbox) = try await observer(broker)
        try client.publish(topic: "hark/kitchen/text", payload: #"{"text":"turn on the ceiling light","id":"late"}"#, qos: .atLeastOnce)
        _ = try await inbox.waitForJSON(on: "hark/kitchen/action", id: "late")
        XCTAssertEqual(inbox.on("zigbee2mqtt/kitchen_ceiling/set").map(\.text), [#"{"state":"ON"}"#])
    }

    func testStoppingAnswersEveryQueuedCommandAndPublishesOffline() async throws {
        let broker = try startBroker()
        let (client, inbox) = try await observer(broker, filters: ["hark/#"])
        let hub = makeHub(broker, parser: TestHome.parser(delay: .milliseconds(300)))
        let serving = Task { try await hub.run() }
        try await hub.waitUntilReady(timeout: .seconds(10))
        try await inbox.wait(for: "online") { $0.last { $0.topic == "hark/status" }?.text == "online" }
        for i in 0..<4 {
            try client.publish(topic: "hark/kitchen/text", payload: #"{"text":"turn on the ceiling light","id":"s\#(i)"}"#, qos: .atLeastOnce)
        }
        try await poll("the first command to reach the parser") { hub.statistics.queued == 3 }
        serving.cancel()
        try await serving.value
        XCTAssertFalse(hub.isReady)

        _ = try await inbox.waitForJSON(on: "hark/kitchen/action", id: "s0")
        for i in 1..<4 {
            let error = try await inbox.waitForJSON(on: "hark/kitchen/error", id: "s\(i)")
            XCTAssertEqual(error["error"], "hark/kitchen/text: hark is shutting down; command not run")
        }
        XCTAssertEqual(inbox.on("hark/status").last?.text, "offline")
        XCTAssertFalse(hub.submit(HubCommand(text: "turn on the ceiling light", site: "kitchen")), "a stopped hub takes nothing")
        do {
            try await hub.run()
            XCTFail("a hub runs once")
        } catch {
            XCTAssertEqual(error as? HubError, .alreadyStarted)
        }
    }

    private func poll(_ what: String, timeout: Double = 5, _ condition: () -> Bool) async throws {
        let deadline = ContinuousClock.now + .seconds(timeout)
        while !condition() {
            guard ContinuousClock.now < deadline else { throw TestFailure("timed out waiting for \(what)") }
            try await Task.sleep(for: .milliseconds(2))
        }
    }
}
