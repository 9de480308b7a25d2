import Foundation
import Hub
import Logging
import MQTT
import MosquittoTestSupport
import ServiceLifecycle
import Synchronization
import XCTest

/// A stage that throws on its first `failures` runs, then runs until graceful shutdown.
private final class FlakyStage: Service, Sendable {
    let failures: Int
    private let starts = Mutex<[ContinuousClock.Instant]>([])
    private let stopped = Mutex(false)

    init(failures: Int) { self.failures = failures }

    var startTimes: [ContinuousClock.Instant] { starts.withLock { $0 } }
    var stoppedGracefully: Bool { stopped.withLock { $0 } }

    func run() async throws {
        let run = starts.withLock { s in
            s.append(.now)
            return s.count
        }
        if run <= failures { throw TestFailure("microphone unplugged (run \(run))") }
        try await gracefulShutdown()
        stopped.withLock { $0 = true }
    }
}

/// `SupervisedService` in a `ServiceGroup` beside the hub: a failing stage is restarted with
/// backoff and each failure logged once; the hub keeps serving meanwhile.
final class SupervisedServiceTests: HubTestCase {
    func testBackoffDoublesFromOneSecondUpToThirty() {
        let backoff = Backoff()
        XCTAssertEqual((1...8).map { backoff.delay(afterFailures: $0) },
                       [.seconds(1), .seconds(2), .seconds(4), .seconds(8), .seconds(16), .seconds(30), .seconds(30), .seconds(30)])
        XCTAssertEqual(Backoff(initial: .milliseconds(100), maximum: .seconds(1)).delay(afterFailures: 3), .milliseconds(400))
    }

    func testAStageThatFailsTwiceIsRestartedWithBackoffWhileTheHubServes() async throws {
        let broker = try startBroker()
        let (client, inbox) = try await observer(broker, filters: ["hark/#", "zigbee2mqtt/#"])
        var configuration = TestHome.daemon
        configuration.mqtt.connection = clientConfiguration(broker, clientID: "hark-supervised")
        configuration.mqtt.connection.presence = .init()
        let logs = LogLines()
        let logger = logs.logger()
        let hub = HubService(configuration: configuration, home: TestHome.home, parser: TestHome.parser(), logger: logger)
        let stage = FlakyStage(failures: 2)
        let group = ServiceGroup(services: [hub, SupervisedService(stage, name: "speech", logger: logger)], logger: logger.logger)
        let running = Task { try await group.run() }
        addTeardownBlock {
            running.cancel()
            _ = try? await running.value
        }
        try await hub.waitUntilReady(timeout: .seconds(10))

        // While the stage waits to be restarted, text commands are served.
        try client.publish(topic: "hark/kitchen/text", payload: #"{"text":"turn on the ceiling light","id":"t1"}"#, qos: .atLeastOnce)
        _ = try await inbox.waitForJSON(on: "hark/kitchen/action", id: "t1")
        XCTAssertLessThan(stage.startTimes.count, 3, "the command was served before the stage recovered")

        let deadline = ContinuousClock.now + .seconds(15)
        while stage.startTimes.count < 3 {
            guard ContinuousClock.now < deadline else { throw TestFailure("the stage was started \(stage.startTimes.count) times") }
            try await Task.sleep(for: .milliseconds(10))
        }
        let starts = stage.startTimes
        let gaps = zip(starts.dropFirst(), starts).map { $0 - $1 }
        XCTAssertGreaterThanOrEqual(gaps[0], .seconds(1))
        XCTAssertLessThan(gaps[0], .seconds(2))
        XCTAssertGreaterThanOrEqual(gaps[1], .seconds(2))
        XCTAssertLessThan(gaps[1], .seconds(3))

        let failures = logs.containing("stage failed; restarting")
        XCTAssertEqual(failures.count, 2, "\(logs.all)")
        XCTAssertTrue(failures[0].hasPrefix("warning ") && failures[0].contains("stage=speech"), failures[0])
        XCTAssertTrue(failures[0].contains(#"error="microphone unplugged (run 1)""#) && failures[0].contains("restart_in_s=1"), failures[0])
        XCTAssertTrue(failures[1].contains(#"error="microphone unplugged (run 2)""#) && failures[1].contains("restart_in_s=2"), failures[1])

        // Still serving after the restarts; then everything stops together, cleanly.
        try client.publish(topic: "hark/kitchen/text", payload: #"{"text":"turn off the ceiling light","id":"t2"}"#, qos: .atLeastOnce)
        _ = try await inbox.waitForJSON(on: "hark/kitchen/action", id: "t2")
        await group.triggerGracefulShutdown()
        try await running.value
        XCTAssertTrue(stage.stoppedGracefully)
        XCTAssertEqual(stage.startTimes.count, 3)
        XCTAssertEqual(logs.containing("stage failed").count, 2, "\(logs.all)")
        try await inbox.wait(for: "offline") { $0.last { $0.topic == "hark/status" }?.text == "offline" }
    }
}
