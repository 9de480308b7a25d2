import Foundation
import Inference
import Intents
import MQTT
import ServiceLifecycle
import Synchronization

/// A command from a local stage (the speech pipeline) rather than MQTT.
public struct HubCommand: Sendable {
    /// The caller's id, used as the action id; nil: a new UUID.
    public var id: String?
    public var text: String
    /// The area id the command was heard at.
    public var site: String
    public var source: ActionSource
    /// Earlier stages' timings (`asr`), carried into the action's `ms`.
    public var timings: StageTimings
    /// Named in errors (`speech`).
    public var origin: String

    public init(id: String? = nil, text: String, site: String, source: ActionSource = .speech, timings: StageTimings = StageTimings(),
                origin: String = "speech") {
        self.id = id
        self.text = text
        self.site = site
        self.source = source
        self.timings = timings
        self.origin = origin
    }
}

/// Counters since the service started.
public struct HubStatistics: Sendable, Equatable {
    /// Commands received (text topics, Hermes queries, `submit`), rejected ones included.
    public var inputs = 0
    /// Messages on device state topics.
    public var stateUpdates = 0
    /// Actions performed or answered.
    public var actions = 0
    /// Inputs answered with an error (bad input, not understood, cannot perform, queue full).
    public var rejected = 0
    /// QoS 1 redeliveries (same topic, id and payload as a recent input) ignored.
    public var duplicates = 0
    /// Commands waiting for the parser now, and the most that ever waited.
    public var queued = 0
    public var maxQueued = 0
    /// Publishes that could not even be queued (outbox full, client stopped); logged once a second.
    public var publishFailures = 0
    /// Messages the MQTT client dropped because the hub's reader fell `incomingBufferLimit`
    /// behind (the reader only validates and enqueues, so this should stay 0).
    public var droppedByClient = 0
    /// Successful connects to the broker (1 while the connection never dropped; a reload keeps it).
    public var connects = 0
    /// Configuration reloads that took effect, and those refused (the running one kept).
    public var reloads = 0
    public var failedReloads = 0
    /// Parses started ahead of their command (`prefetch`), and those whose command came and used them.
    public var speculativeParses = 0
    public var speculativeParsesUsed = 0
}

public enum HubError: Error, Sendable, Equatable, CustomStringConvertible {
    case alreadyStarted
    case notReady(seconds: Double)

    public var description: String {
        switch self {
        case .alreadyStarted: return "the hub service was already started; make a new one"
        case let .notReady(seconds): return "the hub did not connect and subscribe within \(seconds) s"
        }
    }
}

/// The daemon's MQTT side: reads commands from `hark/<site>/text` and `hermes/nlu/query`, parses
/// them one at a time, routes the actions to devices, answers state queries from the devices'
/// state topics, and reports every rejected input on `hark/<site>/error`.
///
/// Flow control: the MQTT reader only validates (size, UTF-8, JSON, site) and enqueues; a single
/// worker parses and routes. The queue holds at most `mqtt.input_queue` commands (256); an input
/// arriving when it is full gets an error at once. So memory stays bounded under a flood and every
/// input gets an action or an error, never silence. (Payloads are bounded by the broker: set
/// mosquitto's `max_packet_size`, since the client receives whole messages before Hark sees them.)
///
/// Duplicates: QoS 1 delivers at least once. An input that carries an id (`{"text","id"}`, a
/// Hermes query's `id`) and repeats a recent one (same topic, id and payload; last 4096 kept) is a
/// redelivery and is ignored; the same id with a different payload is an error. Plain-text inputs
/// carry no id and cannot be told apart from a repeated command.
///
/// Lifecycle: a ServiceLifecycle `Service`. `run()` connects, subscribes and serves until graceful
/// shutdown (`ServiceGroup`, SIGTERM) or until its task is cancelled; then it stops taking input,
/// answers commands still queued with a "shutting down" error, publishes `offline` and drains the
/// QoS 1 outbox.
///
/// Reload: `reload(configFile:)` replaces the registry, catalog, router, device state store and
/// parser while the service runs, on the same MQTT connection (subscriptions follow the new state
/// topics). The swap is one assignment under a lock: each command is handled wholly by the old or
/// wholly by the new configuration, and commands that arrive meanwhile wait in the input queue.
public final class HubService: Sendable {
    /// Everything a reload replaces, swapped as one value.
    struct Setup: Sendable {
        var configuration: DaemonConfiguration
        var catalog: Catalog
        var registry: Registry
        var router: ActionRouter
        var states: DeviceStateStore
        var parser: any CommandParser

        init(configuration: DaemonConfiguration, catalog: Catalog, registry: Registry, parser: any CommandParser,
             previousStates: DeviceStateStore? = nil) {
            self.configuration = configuration
            self.catalog = catalog
            self.registry = registry
            self.parser = parser
            let adapters = AdapterSet(settings: configuration.mqtt.adapters)
            states = DeviceStateStore(registry: registry, adapters: adapters, keepingStatesOf: previousStates)
            router = ActionRouter(catalog: catalog, registry: registry, settings: configuration.mqtt.adapters, states: states)
        }

        /// Text commands, Hermes queries (when enabled), listen requests (with push-to-talk), every
        /// device state topic.
        var subscriptions: [String] {
            let speech = configuration.speech
            let listen = speech.pushToTalk && speech.mode != .off
                ? [HarkTopic.listenFilter] + (configuration.hermes.enabled ? [Hermes.startListeningTopic] : []) : []
            return [HarkTopic.textFilter] + (configuration.hermes.enabled ? [Hermes.queryTopic] : []) + listen + states.topics
        }
    }

    /// The configuration in effect (settings that need a restart keep their running values).
    public var configuration: DaemonConfiguration { current.configuration }
    public var catalog: Catalog { current.catalog }
    public var registry: Registry { current.registry }
    public var router: ActionRouter { current.router }
    public var states: DeviceStateStore { current.states }
    private var current: Setup { setup.withLock { $0 } }
    private let setup: Mutex<Setup>
    /// The last reload started; each waits for the one before (see `reload`).
    private let lastReload = Mutex<Task<ReloadOutcome, Never>?>(nil)
    private let logger: HubLogger
    private let runState = Mutex(RunState())
    private let counters = Mutex(HubStatistics())
    /// The parser's times of the last commands, for the p50/p95 in `hark/<site>/stats`.
    private let parseTimes = Mutex(LatencyWindow(capacity: 512))
    private let started = ContinuousClock.now
    private let lastFailureLog = Mutex<ContinuousClock.Instant?>(nil)
    /// Where push-to-talk requests go (the speech stage, while it runs).
    private let listenHandler = Mutex<(@Sendable (ListenRequest) -> Void)?>(nil)
    /// The speech stage's counters, for `hark/<site>/stats`.
    private let speechCounters = Mutex<SpeechStatistics?>(nil)
    /// The parse started by the last `prefetch`, until a command takes it or another replaces it.
    private let speculation = Mutex<Speculation?>(nil)

    private struct Speculation: Sendable {
        var text: String
        var site: String
        /// `HubStatistics.reloads` when it started: after a reload its parser is not the one in effect.
        var reloads: Int
        var task: Task<ParsedCommand, any Error>
    }

    private struct RunState {
        var started = false
        var ready = false
        var stopping = false
        var client: MQTTClient?
        var sink: AsyncStream<Job>.Continuation?
        var recent = RecentInputs(capacity: 4096)
    }

    public init(configuration: DaemonConfiguration, catalog: Catalog, registry: Registry, parser: any CommandParser,
                logger: HubLogger = .standardError(level: .info)) {
        setup = Mutex(Setup(configuration: configuration, catalog: catalog, registry: registry, parser: parser))
        self.logger = logger
    }

    public convenience init(configuration: DaemonConfiguration, home: HomeConfiguration, parser: any CommandParser,
                            logger: HubLogger = .standardError(level: .info)) {
        self.init(configuration: configuration, catalog: home.catalog, registry: home.registry, parser: parser, logger: logger)
    }

    public var statistics: HubStatistics {
        var s = counters.withLock { $0 }
        s.queued = max(s.queued, 0)  // the worker may count a job taken before the reader counts it queued
        if let mqtt = runState.withLock({ $0.client?.statistics }) {
            s.droppedByClient = mqtt.droppedIncoming
            s.connects = mqtt.connects
        }
        return s
    }

    /// True once connected and subscribed.
    public var isReady: Bool { runState.withLock { $0.ready && ($0.client?.isConnected ?? false) } }

    /// The topics the hub subscribes to: text commands, Hermes queries (when enabled), and every
    /// device state topic.
    public var subscriptions: [String] { current.subscriptions }

    /// Waits until `run()` has connected and subscribed (for tests and benchmarks).
    public func waitUntilReady(timeout: Duration) async throws {
        let deadline = ContinuousClock.now + timeout
        while !isReady {
            guard ContinuousClock.now < deadline else { throw HubError.notReady(seconds: Double(timeout.components.seconds)) }
            try await Task.sleep(for: .milliseconds(5))
        }
    }

    // MARK: - Running

    /// Serves until graceful shutdown or until the calling task is cancelled. Throws for an unusable
    /// MQTT configuration or a subscription the broker refuses; a broker that is down is waited for
    /// (and reconnected to).
    public func run() async throws {
        let configuration = self.configuration
        let client = try MQTTClient(configuration: configuration.mqtt.connection)
        let (jobs, sink) = AsyncStream.makeStream(of: Job.self, bufferingPolicy: .bufferingOldest(configuration.mqtt.inputQueueLimit))
        try runState.withLock { s in
            guard !s.started else { throw HubError.alreadyStarted }
            s.started = true
            s.client = client
            s.sink = sink
        }
        let events = Task { await self.log(events: client.events) }
        do {
            try client.start()
            // Subscribing while connected waits for each SUBACK, so "ready" means ready. A broker
            // that is down gets the subscriptions on connect; refused credentials or a failed TLS
            // handshake will not fix themselves and end the run.
            do { try await client.waitUntilConnected(timeout: .seconds(5)) } catch let error as MQTTError {
                switch error {
                case .connectionRefused, .tlsFailed: throw error
                default: logger.warning("broker not reachable yet; will keep trying", ["error": "\(error)"])
                }
            }
            for filter in subscriptions { try await client.subscribe(filter, qos: .atLeastOnce) }
        } catch {
            logger.error("cannot start", ["error": "\(error)"])
            await client.stop(drainTimeout: .seconds(1))
            await events.value
            runState.withLock { s in
                s.client = nil
                s.sink = nil
            }
            throw error
        }
        runState.withLock { $0.ready = true }
        let running = current
        logger.info("hub running", [
            "broker": "\(configuration.mqtt.connection.host):\(configuration.mqtt.connection.port)",
            "devices": "\(running.registry.devices.count)", "state_topics": "\(running.states.topics.count)",
        ])
        let consumer = Task { await self.consume(client.messages, client: client) }
        let worker = Task { await self.work(jobs, client: client) }
        let interval = configuration.logging.statsInterval
        let reporter = Task {
            guard interval > 0 else { return }
            while !Task.isCancelled {
                try? await Task.sleep(for: .milliseconds(Int(interval * 1000)))
                if Task.isCancelled { break }
                self.publishStats(client)
            }
        }

        // Returns on graceful shutdown, throws on cancellation: either way, stop.
        try? await gracefulShutdown()
        reporter.cancel()

        logger.info("hub stopping")
        runState.withLock { s in
            s.stopping = true
            s.ready = false
        }
        sink.finish()
        await worker.value
        let final = statistics
        let undelivered = await client.stop(drainTimeout: .seconds(2))
        await consumer.value
        await events.value
        counters.withLock { c in
            c.droppedByClient = final.droppedByClient
            c.connects = final.connects
        }
        runState.withLock { s in
            s.client = nil
            s.sink = nil
        }
        logger.info("hub stopped", [
            "undelivered": "\(undelivered)", "actions": "\(final.actions)", "rejected": "\(final.rejected)",
            "dropped_by_client": "\(final.droppedByClient)",
        ])
    }

    /// Queues a command from a local stage. Returns false, after publishing an error on
    /// `hark/<site>/error`, when it cannot be queued (not running, queue full, unknown site).
    @discardableResult
    public func submit(_ command: HubCommand) -> Bool {
        guard let client = runState.withLock({ $0.client }) else { return false }
        count { $0.inputs += 1 }
        let id = command.id ?? Self.newID()
        let text = command.text.trimmingCharacters(in: .whitespacesAndNewlines)
        let error: (String) -> Bool = { reason in
            self.reject(client, site: command.site, id: id, origin: command.origin, reason: reason)
            return false
        }
        guard !text.isEmpty else { return error("empty command text") }
        let registry = self.registry
        guard registry.area(id: command.site) != nil else { return error(Self.unknownSite(command.site, registry)) }
        let job = Job(id: id, text: text, site: command.site, source: command.source, origin: command.origin, hermes: nil,
                      timings: command.timings, received: .now)
        return enqueue(job, client: client)
    }

    /// Starts parsing `text` at `site` ahead of its command: the speech stage calls it when the
    /// speaker pauses after a complete command, so that the `submit` of the same words moments
    /// later (when the pause has lasted long enough to end the utterance) finds the parse done or
    /// under way. Skipped while commands wait in the input queue, which a speculative parse must
    /// not delay; a command that arrives during one waits for it (one parse at most). Replaces an
    /// earlier speculation not taken.
    public func prefetch(text: String, site: String) {
        let text = text.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !text.isEmpty, runState.withLock({ $0.client != nil && !$0.stopping }) else { return }
        let (queued, reloads) = counters.withLock { ($0.queued, $0.reloads) }
        guard queued == 0 else { return }
        let parser = current.parser
        let task = Task { try await parser.parse(text, site: site) }
        speculation.withLock { $0 = Speculation(text: text, site: site, reloads: reloads, task: task) }
        count { $0.speculativeParses += 1 }
    }

    /// The speculative parse of exactly this command, if one was started with the parser in effect.
    private func takeSpeculation(for job: Job) -> Task<ParsedCommand, any Error>? {
        guard job.source == .speech else { return nil }
        let reloads = counters.withLock { $0.reloads }
        return speculation.withLock { s -> Task<ParsedCommand, any Error>? in
            guard let current = s, current.text == job.text, current.site == job.site, current.reloads == reloads else { return nil }
            s = nil
            return current.task
        }
    }

    // MARK: - Reloading

    /// Re-reads `configFile` and, if it is valid and a parser for it can be built, puts it into
    /// effect between two commands without dropping the broker connection. Otherwise the running
    /// configuration stays and every problem is logged (`file:line:col: field: message`). Reloads
    /// run one at a time, in the order they were asked for.
    @discardableResult
    public func reload(configFile: URL) async -> ReloadOutcome {
        await serialized { () async -> ReloadOutcome in
            let start = ContinuousClock.now
            let loaded: HarkConfiguration
            do throws(Diagnostics) { loaded = try HarkConfiguration.load(configFile: configFile) } catch {
                return self.refuse(error.items.map(\.description), file: configFile.path)
            }
            return await self.apply(loaded, started: start)
        }
    }

    /// Puts an already loaded configuration into effect (see `reload(configFile:)`).
    @discardableResult
    public func reload(_ configuration: HarkConfiguration) async -> ReloadOutcome {
        await serialized { await self.apply(configuration, started: .now) }
    }

    private func serialized(_ work: @escaping @Sendable () async -> ReloadOutcome) async -> ReloadOutcome {
        let task = lastReload.withLock { last -> Task<ReloadOutcome, Never> in
            let previous = last
            let next = Task {
                _ = await previous?.value
                return await work()
            }
            last = next
            return next
        }
        return await task.value
    }

    private func refuse(_ problems: [String], file: String) -> ReloadOutcome {
        count { $0.failedReloads += 1 }
        for problem in problems { logger.error("reload: \(problem)") }
        logger.error("reload refused; the running configuration stays", ["file": file, "problems": "\(problems.count)"])
        return .refused(problems)
    }

    private func apply(_ loaded: HarkConfiguration, started: ContinuousClock.Instant) async -> ReloadOutcome {
        let old = current
        var daemon = loaded.daemon
        // What the running client and input queue were built with cannot change under them.
        let restartOnly = Self.restartOnlyChanges(from: old.configuration, to: daemon)
        daemon.mqtt.connection = old.configuration.mqtt.connection
        daemon.mqtt.inputQueueLimit = old.configuration.mqtt.inputQueueLimit
        daemon.logging = old.configuration.logging
        daemon.audio = old.configuration.audio
        daemon.speech = old.configuration.speech
        let parser: any CommandParser
        do { parser = try await old.parser.reconfigured(for: loaded.home, settings: daemon.parser) } catch {
            return refuse(["\(loaded.file.path): the parser cannot be built for the new configuration: \(error)"], file: loaded.file.path)
        }
        let new = Setup(configuration: daemon, catalog: loaded.home.catalog, registry: loaded.home.registry, parser: parser,
                        previousStates: old.states)
        // The swap: the worker takes the setup once per command, the reader once per message.
        setup.withLock { $0 = new }
        let before = Set(old.subscriptions), after = Set(new.subscriptions)
        let added = new.subscriptions.filter { !before.contains($0) }
        let removed = old.subscriptions.filter { !after.contains($0) }
        if let client = runState.withLock({ $0.stopping ? nil : $0.client }) {
            for filter in added {
                do { try await client.subscribe(filter, qos: .atLeastOnce) } catch {
                    logger.error("reload: cannot subscribe", ["topic": filter, "error": "\(error)"])
                }
            }
            for filter in removed {
                do { try client.unsubscribe(filter) } catch {
                    logger.warning("reload: cannot unsubscribe", ["topic": filter, "error": "\(error)"])
                }
            }
        }
        let oldIDs = Set(old.registry.devices.map(\.id)), newIDs = Set(new.registry.devices.map(\.id))
        let summary = ReloadSummary(
            devices: new.registry.devices.count,
            addedDevices: new.registry.devices.map(\.id).filter { !oldIDs.contains($0) },
            removedDevices: old.registry.devices.map(\.id).filter { !newIDs.contains($0) },
            subscribed: added, unsubscribed: removed, restartOnly: restartOnly,
            milliseconds: Self.milliseconds(ContinuousClock.now - started))
        count { $0.reloads += 1 }
        if !restartOnly.isEmpty {
            logger.warning("reload: changed settings take effect only on restart", ["settings": restartOnly.joined(separator: ",")])
        }
        logger.info("reloaded config", [
            "file": loaded.file.path, "devices": "\(summary.devices)", "added": "\(summary.addedDevices.count)",
            "removed": "\(summary.removedDevices.count)", "areas": "\(new.registry.areas.count)",
            "intents": "\(new.catalog.intents.count)", "subscribed": "\(added.count)", "unsubscribed": "\(removed.count)",
            "ms": Self.format(summary.milliseconds),
        ])
        return .reloaded(summary)
    }

    /// The config keys that differ between `old` and `new` but only apply to a new connection,
    /// input queue or logger.
    static func restartOnlyChanges(from old: DaemonConfiguration, to new: DaemonConfiguration) -> [String] {
        let a = old.mqtt.connection, b = new.mqtt.connection
        var changed: [String] = []
        if a.host != b.host { changed.append("mqtt.host") }
        if a.port != b.port { changed.append("mqtt.port") }
        if a.clientID != b.clientID { changed.append("mqtt.client_id") }
        if a.keepAliveSeconds != b.keepAliveSeconds { changed.append("mqtt.keepalive") }
        if a.credentials != b.credentials { changed.append("mqtt.username/password_file") }
        if a.tls != b.tls { changed.append("mqtt.tls") }
        if a.cleanSession != b.cleanSession { changed.append("mqtt.persistent_session") }
        if a.outboxLimit != b.outboxLimit { changed.append("mqtt.outbox_limit") }
        if old.mqtt.inputQueueLimit != new.mqtt.inputQueueLimit { changed.append("mqtt.input_queue") }
        if old.logging.level != new.logging.level { changed.append("logging.level") }
        if old.logging.statsInterval != new.logging.statsInterval { changed.append("logging.stats_interval") }
        // The speech stage opens the device and loads its models once (the grammar follows the registry).
        if old.audio != new.audio { changed.append("audio") }
        if old.speech != new.speech { changed.append("speech") }
        return changed
    }

    // MARK: - Reading input (the MQTT reader task)

    private func consume(_ messages: AsyncStream<MQTTMessage>, client: MQTTClient) async {
        for await message in messages {
            let setup = current
            let states = setup.states
            if states.isStateTopic(message.topic) {
                count { $0.stateUpdates += 1 }
                let changed = states.apply(topic: message.topic, payload: message.payload)
                if !changed.isEmpty { logger.debug("state", ["topic": message.topic, "devices": changed.joined(separator: ",")]) }
            } else if message.topic == Hermes.queryTopic {
                count { $0.inputs += 1 }
                readHermes(message, setup: setup, client: client)
            } else if let site = Self.textSite(message.topic) {
                count { $0.inputs += 1 }
                readText(message, site: site, setup: setup, client: client)
            } else if let site = Self.listenSite(message.topic) {
                requestListening(ListenRequest(site: site, sessionID: nil, origin: message.topic))
            } else if message.topic == Hermes.startListeningTopic {
                let json = try? JSON.parse(message.payload)
                let siteID = json?["siteId"]?.stringValue ?? "default"
                guard let area = Self.hermesArea(siteID, setup) else {
                    logger.debug("listen request for an unknown siteId ignored", ["site_id": siteID])
                    continue
                }
                requestListening(ListenRequest(site: area, sessionID: json?["sessionId"]?.stringValue, origin: message.topic))
            } else {
                logger.debug("ignored message", ["topic": message.topic])
            }
        }
    }

    static func listenSite(_ topic: String) -> String? {
        let parts = topic.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 3, parts[0] == "hark", parts[2] == "listen", !parts[1].isEmpty else { return nil }
        return String(parts[1])
    }

    private func requestListening(_ request: ListenRequest) {
        guard let handler = listenHandler.withLock({ $0 }) else {
            logger.debug("listen request ignored: speech is not running", ["topic": request.origin])
            return
        }
        handler(request)
    }

    // MARK: - Local stages (speech)

    /// Sets (or with nil, clears) what receives push-to-talk requests (`hark/<site>/listen`,
    /// `hermes/asr/startListening`; subscribed with `speech.push_to_talk`). Called on the MQTT
    /// reader task: the handler must only note the request, never block.
    public func setListenHandler(_ handler: (@Sendable (ListenRequest) -> Void)?) {
        listenHandler.withLock { $0 = handler }
    }

    /// Publishes a message from a local stage (QoS 0, not retained: Hermes notifications such as
    /// `hermes/hotword/<id>/detected`). False when the hub is not connected or the outbox is full.
    @discardableResult
    public func publish(topic: String, _ json: JSON) -> Bool {
        guard let client = runState.withLock({ $0.client }) else { return false }
        do { try client.publish(topic: topic, payload: json.bytes, qos: .atMostOnce, retain: false) } catch {
            publishFailed(topic: topic, error: error)
            return false
        }
        return true
    }

    /// The speech stage's latest counters, published in `hark/<site>/stats` under `speech`.
    public func updateSpeechStatistics(_ statistics: SpeechStatistics) {
        speechCounters.withLock { $0 = statistics }
    }

    public var speechStatistics: SpeechStatistics? { speechCounters.withLock { $0 } }

    static func textSite(_ topic: String) -> String? {
        let parts = topic.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 3, parts[0] == "hark", parts[2] == "text", !parts[1].isEmpty else { return nil }
        return String(parts[1])
    }

    /// `hark/<site>/text`: plain UTF-8 text, or `{"text": "...", "id": "..."}`.
    private func readText(_ message: MQTTMessage, site: String, setup: Setup, client: MQTTClient) {
        let origin = message.topic
        func reject(_ id: String?, _ reason: String) { self.reject(client, site: site, id: id, origin: origin, reason: reason) }
        let limit = setup.configuration.mqtt.inputPayloadLimit
        guard message.payload.count <= limit else {
            return reject(nil, "payload of \(message.payload.count) bytes is over the \(limit)-byte limit")
        }
        guard let raw = message.text else { return reject(nil, "payload is not valid UTF-8") }
        var text = raw
        var givenID: String?
        if raw.first(where: { !$0.isWhitespace }) == "{" {
            let json: JSON
            do { json = try JSON.parse(message.payload) } catch { return reject(nil, "malformed JSON: \(error)") }
            switch json["id"] {
            case nil, .null?: break
            case let .string(s)?: givenID = s.isEmpty ? nil : s
            default: return reject(nil, "malformed command: 'id' must be a string")
            }
            guard case let .string(t)? = json["text"] else {
                return reject(givenID, json["text"] == nil ? "malformed command: 'text' is missing" : "malformed command: 'text' must be a string")
            }
            text = t
        }
        text = text.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !text.isEmpty else { return reject(givenID, "empty command text") }
        guard setup.registry.area(id: site) != nil else { return reject(givenID, Self.unknownSite(site, setup.registry)) }
        if let givenID {
            switch remember(topic: message.topic, id: givenID, payload: message.payload) {
            case .new: break
            case .redelivery:
                count { $0.duplicates += 1 }
                logger.debug("redelivery ignored", ["topic": message.topic, "id": givenID])
                return
            case .conflict: return reject(givenID, "id '\(givenID)' was already used by a different command")
            }
        }
        let job = Job(id: givenID ?? Self.newID(), text: text, site: site, source: .text, origin: origin, hermes: nil,
                      timings: StageTimings(), received: .now)
        enqueue(job, client: client)
    }

    /// `hermes/nlu/query`: answered with `hermes/intent/<name>` or `hermes/nlu/intentNotRecognized`.
    private func readHermes(_ message: MQTTMessage, setup: Setup, client: MQTTClient) {
        let origin = message.topic
        let fallbackSite = setup.registry.site ?? "hermes"
        func broken(_ reason: String) {
            reject(client, site: fallbackSite, id: nil, origin: origin, reason: reason)
            publish(client, topic: Hermes.errorTopic, Hermes.nluError(reason, context: origin))
        }
        let limit = setup.configuration.mqtt.inputPayloadLimit
        guard message.payload.count <= limit else { return broken("payload of \(message.payload.count) bytes is over the \(limit)-byte limit") }
        guard message.text != nil else { return broken("payload is not valid UTF-8") }
        let query: Hermes.Query
        do { query = try Hermes.Query(json: try JSON.parse(message.payload)) } catch let error as JSONError {
            return broken("malformed JSON: \(error)")
        } catch {
            return broken("malformed query: \(error)")
        }
        let area = Self.hermesArea(query.siteID, setup)
        func notRecognized(_ reason: String) {
            reject(client, site: area ?? fallbackSite, id: query.id, origin: origin, reason: reason)
            publish(client, topic: Hermes.notRecognizedTopic, Hermes.notRecognized(for: query))
        }
        let text = query.input.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !text.isEmpty else { return notRecognized("empty command text") }
        guard let area else {
            return notRecognized("unknown Hermes siteId '\(query.siteID)' (map it to an area under hermes.sites, or use an area id)")
        }
        if let id = query.id, !id.isEmpty {
            switch remember(topic: origin, id: id, payload: message.payload) {
            case .new: break
            case .redelivery:
                count { $0.duplicates += 1 }
                return
            case .conflict: return notRecognized("id '\(id)' was already used by a different query")
            }
        }
        let id = query.id.flatMap { $0.isEmpty ? nil : $0 } ?? Self.newID()
        enqueue(Job(id: id, text: text, site: area, source: .hermes, origin: origin, hermes: query, timings: StageTimings(),
                    received: .now), client: client)
    }

    /// The area a Hermes siteId means: a configured satellite, an area id, or this hub's own
    /// siteId (`hermes.site_id`, default `default`) for the registry's site.
    public func hermesArea(_ siteID: String) -> String? { Self.hermesArea(siteID, current) }

    private static func hermesArea(_ siteID: String, _ setup: Setup) -> String? {
        if let area = setup.configuration.hermes.sites[siteID] { return area }
        if setup.registry.area(id: siteID) != nil { return siteID }
        if siteID == (setup.configuration.hermes.siteID ?? "default") { return setup.registry.site }
        return nil
    }

    private static func unknownSite(_ site: String, _ registry: Registry) -> String {
        "unknown site '\(site)' (known: \(registry.areas.map(\.id).joined(separator: ", ")))"
    }

    @discardableResult
    private func enqueue(_ job: Job, client: MQTTClient) -> Bool {
        let (sink, stopping) = runState.withLock { ($0.sink, $0.stopping) }
        guard let sink, !stopping else {
            fail(job, client: client, reason: "hark is shutting down; command not run")
            return false
        }
        let limit = configuration.mqtt.inputQueueLimit  // a restart-only setting: always the running value
        switch sink.yield(job) {
        case let .enqueued(remaining):
            counters.withLock { c in
                c.queued += 1
                c.maxQueued = max(c.maxQueued, limit - remaining)
            }
            return true
        case .dropped, .terminated:
            fail(job, client: client, reason: stopping ? "hark is shutting down; command not run"
                : "input queue full (\(limit) commands waiting for the parser); command rejected")
            return false
        @unknown default:
            return false
        }
    }

    private func remember(topic: String, id: String, payload: [UInt8]) -> RecentInputs.Verdict {
        runState.withLock { $0.recent.check(key: "\(topic)\u{0}\(id)", payload: payload) }
    }

    // MARK: - Parsing and routing (the worker task)

    private func work(_ jobs: AsyncStream<Job>, client: MQTTClient) async {
        for await job in jobs {
            counters.withLock { $0.queued -= 1 }
            if runState.withLock({ $0.stopping }) {
                fail(job, client: client, reason: "hark is shutting down; command not run")
                continue
            }
            await process(job, client: client)
        }
    }

    /// Parses and routes one command with the setup in effect when it is taken from the queue (a
    /// reload meanwhile affects the next command), and logs one line with its outcome and times.
    private func process(_ job: Job, client: MQTTClient) async {
        let setup = current
        let clock = ContinuousClock()
        let taken = clock.now
        // Speech: the parse of these words may have started when the speaker paused.
        let speculative = takeSpeculation(for: job)
        if speculative != nil { count { $0.speculativeParsesUsed += 1 } }
        func done(_ outcome: String, _ extra: [(String, String)] = []) {
            let total = Self.milliseconds(clock.now - job.received)
            let wait = Self.milliseconds(taken - job.received)
            var metadata: [(String, String)] = [("id", job.id), ("site", job.site), ("source", job.source.rawValue), ("outcome", outcome)]
            metadata += extra
            if speculative != nil { metadata.append(("parse_started", "at the pause")) }
            metadata += [("wait_ms", Self.format(wait)), ("total_ms", Self.format(total))]
            logger.logger.info("command", metadata: Dictionary(metadata.map { ($0.0, .string($0.1)) }, uniquingKeysWith: { _, b in b }))
        }
        let parsed: ParsedCommand
        do {
            if let speculative {
                parsed = try await speculative.value
            } else {
                parsed = try await setup.parser.parse(job.text, site: job.site)
            }
        } catch {
            fail(job, client: client, reason: "the parser failed: \(error)")
            return done("parser_failed", [("error", "\(error)")])
        }
        parseTimes.withLock { $0.add(parsed.milliseconds) }
        let parseMs = ("parse_ms", Self.format(parsed.milliseconds))
        let resolved: ResolvedAction
        switch parsed.outcome {
        case .notACommand:
            fail(job, client: client, reason: "not understood: not a command for this home")
            return done("not_a_command", [parseMs])
        case let .notUnderstood(reason):
            fail(job, client: client, reason: "not understood: \(reason)")
            return done("not_understood", [parseMs, ("reason", reason)])
        case let .action(action): resolved = action
        }
        if let filter = job.hermes?.intentFilter, !filter.contains(resolved.intent) {
            fail(job, client: client, reason: "not understood: intent '\(resolved.intent)' is not in the query's intentFilter")
            return done("filtered", [parseMs, ("intent", resolved.intent)])
        }
        var ms = job.timings
        ms["parse"] = Int(parsed.milliseconds.rounded())
        let action = resolved.action(id: job.id, text: job.text, confidence: parsed.confidence, source: job.source, ms: ms, site: job.site)
        let routeStart = clock.now
        let outcome = setup.router.route(resolved, action: action, origin: job.origin, publisher: client)
        let routed: [(String, String)] = [
            ("intent", resolved.intent), ("devices", resolved.devices.joined(separator: ",")), parseMs,
            ("route_ms", Self.format(Self.milliseconds(clock.now - routeStart))),
        ] + job.timings.entries.map { ("\($0.stage)_ms", "\($0.ms)") }
        switch outcome {
        case .performed, .answered:
            count { $0.actions += 1 }
            if let query = job.hermes {
                publish(client, topic: Hermes.intentTopic(resolved.intent),
                        Hermes.intent(for: query, action: resolved, confidence: parsed.confidence, catalog: setup.catalog,
                                      registry: setup.registry))
            }
            if case .answered = outcome { done("answered", routed) } else { done("performed", routed) }
        case let .rejected(reason):
            count { $0.rejected += 1 }
            if let query = job.hermes { publish(client, topic: Hermes.notRecognizedTopic, Hermes.notRecognized(for: query)) }
            done("refused", routed + [("reason", reason)])
        }
    }

    static func milliseconds(_ d: Duration) -> Double {
        Double(d.components.seconds) * 1000 + Double(d.components.attoseconds) / 1e15
    }

    static func format(_ ms: Double) -> String { JSON.format((ms * 10).rounded() / 10) }

    // MARK: - Publishing

    /// Publishes `hark/<site>/error` for a queued or parsed command (and, for Hermes queries,
    /// `hermes/nlu/intentNotRecognized`).
    private func fail(_ job: Job, client: MQTTClient, reason: String) {
        reject(client, site: job.site, id: job.id, origin: job.origin, reason: reason)
        if let query = job.hermes { publish(client, topic: Hermes.notRecognizedTopic, Hermes.notRecognized(for: query)) }
    }

    private func reject(_ client: MQTTClient, site: String, id: String?, origin: String, reason: String) {
        count { $0.rejected += 1 }
        logger.debug("input rejected", ["topic": origin, "id": id ?? "-", "reason": reason])
        publish(client, topic: HarkTopic.error(site), HarkTopic.errorPayload(id: id, origin: origin, reason: reason))
    }

    private func publish(_ client: MQTTClient, topic: String, _ json: JSON) {
        do { try client.publish(OutgoingMessage(topic: topic, payload: json.bytes)) } catch {
            publishFailed(topic: topic, error: error)
        }
    }

    /// Counts a failed publish; logs at most one line a second (a flood must not flood the log).
    private func publishFailed(topic: String, error: any Error) {
        let now = ContinuousClock.now
        let failures = counters.withLock { c in
            c.publishFailures += 1
            return c.publishFailures
        }
        let due = lastFailureLog.withLock { last in
            guard last.map({ now - $0 >= .seconds(1) }) ?? true else { return false }
            last = now
            return true
        }
        guard due else { return }
        logger.error("cannot publish", ["topic": topic, "error": "\(error)", "failures_so_far": "\(failures)"])
    }

    private func count(_ update: (inout HubStatistics) -> Void) { counters.withLock { update(&$0) } }

    /// `hark/<site>/stats`: uptime, commands, parse latency p50/p95 over the last 512 commands,
    /// outbox depth, messages dropped, resident memory.
    func statsPayload(client: MQTTClient) -> JSON {
        let s = statistics
        let mqtt = client.statistics
        let (p50, p95) = parseTimes.withLock { ($0.percentile(0.5), $0.percentile(0.95)) }
        let uptime = ContinuousClock.now - started
        var members: [JSON.Member] = [
            JSON.Member("uptime_s", .number(Double(uptime.components.seconds))),
            JSON.Member("commands", .number(Double(s.inputs))),
            JSON.Member("actions", .number(Double(s.actions))),
            JSON.Member("rejected", .number(Double(s.rejected))),
            JSON.Member("parse_ms_p50", p50.map { .number(($0 * 10).rounded() / 10) } ?? .null),
            JSON.Member("parse_ms_p95", p95.map { .number(($0 * 10).rounded() / 10) } ?? .null),
            JSON.Member("queued", .number(Double(s.queued))),
            JSON.Member("outbox", .number(Double(mqtt.outbox))),
            JSON.Member("dropped", .number(Double(s.droppedByClient + mqtt.droppedIncoming))),
        ]
        if let speech = speechStatistics { members.append(JSON.Member("speech", speech.json)) }
        if let rss = ProcessMemory.residentBytes() { members.append(JSON.Member("rss_mb", .number((Double(rss) / 104_857.6).rounded() / 10))) }
        return .object(members)
    }

    private func publishStats(_ client: MQTTClient) {
        guard let site = current.registry.site else { return }
        let payload = statsPayload(client: client).bytes
        do { try client.publish(topic: HarkTopic.stats(site), payload: payload, qos: .atMostOnce, retain: false) } catch {
            logger.debug("stats not published", ["error": "\(error)"])
        }
    }

    private func log(events: AsyncStream<MQTTConnectionEvent>) async {
        for await event in events {
            switch event {
            case .connected: logger.info("\(event)")
            case .disconnected, .problem: logger.warning("\(event)")
            case .stopped: logger.info("\(event)")
            }
        }
    }

    static func newID() -> String { UUID().uuidString.lowercased() }
}

/// A push-to-talk request: listen for one command at `site` without a wake phrase.
public struct ListenRequest: Sendable, Equatable {
    /// The area id the request is for.
    public var site: String
    /// Hermes `sessionId`, echoed in `hermes/asr/textCaptured`.
    public var sessionID: String?
    /// The topic it came on.
    public var origin: String

    public init(site: String, sessionID: String? = nil, origin: String) {
        self.site = site
        self.sessionID = sessionID
        self.origin = origin
    }
}

/// The speech stage's counters since it started (all restarts together).
public struct SpeechStatistics: Sendable, Equatable {
    /// Utterances the endpointer cut from the stream.
    public var utterances = 0
    /// Utterances sent to the recogniser (after a wake phrase, a listen request, or all without wake).
    public var recognized = 0
    /// Commands submitted to the hub.
    public var commands = 0
    public var wakeDetections = 0
    public var listenRequests = 0
    /// Capture overruns, samples dropped for a stalled consumer, device reopens (`AudioSourceStatistics`).
    public var overruns = 0
    public var droppedSamples: Int64 = 0
    public var reopens = 0
    /// Times the stage (re)started, and the recogniser time of the last command.
    public var starts = 0
    public var lastASRMs: Double?

    public init() {}

    var json: JSON {
        .object([
            JSON.Member("utterances", .number(Double(utterances))),
            JSON.Member("recognized", .number(Double(recognized))),
            JSON.Member("commands", .number(Double(commands))),
            JSON.Member("wake_detections", .number(Double(wakeDetections))),
            JSON.Member("listen_requests", .number(Double(listenRequests))),
            JSON.Member("overruns", .number(Double(overruns))),
            JSON.Member("dropped_samples", .number(Double(droppedSamples))),
            JSON.Member("reopens", .number(Double(reopens))),
            JSON.Member("starts", .number(Double(starts))),
            JSON.Member("asr_ms_last", lastASRMs.map { .number(($0 * 10).rounded() / 10) } ?? .null),
        ])
    }
}

/// What a reload did.
public enum ReloadOutcome: Sendable, Equatable {
    /// The new configuration is in effect.
    case reloaded(ReloadSummary)
    /// The running configuration stays; every problem, as `file:line:col: field: message`.
    case refused([String])
}

/// The changes a reload made.
public struct ReloadSummary: Sendable, Equatable {
    public var devices: Int
    public var addedDevices: [String]
    public var removedDevices: [String]
    /// Topics subscribed to and unsubscribed from (device state topics, `hermes/nlu/query`).
    public var subscribed: [String]
    public var unsubscribed: [String]
    /// Settings that changed but take effect only when Hark restarts (`mqtt.host`, ...).
    public var restartOnly: [String]
    /// From reading the file to the swap, the new parser's preparation included.
    public var milliseconds: Double
}

extension HubService: Service {}

/// A command on its way to the parser.
struct Job: Sendable {
    var id: String
    var text: String
    var site: String
    var source: ActionSource
    /// The input topic (or `speech`), named in errors.
    var origin: String
    var hermes: Hermes.Query?
    var timings: StageTimings
    /// When the input arrived, for the command's total time in the log.
    var received: ContinuousClock.Instant
}

/// The last `capacity` input ids with a hash of their payload, oldest forgotten first.
struct RecentInputs {
    enum Verdict { case new, redelivery, conflict }

    let capacity: Int
    private var payloads: [String: Int] = [:]
    private var order: [String] = []
    private var next = 0

    init(capacity: Int) { self.capacity = capacity }

    mutating func check(key: String, payload: [UInt8]) -> Verdict {
        var hasher = Hasher()
        hasher.combine(payload)
        let digest = hasher.finalize()
        if let known = payloads[key] { return known == digest ? .redelivery : .conflict }
        if order.count < capacity {
            order.append(key)
        } else {
            payloads[order[next]] = nil
            order[next] = key
            next = (next + 1) % capacity
        }
        payloads[key] = digest
        return .new
    }
}
