import Foundation
import MosquittoTestSupport
import XCTest

@testable import MQTT

/// Publish, subscribe, retained messages, presence and last will against a real broker.
final class MQTTClientTests: MQTTTestCase {
    func testRoundTripQoS0AndQoS1() async throws {
        let broker = try startBroker(in: try makeDirectory())
        let client = try await connectedClient(configuration(broker, clientID: "round-trip"))
        let inbox = Collector(client.messages)
        try await client.subscribe("test/rt/#", qos: .atLeastOnce)

        try client.publish(topic: "test/rt/zero", payload: "qos zero", qos: .atMostOnce)
        try client.publish(topic: "test/rt/one", payload: "qos one", qos: .atLeastOnce)
        try await inbox.wait(for: "both messages") { $0.count >= 2 }

        let byTopic = Dictionary(uniqueKeysWithValues: inbox.all.map { ($0.topic, $0) })
        XCTAssertEqual(byTopic["test/rt/zero"], MQTTMessage(topic: "test/rt/zero", payload: Array("qos zero".utf8), qos: .atMostOnce, retain: false))
        XCTAssertEqual(byTopic["test/rt/one"], MQTTMessage(topic: "test/rt/one", payload: Array("qos one".utf8), qos: .atLeastOnce, retain: false))
        XCTAssertEqual(byTopic["test/rt/one"]?.text, "qos one")
        XCTAssertEqual(client.statistics.received, 2)
        XCTAssertEqual(client.statistics.connects, 1)
        XCTAssertEqual(client.statistics.outbox, 0)
    }

    func testBinaryPayloadsArriveByteForByteBetweenClients() async throws {
        let broker = try startBroker(in: try makeDirectory())
        let subscriber = try await connectedClient(configuration(broker, clientID: "binary-sub"))
        let publisher = try await connectedClient(configuration(broker, clientID: "binary-pub"))
        let inbox = Collector(subscriber.messages)
        try await subscriber.subscribe("test/binary/+", qos: .atLeastOnce)

        var generator = SystemRandomNumberGenerator()
        let payloads: [String: [UInt8]] = [
            "every-byte": (0...255).map { UInt8($0) },
            "invalid-utf8": [0xC3, 0x28, 0xFF, 0xFE, 0x00, 0x80],
            "empty": [],
            "large": (0..<200_000).map { _ in UInt8.random(in: 0...255, using: &generator) },
        ]
        for (name, payload) in payloads.sorted(by: { $0.key < $1.key }) {
            try publisher.publish(topic: "test/binary/\(name)", payload: payload, qos: .atLeastOnce)
        }
        try await inbox.wait(for: "\(payloads.count) binary payloads") { $0.count >= payloads.count }
        for message in inbox.all {
            let name = String(message.topic.split(separator: "/").last!)
            XCTAssertEqual(message.payload, payloads[name], "payload of \(message.topic)")
        }
        XCTAssertNil(inbox.all.first { $0.topic == "test/binary/invalid-utf8" }?.text)
        // Data works as a payload too.
        try publisher.publish(topic: "test/binary/data", payload: Data([1, 2, 3]), qos: .atLeastOnce)
        let data = try await inbox.wait(forCount: 1, on: "test/binary/data")
        XCTAssertEqual(data.first?.payload, [1, 2, 3])
    }

    func testRetainedMessagesReachLaterSubscribersAndCanBeCleared() async throws {
        let broker = try startBroker(in: try makeDirectory())
        let publisher = try await connectedClient(configuration(broker, clientID: "retain-pub"))
        try publisher.publish(topic: "test/retained/lamp", payload: "{\"state\":\"ON\"}", qos: .atLeastOnce, retain: true)
        try publisher.publish(topic: "test/retained/plain", payload: "not retained", qos: .atLeastOnce, retain: false)
        try await waitForEmptyOutbox(publisher)

        let late = try await connectedClient(configuration(broker, clientID: "retain-late"))
        let inbox = Collector(late.messages)
        try await late.subscribe("test/retained/#")
        try publisher.publish(topic: "test/retained/barrier", payload: "barrier", qos: .atLeastOnce)
        let seen = try await inbox.wait(for: "retained message and barrier") { $0.contains { $0.topic == "test/retained/barrier" } }
        XCTAssertEqual(seen.first, MQTTMessage(topic: "test/retained/lamp", payload: Array("{\"state\":\"ON\"}".utf8), qos: .atLeastOnce, retain: true))
        XCTAssertFalse(seen.contains { $0.topic == "test/retained/plain" }, "a non-retained message reached a later subscriber")
        XCTAssertEqual(seen.last?.retain, false, "a live message is not marked retained")

        // An empty retained payload clears the retained message.
        try publisher.publish(topic: "test/retained/lamp", payload: [UInt8](), qos: .atLeastOnce, retain: true)
        try publisher.publish(topic: "test/retained/barrier", payload: "barrier", qos: .atLeastOnce, retain: true)
        try await waitForEmptyOutbox(publisher)
        let later = try await connectedClient(configuration(broker, clientID: "retain-later"))
        let laterInbox = Collector(later.messages)
        try await later.subscribe("test/retained/#")
        let laterSeen = try await laterInbox.wait(for: "the retained barrier") { $0.contains { $0.topic == "test/retained/barrier" } }
        XCTAssertEqual(laterSeen.map(\.topic), ["test/retained/barrier"], "the cleared retained message was delivered")
    }

    func testWildcardSubscriptions() async throws {
        let broker = try startBroker(in: try makeDirectory())
        let client = try await connectedClient(configuration(broker, clientID: "wildcards"))
        let inbox = Collector(client.messages)
        try await client.subscribe("test/home/+/light", qos: .atLeastOnce)
        try await client.subscribe("test/sensors/#", qos: .atMostOnce)

        let published = [
            "test/home/kitchen/light",  // +
            "test/home/bedroom/light",  // +
            "test/home/kitchen/lamp",  // no
            "test/home/light",  // no: + needs one level
            "test/home/a/b/light",  // no: + is exactly one level
            "test/sensors",  // #: the parent level too
            "test/sensors/kitchen/temperature",  // #
            "test/other/x",  // no
        ]
        for topic in published { try client.publish(topic: topic, payload: topic, qos: .atLeastOnce) }
        try client.publish(topic: "test/sensors/barrier", payload: "barrier", qos: .atLeastOnce)
        let seen = try await inbox.wait(for: "the barrier") { $0.contains { $0.topic == "test/sensors/barrier" } }
        XCTAssertEqual(
            Set(seen.map(\.topic)),
            ["test/home/kitchen/light", "test/home/bedroom/light", "test/sensors", "test/sensors/kitchen/temperature", "test/sensors/barrier"])
        XCTAssertEqual(seen.count, 5, "a message was delivered twice: \(seen.map(\.topic))")
        // Delivered QoS is the lower of the publish and the subscription QoS.
        XCTAssertEqual(seen.first { $0.topic == "test/sensors" }?.qos, .atMostOnce)
        XCTAssertEqual(seen.first { $0.topic == "test/home/kitchen/light" }?.qos, .atLeastOnce)
        for message in seen {
            XCTAssertTrue(
                MQTTTopic.matches(message.topic, filter: "test/home/+/light") || MQTTTopic.matches(message.topic, filter: "test/sensors/#"))
        }

        // After unsubscribing, the filter's messages stop.
        try client.unsubscribe("test/home/+/light")
        try client.publish(topic: "test/home/hall/light", payload: "after unsubscribe", qos: .atLeastOnce)
        try client.publish(topic: "test/sensors/barrier2", payload: "barrier", qos: .atLeastOnce)
        let after = try await inbox.wait(for: "the second barrier") { $0.contains { $0.topic == "test/sensors/barrier2" } }
        XCTAssertFalse(after.contains { $0.topic == "test/home/hall/light" })
    }

    func testPresenceOnlineOnConnectAndOfflineAfterCleanStop() async throws {
        let broker = try startBroker(in: try makeDirectory())
        let watcher = try await connectedClient(configuration(broker, clientID: "presence-watcher"))
        let watched = Collector(watcher.messages)
        try await watcher.subscribe("hark/status")

        let hark = try await connectedClient(configuration(broker, clientID: "presence-hark", presence: .init()))
        try await watched.wait(for: "online on hark/status") { $0.last?.text == "online" }

        // A subscriber that arrives later gets the retained `online`.
        let late = try await connectedClient(configuration(broker, clientID: "presence-late"))
        let lateInbox = Collector(late.messages)
        try await late.subscribe("hark/status")
        let retained = try await lateInbox.wait(forCount: 1, on: "hark/status")
        XCTAssertEqual(retained.first?.text, "online")
        XCTAssertEqual(retained.first?.retain, true)

        let undelivered = await hark.stop()
        XCTAssertEqual(undelivered, 0)
        try await watched.wait(for: "offline on hark/status after stop") { $0.last?.text == "offline" }
        // The disconnect was clean (DISCONNECT sent), so the broker did not need the will.
        try await poll(for: "the broker to log the clean disconnect") {
            broker.log.contains("Client presence-hark disconnected.")
        }
        XCTAssertFalse(broker.log.contains("Client presence-hark closed its connection"), broker.logTail())

        let afterwards = try await connectedClient(configuration(broker, clientID: "presence-after"))
        let afterInbox = Collector(afterwards.messages)
        try await afterwards.subscribe("hark/status")
        let offline = try await afterInbox.wait(forCount: 1, on: "hark/status")
        XCTAssertEqual(offline.first?.text, "offline")
        XCTAssertEqual(offline.first?.retain, true)
    }

    func testLastWillIsPublishedWhenTheConnectionDiesAndOnlineReturnsOnReconnect() async throws {
        let broker = try startBroker(in: try makeDirectory())
        let watcher = try await connectedClient(configuration(broker, clientID: "will-watcher"))
        let watched = Collector(watcher.messages)
        try await watcher.subscribe("hark/status")

        let hark = try makeClient(configuration(broker, clientID: "will-hark", presence: .init()))
        let events = Collector(hark.events)
        try hark.start()
        try await hark.waitUntilConnected(timeout: .seconds(10))
        try await watched.wait(for: "online") { $0.map(\.text) == ["online"] }

        // Cut the TCP connection under libmosquitto: no DISCONNECT is sent, so the broker
        // publishes the will.
        let socket = hark.socketDescriptorForTesting
        XCTAssertGreaterThanOrEqual(socket, 0)
        XCTAssertEqual(shutdown(socket, Int32(SHUT_RDWR)), 0, String(cString: strerror(errno)))

        try await watched.wait(for: "the will (offline) then online again after the reconnect", timeout: 15) {
            $0.map(\.text) == ["online", "offline", "online"]
        }
        XCTAssertTrue(broker.log.contains("Client will-hark closed its connection."), broker.logTail())
        let seen = try await events.wait(for: "connected, disconnected, connected") { $0.count >= 3 }
        guard case .connected = seen[0], case .disconnected(.connectionLost) = seen[1], case .connected = seen[2] else {
            return XCTFail("unexpected events: \(seen)")
        }
        XCTAssertEqual(hark.statistics.connects, 2)
    }

    func testQoS0WhileDisconnectedAndAnyPublishAfterStopAreRefused() async throws {
        let port = try MosquittoBroker.freePort()
        let client = try makeClient(MQTTConfiguration(port: port, clientID: "refusals", presence: nil))
        XCTAssertThrowsError(try client.publish(topic: "test/q0", payload: "x", qos: .atMostOnce)) { error in
            XCTAssertEqual(error as? MQTTError, .notConnected(host: "127.0.0.1", port: port, topic: "test/q0"))
            XCTAssertTrue("\(error)".contains("127.0.0.1:\(port)") && "\(error)".contains("'test/q0'"), "\(error)")
        }
        XCTAssertThrowsError(try client.publish(topic: "test/+", payload: "x")) { error in
            guard case .invalidTopic = error as? MQTTError else { return XCTFail("\(error)") }
        }
        XCTAssertEqual(client.statistics.refusedPublishes, 1)
        let undelivered = await client.stop()
        XCTAssertEqual(undelivered, 0)
        XCTAssertThrowsError(try client.publish(topic: "test/q1", payload: "x", qos: .atLeastOnce)) { error in
            XCTAssertEqual(error as? MQTTError, .stopped(host: "127.0.0.1", port: port))
        }
        XCTAssertThrowsError(try client.start()) { error in
            XCTAssertEqual(error as? MQTTError, .stopped(host: "127.0.0.1", port: port))
        }
    }

    func testSlowConsumerDropsAreCountedAndTheOldestMessagesKept() async throws {
        let broker = try startBroker(in: try makeDirectory())
        var settings = configuration(broker, clientID: "slow-consumer")
        settings.incomingBufferLimit = 10
        let slow = try await connectedClient(settings)
        try await slow.subscribe("test/flood", qos: .atLeastOnce)
        let publisher = try await connectedClient(configuration(broker, clientID: "flooder"))
        for i in 0..<50 { try publisher.publish(topic: "test/flood", payload: "\(i)", qos: .atLeastOnce) }

        try await poll(for: "50 messages received by the slow client") { slow.statistics.received == 50 }
        XCTAssertEqual(slow.statistics.droppedIncoming, 40)
        let kept = try await withTimeout(5, "reading the 10 buffered messages") {
            var iterator = slow.messages.makeAsyncIterator()
            var texts: [String] = []
            for _ in 0..<10 { texts.append(await iterator.next()?.text ?? "<end>") }
            return texts
        }
        XCTAssertEqual(kept, (0..<10).map(String.init))
    }

    func testStopDrainsTheOutboxBeforeDisconnecting() async throws {
        let broker = try startBroker(in: try makeDirectory())
        let subscriber = try await connectedClient(configuration(broker, clientID: "drain-sub"))
        let inbox = Collector(subscriber.messages)
        try await subscriber.subscribe("test/drain", qos: .atLeastOnce)

        let publisher = try await connectedClient(configuration(broker, clientID: "drain-pub", presence: .init(topic: "test/drain-status")))
        let count = 2_000
        for i in 0..<count { try publisher.publish(topic: "test/drain", payload: "\(i)", qos: .atLeastOnce) }
        let undelivered = await publisher.stop(drainTimeout: .seconds(20))
        XCTAssertEqual(undelivered, 0)
        XCTAssertEqual(publisher.statistics.outbox, 0)
        let received = try await inbox.wait(forCount: count, on: "test/drain", timeout: 20)
        XCTAssertEqual(received.compactMap { $0.text.flatMap(Int.init) }, Array(0..<count), "lost, duplicated or reordered")
    }

    /// QoS 1 round trip to the local broker (publish, broker, delivery back to the same client),
    /// printed for the report; no timing assertion.
    func testMeasureQoS1RoundTrip() async throws {
        let broker = try startBroker(in: try makeDirectory())
        let client = try await connectedClient(configuration(broker, clientID: "round-trip-timer"))
        try await client.subscribe("test/rtt", qos: .atLeastOnce)
        let warmUp = 100, measured = 1_000
        let samples = try await withTimeout(60, "\(warmUp + measured) QoS 1 round trips") {
            var iterator = client.messages.makeAsyncIterator()
            var samples: [Duration] = []
            let clock = ContinuousClock()
            for i in 0..<(warmUp + measured) {
                let start = clock.now
                try client.publish(topic: "test/rtt", payload: "\(i)", qos: .atLeastOnce)
                guard let echo = await iterator.next() else { throw BrokerError("message stream ended") }
                let elapsed = clock.now - start
                guard echo.text == "\(i)" else { throw BrokerError("expected \(i), got \(echo.text ?? "?")") }
                if i >= warmUp { samples.append(elapsed) }
            }
            return samples
        }
        let sorted = samples.sorted()
        func ms(_ d: Duration) -> String { String(format: "%.3f", d.seconds * 1000) }
        print("MQTT QoS 1 round trip over \(measured) messages (127.0.0.1, mosquitto, TCP_NODELAY): median \(ms(sorted[sorted.count / 2])) ms, p90 \(ms(sorted[sorted.count * 9 / 10])) ms, p99 \(ms(sorted[sorted.count * 99 / 100])) ms, max \(ms(sorted.last!)) ms")
        XCTAssertEqual(samples.count, measured)
    }

    private func waitForEmptyOutbox(_ client: MQTTClient) async throws {
        try await poll(for: "the outbox of \(client.configuration.clientID) to drain") { client.statistics.outbox == 0 }
    }
}
