import Foundation
import MosquittoTestSupport
import Synchronization
import XCTest

@testable import MQTT

/// Base for tests against a real broker: every broker and client a test makes is stopped in a
/// teardown block, also when the test fails; every wait has a timeout and says what it waited for.
class MQTTTestCase: XCTestCase {
    /// A fresh temporary directory, removed after the test.
    func makeDirectory() throws -> URL {
        let directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("hark-mqtt-\(UUID().uuidString)", isDirectory: true)
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        addTeardownBlock { try? FileManager.default.removeItem(at: directory) }
        return directory
    }

    /// A broker on a free port (or `port`), running, stopped after the test.
    func startBroker(
        in directory: URL, security: MosquittoBroker.Security = .anonymous, port: Int? = nil
    ) throws -> MosquittoBroker {
        let broker = try MosquittoBroker(directory: directory, security: security, port: port)
        addTeardownBlock { try? broker.stop() }
        try broker.start()
        return broker
    }

    func configuration(
        _ broker: MosquittoBroker, clientID: String, presence: MQTTConfiguration.Presence? = nil
    ) -> MQTTConfiguration {
        MQTTConfiguration(port: broker.port, clientID: clientID, presence: presence)
    }

    /// A client (not started), stopped after the test.
    func makeClient(_ configuration: MQTTConfiguration) throws -> MQTTClient {
        let client = try MQTTClient(configuration: configuration)
        addTeardownBlock { await client.stop(drainTimeout: .milliseconds(100)) }
        return client
    }

    /// A started and connected client.
    func connectedClient(_ configuration: MQTTConfiguration, timeout: Double = 10) async throws -> MQTTClient {
        let client = try makeClient(configuration)
        try client.start()
        try await client.waitUntilConnected(timeout: .seconds(timeout))
        return client
    }
}

/// Collects what an `AsyncStream` yields, so that a test can wait for a condition with a timeout.
final class Collector<Element: Sendable>: Sendable {
    private let items = Mutex<[Element]>([])

    init(_ stream: AsyncStream<Element>) {
        Task { [items = self] in
            for await item in stream { items.append(item) }
        }
    }

    private func append(_ item: Element) { items.withLock { $0.append(item) } }

    var all: [Element] { items.withLock { $0 } }

    /// Waits until `condition` holds for everything collected so far; throws after `timeout` s
    /// with `what` and the number of items collected.
    @discardableResult
    func wait(
        for what: String, timeout: Double = 10, until condition: @escaping ([Element]) -> Bool
    ) async throws -> [Element] {
        let deadline = ContinuousClock.now + .seconds(timeout)
        while true {
            let snapshot = all
            if condition(snapshot) { return snapshot }
            guard ContinuousClock.now < deadline else {
                throw BrokerError("timed out after \(timeout) s waiting for \(what); collected \(snapshot.count): \(snapshot.suffix(5))")
            }
            try await Task.sleep(for: .milliseconds(2))
        }
    }
}

extension Collector where Element == MQTTMessage {
    func messages(on topic: String) -> [MQTTMessage] { all.filter { $0.topic == topic } }

    @discardableResult
    func wait(forCount count: Int, on topic: String, timeout: Double = 10) async throws -> [MQTTMessage] {
        try await wait(for: "\(count) messages on '\(topic)'", timeout: timeout) {
            $0.lazy.filter { $0.topic == topic }.count >= count
        }.filter { $0.topic == topic }
    }
}

/// Runs `body`, failing with `what` if it takes longer than `seconds`.
func withTimeout<T: Sendable>(
    _ seconds: Double, _ what: String, _ body: @escaping @Sendable () async throws -> T
) async throws -> T {
    try await withThrowingTaskGroup(of: T.self) { group in
        group.addTask { try await body() }
        group.addTask {
            try await Task.sleep(for: .seconds(seconds))
            throw BrokerError("timed out after \(seconds) s: \(what)")
        }
        defer { group.cancelAll() }
        return try await group.next()!
    }
}

/// Polls `condition` every 2 ms for up to `timeout` s.
func poll(for what: String, timeout: Double = 10, _ condition: () -> Bool) async throws {
    let deadline = ContinuousClock.now + .seconds(timeout)
    while !condition() {
        guard ContinuousClock.now < deadline else { throw BrokerError("timed out after \(timeout) s waiting for \(what)") }
        try await Task.sleep(for: .milliseconds(2))
    }
}
