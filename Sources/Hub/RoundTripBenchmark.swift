import Foundation
import Intents
import MQTT
import Synchronization

/// Text-in → device-command-out latency through a real broker: a probe client publishes a command
/// on `hark/<site>/text`, waits for the device command it causes, and only then sends the next.
/// The parser's own time comes from each action's `ms.parse`, so the two can be told apart.
public enum RoundTripBenchmark {
    /// One command and the topic its device command appears on.
    public struct Probe: Sendable {
        public var text: String
        public var deviceTopic: String
        public init(text: String, deviceTopic: String) {
            self.text = text
            self.deviceTopic = deviceTopic
        }
    }

    public struct Report: Sendable, CustomStringConvertible {
        /// Sorted, milliseconds.
        public var roundTrip: [Double]
        /// Sorted, milliseconds (the parser's `ms.parse`, whole milliseconds).
        public var parse: [Double]

        public var count: Int { roundTrip.count }
        public var roundTripMedian: Double { Self.percentile(roundTrip, 0.5) }
        public var roundTripP99: Double { Self.percentile(roundTrip, 0.99) }
        public var parseMedian: Double { Self.percentile(parse, 0.5) }
        public var parseP99: Double { Self.percentile(parse, 0.99) }

        /// Nearest-rank percentile of sorted values.
        static func percentile(_ sorted: [Double], _ p: Double) -> Double {
            guard !sorted.isEmpty else { return .nan }
            let rank = Int((p * Double(sorted.count)).rounded(.up))
            return sorted[min(max(rank - 1, 0), sorted.count - 1)]
        }

        public var description: String {
            func f(_ x: Double) -> String { String(format: "%.2f", x) }
            return "text → device command over MQTT, \(count) commands: median \(f(roundTripMedian)) ms, p99 \(f(roundTripP99)) ms, "
                + "min \(f(roundTrip.first ?? .nan)) ms, max \(f(roundTrip.last ?? .nan)) ms; "
                + "parser (ms.parse) median \(f(parseMedian)) ms, p99 \(f(parseP99)) ms"
        }
    }

    /// Measures against a hub already running on the broker `probe` connects to. `probe` must
    /// have a client id of its own.
    public static func measure(probe: MQTTConfiguration, site: String, probes: [Probe], count: Int,
                               timeout: Duration = .seconds(5)) async throws -> Report {
        precondition(!probes.isEmpty && count > 0)
        var settings = probe
        settings.presence = nil
        settings.incomingBufferLimit = max(settings.incomingBufferLimit, 4 * count + 64)
        let client = try MQTTClient(configuration: settings)
        let arrivals = Arrivals()
        let reader = Task {
            for await message in client.messages {
                if message.topic == HarkTopic.action(site) {
                    if let ms = (try? JSON.parse(message.payload))?["ms"]?["parse"]?.numberValue { arrivals.parsed(ms) }
                } else {
                    arrivals.arrived(topic: message.topic, at: .now)
                }
            }
        }
        defer { reader.cancel() }
        try client.start()
        do {
            try await client.waitUntilConnected(timeout: .seconds(10))
            for topic in Set(probes.map(\.deviceTopic)) { try await client.subscribe(topic, qos: .atLeastOnce) }
            try await client.subscribe(HarkTopic.action(site), qos: .atLeastOnce)
            var roundTrips: [Double] = []
            roundTrips.reserveCapacity(count)
            for i in 0..<count {
                let probe = probes[i % probes.count]
                arrivals.expect(probe.deviceTopic)
                let sent = ContinuousClock.now
                try client.publish(topic: HarkTopic.text(site), payload: probe.text, qos: .atLeastOnce)
                let arrived = try await arrivals.next(timeout: timeout)
                let elapsed = arrived - sent
                roundTrips.append(Double(elapsed.components.seconds) * 1000 + Double(elapsed.components.attoseconds) / 1e15)
            }
            // The action (with ms.parse) follows each device command; wait for the last ones.
            let deadline = ContinuousClock.now + timeout
            while arrivals.parseCount < count && ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(2)) }
            await client.stop(drainTimeout: .seconds(1))
            return Report(roundTrip: roundTrips.sorted(), parse: arrivals.parseTimes.sorted())
        } catch {
            await client.stop(drainTimeout: .milliseconds(200))
            throw error
        }
    }

    /// Runs a hub with the deterministic parser over `catalog`/`registry` on the configured broker
    /// (commands: "turn on/off the <device name>" for the site's first on/off devices) and
    /// measures `count` round trips. What `hark bench --mqtt` reports.
    public static func run(configuration: DaemonConfiguration, catalog: Catalog, registry: Registry, count: Int = 1000,
                           parser: (any CommandParser)? = nil) async throws -> Report {
        guard let site = registry.site ?? registry.areas.first?.id else { throw BenchmarkError("the registry has no areas") }
        let resolver = ActionResolver(catalog: catalog, registry: registry)
        let router = ActionRouter(catalog: catalog, registry: registry, settings: configuration.mqtt.adapters)
        var phrases: [String: String] = [:]
        var probes: [Probe] = []
        for device in registry.devices where device.has(.onOff) && probes.count < 8 {
            for on in [true, false] {
                let canonical = "\(on ? "turn_on" : "turn_off") device=\(device.id)"
                guard let resolved = try? resolver.resolve(text: canonical), !resolved.needsConfirmation,
                      let command = try? router.plan(resolved).first else { continue }
                let text = "turn \(on ? "on" : "off") the \(device.name)"
                phrases[text] = canonical
                probes.append(Probe(text: text, deviceTopic: command.topic))
            }
        }
        guard !probes.isEmpty else { throw BenchmarkError("no device can be switched on and off to measure with") }
        let hub = HubService(configuration: configuration, catalog: catalog, registry: registry,
                             parser: parser ?? TableCommandParser(resolver: resolver, phrases: phrases), logger: .silent)
        let serving = Task { try await hub.run() }
        defer { serving.cancel() }
        try await hub.waitUntilReady(timeout: .seconds(10))
        var probe = configuration.mqtt.connection
        probe.clientID += "-bench-probe"
        probe.cleanSession = true
        let report = try await measure(probe: probe, site: site, probes: probes, count: count)
        serving.cancel()
        _ = try? await serving.value
        return report
    }

    public struct BenchmarkError: Error, CustomStringConvertible {
        public var description: String
        init(_ description: String) { self.description = description }
    }
}

/// Device-command arrivals handed from the probe's reader task to the measuring loop.
private final class Arrivals: Sendable {
    private struct State {
        var expected: String?
        var arrived: ContinuousClock.Instant?
        var waiter: CheckedContinuation<ContinuousClock.Instant, any Error>?
        var parse: [Double] = []
    }

    private let state = Mutex(State())

    func expect(_ topic: String) {
        state.withLock { s in
            s.expected = topic
            s.arrived = nil
        }
    }

    func arrived(topic: String, at instant: ContinuousClock.Instant) {
        let waiter = state.withLock { s -> CheckedContinuation<ContinuousClock.Instant, any Error>? in
            guard topic == s.expected, s.arrived == nil else { return nil }
            s.arrived = instant
            defer { s.waiter = nil }
            return s.waiter
        }
        waiter?.resume(returning: instant)
    }

    func parsed(_ ms: Double) { state.withLock { $0.parse.append(ms) } }
    var parseCount: Int { state.withLock { $0.parse.count } }
    var parseTimes: [Double] { state.withLock { $0.parse } }

    /// The arrival of the expected topic's next message, or a timeout error.
    func next(timeout: Duration) async throws -> ContinuousClock.Instant {
        let timer = Task {
            try await Task.sleep(for: timeout)
            let waiter = state.withLock { s in
                defer { s.waiter = nil }
                return s.waiter
            }
            waiter?.resume(throwing: RoundTripBenchmark.BenchmarkError("no device command within \(timeout)"))
        }
        defer { timer.cancel() }
        return try await withCheckedThrowingContinuation { continuation in
            let ready = state.withLock { s -> ContinuousClock.Instant? in
                if let arrived = s.arrived { return arrived }
                s.waiter = continuation
                return nil
            }
            if let ready { continuation.resume(returning: ready) }
        }
    }
}
