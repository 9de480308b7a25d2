import Foundation
import MosquittoTestSupport
import XCTest

@testable import MQTT

/// The broker goes away and comes back: reconnects, re-subscriptions, the QoS 1 outbox and its bound.
final class MQTTReconnectTests: MQTTTestCase {
    func testBrokerRestartReconnectsResubscribesAndDeliversEveryQueuedMessageOnce() async throws {
        let broker = try startBroker(in: try makeDirectory())
        let client = try makeClient(configuration(broker, clientID: "restart", presence: .init()))
        let events = Collector(client.events)
        let inbox = Collector(client.messages)
        try client.start()
        try await client.waitUntilConnected(timeout: .seconds(10))
        try await client.subscribe("test/restart/#", qos: .atLeastOnce)

        let before = 100, whileDown = 500, after = 100
        for i in 0..<before { try client.publish(topic: "test/restart/before", payload: "before-\(i)") }
        try await inbox.wait(forCount: before, on: "test/restart/before")

        try broker.stop()
        try await events.wait(for: "the disconnect") { $0.contains { if case .disconnected = $0 { true } else { false } } }
        XCTAssertFalse(client.isConnected)
        for i in 0..<whileDown { try client.publish(topic: "test/restart/down", payload: "down-\(i)", qos: .atLeastOnce) }
        XCTAssertEqual(client.statistics.outbox, whileDown)
        XCTAssertThrowsError(try client.publish(topic: "test/restart/down", payload: "qos0", qos: .atMostOnce)) { error in
            XCTAssertEqual(error as? MQTTError, .notConnected(host: "127.0.0.1", port: broker.port, topic: "test/restart/down"))
        }

        try broker.start()  // same port
        try await client.waitUntilConnected(timeout: .seconds(20))
        // The subscription was re-sent by the client itself (the broker kept no session), before
        // the queued messages, so all of them come back to it.
        let down = try await inbox.wait(forCount: whileDown, on: "test/restart/down", timeout: 20)
        for i in 0..<after { try client.publish(topic: "test/restart/after", payload: "after-\(i)") }
        try await inbox.wait(forCount: after, on: "test/restart/after")
        try await poll(for: "the outbox to drain") { client.statistics.outbox == 0 }

        XCTAssertEqual(down.count, whileDown)
        let ids = inbox.all.compactMap(\.text)
        XCTAssertEqual(ids.count, Set(ids).count, "a message arrived twice")
        let expected = (0..<before).map { "before-\($0)" } + (0..<whileDown).map { "down-\($0)" } + (0..<after).map { "after-\($0)" }
        XCTAssertEqual(Set(ids), Set(expected), "missing: \(Set(expected).subtracting(ids).sorted().prefix(10))")
        XCTAssertEqual(client.statistics.connects, 2)
        let connects = events.all.filter { if case .connected = $0 { true } else { false } }
        XCTAssertEqual(connects.count, 2, "\(events.all)")
    }

    func testOutboxBoundRefusesTheExcessWhileDownAndDeliversTheRestLater() async throws {
        let broker = try startBroker(in: try makeDirectory())
        var settings = configuration(broker, clientID: "outbox-bound")
        settings.outboxLimit = 50
        let client = try makeClient(settings)
        let events = Collector(client.events)
        let inbox = Collector(client.messages)
        try client.start()
        try await client.waitUntilConnected(timeout: .seconds(10))
        try await client.subscribe("test/outbox", qos: .atLeastOnce)

        try broker.stop()
        try await events.wait(for: "the disconnect") { $0.contains { if case .disconnected = $0 { true } else { false } } }
        var accepted: [Int] = []
        var refused: [Int] = []
        for i in 0..<60 {
            do {
                try client.publish(topic: "test/outbox", payload: "\(i)", qos: .atLeastOnce)
                accepted.append(i)
            } catch let error as MQTTError {
                XCTAssertEqual(error, .outboxFull(host: "127.0.0.1", port: broker.port, topic: "test/outbox", limit: 50))
                XCTAssertTrue("\(error)".contains("'test/outbox'") && "\(error)".contains("127.0.0.1:\(broker.port)"), "\(error)")
                refused.append(i)
            }
        }
        XCTAssertEqual(accepted, Array(0..<50))
        XCTAssertEqual(refused, Array(50..<60))
        XCTAssertEqual(client.statistics.outbox, 50)
        XCTAssertEqual(client.statistics.refusedPublishes, 10)

        try broker.start()
        let delivered = try await inbox.wait(forCount: 50, on: "test/outbox", timeout: 20)
        XCTAssertEqual(delivered.compactMap { $0.text.flatMap(Int.init) }.sorted(), Array(0..<50))
        try await poll(for: "the outbox to drain") { client.statistics.outbox == 0 }
        // Room again once the broker acknowledged them.
        try client.publish(topic: "test/outbox", payload: "after", qos: .atLeastOnce)
        try await inbox.wait(forCount: 51, on: "test/outbox")
        XCTAssertEqual(inbox.messages(on: "test/outbox").count, 51, "a message arrived twice")
    }

    /// libmosquitto's network thread never retries a connect that failed before it started; the
    /// client retries that first connect itself.
    func testStartWhileTheBrokerIsDownConnectsWhenItComesUp() async throws {
        let directory = try makeDirectory()
        let broker = try MosquittoBroker(directory: directory)
        addTeardownBlock { try? broker.stop() }
        let client = try makeClient(configuration(broker, clientID: "early-bird", presence: .init()))
        let events = Collector(client.events)
        let inbox = Collector(client.messages)

        try client.publish(topic: "test/early", payload: "queued before start", qos: .atLeastOnce)
        try client.start()
        try await client.subscribe("test/early", qos: .atLeastOnce)  // remembered, sent on connect
        try client.publish(topic: "test/early", payload: "queued after start", qos: .atLeastOnce)
        let failures = try await events.wait(for: "the refused first connect") { !$0.isEmpty }
        guard case let .disconnected(.connectFailed(host, port, detail)) = failures[0] else {
            return XCTFail("unexpected first event: \(failures[0])")
        }
        XCTAssertEqual(host, "127.0.0.1")
        XCTAssertEqual(port, broker.port)
        XCTAssertTrue(detail.lowercased().contains("refused"), detail)
        do {
            try await client.waitUntilConnected(timeout: .milliseconds(300))
            XCTFail("connected to a broker that is not running")
        } catch let error as MQTTError {
            guard case let .connectTimedOut(_, _, _, lastError) = error, case .connectFailed = lastError else {
                return XCTFail("\(error)")
            }
            XCTAssertTrue("\(error)".contains("127.0.0.1:\(broker.port)"), "\(error)")
        }

        try broker.start()
        try await client.waitUntilConnected(timeout: .seconds(20))
        let received = try await inbox.wait(forCount: 2, on: "test/early")
        XCTAssertEqual(received.map(\.text), ["queued before start", "queued after start"])
    }

    /// `stop()` with the broker gone: it waits only `drainTimeout`, not the reconnect delay, and
    /// says how many accepted messages were never acknowledged.
    func testStopWhileTheBrokerIsDownIsPromptAndCountsTheUndelivered() async throws {
        let broker = try startBroker(in: try makeDirectory())
        var settings = configuration(broker, clientID: "stop-while-down", presence: .init())
        settings.reconnect = .init(minimumDelaySeconds: 30, maximumDelaySeconds: 60)
        let client = try makeClient(settings)
        let events = Collector(client.events)
        try client.start()
        try await client.waitUntilConnected(timeout: .seconds(10))
        try broker.stop()
        try await events.wait(for: "the disconnect") { $0.contains { if case .disconnected = $0 { true } else { false } } }
        for i in 0..<7 { try client.publish(topic: "test/lost", payload: "\(i)", qos: .atLeastOnce) }

        let clock = ContinuousClock()
        let start = clock.now
        let undelivered = try await withTimeout(10, "stop() with the broker down and a 30 s reconnect delay") {
            await client.stop(drainTimeout: .milliseconds(300))
        }
        let elapsed = clock.now - start
        XCTAssertEqual(undelivered, 7)
        XCTAssertGreaterThanOrEqual(elapsed, .milliseconds(300), "stop did not wait for the outbox to drain")
        let seen = try await events.wait(for: "the stopped event") { $0.last == .stopped(undelivered: 7) }
        XCTAssertEqual(seen.filter { if case .connected = $0 { true } else { false } }.count, 1)
    }
}
