import CMosquitto
import Foundation
import Synchronization

/// An MQTT 3.1.1 client over libmosquitto 2.0, for a daemon that must not lose what it publishes.
///
/// - `start()` starts a network thread that connects, and reconnects after every failure with the
///   configured backoff, for as long as the client runs. Every connect re-sends the remembered
///   subscriptions and publishes `online` (retained) to the presence topic, whose will is `offline`.
/// - `publish` with QoS 1/2 never loses a message silently: while disconnected libmosquitto queues
///   it and sends it after the next connect; at most `outboxLimit` such messages may wait for the
///   broker's acknowledgement, and beyond that `publish` throws `.outboxFull`. QoS 0 while
///   disconnected throws `.notConnected`.
/// - Incoming messages arrive on `messages` (one consumer; bounded, see
///   `MQTTConfiguration.incomingBufferLimit`), connection changes on `events` (one consumer).
/// - `stop()` publishes `offline`, waits for the outbox to drain, disconnects cleanly and waits for
///   the network thread to end. A started client must be stopped: until then its network thread
///   keeps it alive.
///
/// Why a network thread of its own rather than `mosquitto_loop_start`: with libmosquitto 2.0.11
/// the thread `mosquitto_loop_start` creates (a) never connects if the first
/// `mosquitto_connect_async` failed, e.g. because the daemon started before the broker, and (b)
/// ends silently (no disconnect callback, no reconnect, ever) when a TLS handshake fails during a
/// reconnect. This client's thread runs `mosquitto_loop` itself (with `mosquitto_threaded_set`, as
/// libmosquitto asks of applications that do so), sees every outcome as a return code, and
/// reconnects with `mosquitto_reconnect_async` after the same backoff libmosquitto would use.
///
/// Thread safety (why this class is `Sendable` without an actor): the C callbacks run on the
/// network thread (the log callback also on threads calling `publish`); every mutable Swift field
/// lives in `state` behind one `Mutex`, taken briefly by the callbacks and by the public methods.
/// libmosquitto's calls are thread-safe on a threaded handle; the client makes each
/// `mosquitto_publish`/`mosquitto_subscribe` while holding `state`'s lock so that a message id is
/// recorded before its acknowledgement can be processed. The callbacks never wait on anything but
/// `state` (the log callback only on its own small lock), and libmosquitto never holds a lock a
/// publishing thread needs while it runs a callback, so the two cannot deadlock.
public final class MQTTClient: Sendable {
    public let configuration: MQTTConfiguration
    /// Incoming messages on subscribed topics. Finishes after `stop()`.
    public let messages: AsyncStream<MQTTMessage>
    /// Connection changes, for logging and health reporting: one event per connect and per failed
    /// attempt or lost connection. Finishes after `stop()`; keeps the newest 256 if nobody reads.
    public let events: AsyncStream<MQTTConnectionEvent>

    /// The libmosquitto handle, owned by this object: created in `init`, destroyed in `deinit`.
    /// `nonisolated(unsafe)` because C pointers are not `Sendable`; the pointer itself never
    /// changes, and the calls made through it are safe from any thread as described above.
    nonisolated(unsafe) private let mosq: OpaquePointer
    private let messageSink: AsyncStream<MQTTMessage>.Continuation
    private let eventSink: AsyncStream<MQTTConnectionEvent>.Continuation
    private let state = Mutex(State())
    /// libmosquitto's error log lines since the last attempt was judged (OpenSSL's reasons for a
    /// failed handshake arrive only this way). Separate from `state`: libmosquitto logs from
    /// inside calls the client makes while holding `state`'s lock.
    private let libraryErrors = Mutex<[String]>([])
    private let received = Atomic<Int>(0)
    private let droppedIncoming = Atomic<Int>(0)
    /// Cuts the network thread's reconnect delay short when `stop()` is called.
    private let wakeup = DispatchSemaphore(value: 0)

    private var host: String { configuration.host }
    private var port: Int { configuration.port }

    /// Creates the libmosquitto handle and applies the configuration (will, TLS, options). Does
    /// not connect: call `start()`. Throws for an invalid configuration or unreadable TLS files.
    public init(configuration: MQTTConfiguration) throws {
        try configuration.validate()
        Mosquitto.initialise()
        guard let handle = mosquitto_new(configuration.clientID, configuration.cleanSession, nil) else {
            throw MQTTError.invalidConfiguration(
                field: "clientID", problem: "rejected by libmosquitto: \(String(cString: strerror(errno)))")
        }
        self.configuration = configuration
        mosq = handle
        (messages, messageSink) = AsyncStream.makeStream(
            of: MQTTMessage.self, bufferingPolicy: .bufferingOldest(configuration.incomingBufferLimit))
        (events, eventSink) = AsyncStream.makeStream(
            of: MQTTConnectionEvent.self, bufferingPolicy: .bufferingNewest(256))
        // From here on `deinit` runs if anything throws, and destroys the handle.
        try configureHandle()
        mosquitto_user_data_set(mosq, Unmanaged.passUnretained(self).toOpaque())
        installCallbacks()
    }

    deinit {
        // Reached only when never started, or after the network thread ended.
        mosquitto_destroy(mosq)
        messageSink.finish()
        eventSink.finish()
    }

    // MARK: - Public interface

    /// Starts the network thread, which connects in the background, and returns at once; use
    /// `waitUntilConnected` or `events` to learn the outcome. The broker may be down: the client
    /// keeps retrying. Reads the password file now. Throws for configuration problems only.
    public func start() throws {
        try state.withLock { s in
            switch s.phase {
            case .idle: break
            case .running: throw MQTTError.alreadyStarted(host: host, port: port)
            case .stopping, .stopped: throw MQTTError.stopped(host: host, port: port)
            }
            try applyCredentials()
            s.phase = .running
            // The thread's closure holds the client until the thread ends.
            let thread = Thread { [self] in runNetworkThread() }
            thread.name = "mqtt \(configuration.clientID)"
            thread.start()
        }
    }

    /// Returns once connected. Throws `.connectTimedOut` (with the last connection error) after
    /// `timeout`, and at once when the broker refuses the credentials or the TLS handshake fails,
    /// since retrying will not fix those (the client itself still keeps retrying).
    public func waitUntilConnected(timeout: Duration) async throws {
        let host = host, port = port
        try await suspend(
            timeout: timeout,
            timeoutError: { last in .connectTimedOut(host: host, port: port, seconds: timeout.seconds, lastError: last) }
        ) { s in
            guard s.phase == .idle || s.phase == .running else { throw MQTTError.stopped(host: host, port: port) }
            return s.connected ? nil : .connected
        }
    }

    /// Subscribes to `filter` (wildcards allowed) now and again after every reconnect. When
    /// connected, returns after the broker's SUBACK (throws `.subscriptionRejected` if the broker
    /// refused it); when not connected, returns at once and the subscription is sent on connect.
    public func subscribe(_ filter: String, qos: MQTTQoS = .atLeastOnce) async throws {
        try MQTTTopic.validate(filter: filter)
        let host = host, port = port
        try await suspend(
            timeout: configuration.operationTimeout,
            timeoutError: { _ in
                .subscribeTimedOut(host: host, port: port, filter: filter, seconds: self.configuration.operationTimeout.seconds)
            }
        ) { s in
            guard s.phase == .idle || s.phase == .running else { throw MQTTError.stopped(host: host, port: port) }
            var mid: Int32 = 0
            let rc = s.connected ? mosquitto_subscribe(mosq, &mid, filter, qos.rawValue) : Mosquitto.noConnection
            guard rc == Mosquitto.success || rc == Mosquitto.noConnection else {
                throw MQTTError.subscribeFailed(host: host, port: port, filter: filter, detail: Mosquitto.describe(rc))
            }
            if let index = s.subscriptions.firstIndex(where: { $0.filter == filter }) {
                s.subscriptions[index].qos = qos
            } else {
                s.subscriptions.append((filter, qos))
            }
            guard rc == Mosquitto.success else { return nil }
            s.pendingSubacks[mid] = filter
            return .suback(mid)
        }
    }

    /// Forgets `filter` and, when connected, unsubscribes from it.
    public func unsubscribe(_ filter: String) throws {
        try MQTTTopic.validate(filter: filter)
        try state.withLock { s in
            guard s.phase == .idle || s.phase == .running else { throw MQTTError.stopped(host: host, port: port) }
            s.subscriptions.removeAll { $0.filter == filter }
            guard s.connected else { return }
            let rc = mosquitto_unsubscribe(mosq, nil, filter)
            guard rc == Mosquitto.success || rc == Mosquitto.noConnection else {
                throw MQTTError.subscribeFailed(host: host, port: port, filter: filter, detail: Mosquitto.describe(rc))
            }
        }
    }

    /// Publishes `payload` to `topic`. QoS 1/2: accepted into the outbox (sent now, or after the
    /// next connect) unless `outboxLimit` messages already wait, in which case it throws
    /// `.outboxFull` and the message is not sent. QoS 0: sent now, or `.notConnected`.
    /// May be called before `start()` for QoS 1/2 (the message waits for the first connect).
    public func publish(topic: String, payload: some ContiguousBytes, qos: MQTTQoS = .atLeastOnce, retain: Bool = false) throws {
        try MQTTTopic.validate(topic: topic)
        try payload.withUnsafeBytes { bytes in
            guard bytes.count <= 268_435_455 else {
                throw MQTTError.publishFailed(
                    host: host, port: port, topic: topic, detail: "payload of \(bytes.count) bytes exceeds MQTT's 256 MB limit")
            }
            try state.withLock { s in
                guard s.phase == .idle || s.phase == .running else { throw MQTTError.stopped(host: host, port: port) }
                if qos == .atMostOnce {
                    guard s.connected else {
                        s.refusedPublishes += 1
                        throw MQTTError.notConnected(host: host, port: port, topic: topic)
                    }
                } else if s.userOutbox.count >= configuration.outboxLimit {
                    s.refusedPublishes += 1
                    throw MQTTError.outboxFull(host: host, port: port, topic: topic, limit: configuration.outboxLimit)
                }
                var mid: Int32 = 0
                let rc = mosquitto_publish(mosq, &mid, topic, Int32(bytes.count), bytes.baseAddress, qos.rawValue, retain)
                // With QoS > 0 libmosquitto queues the message before it tries to send it, so
                // "no connection" means "queued until the next connect".
                if rc == Mosquitto.success || (rc == Mosquitto.noConnection && qos != .atMostOnce) {
                    if qos != .atMostOnce { s.userOutbox.insert(mid) }
                    return
                }
                if rc == Mosquitto.noConnection {
                    s.refusedPublishes += 1
                    throw MQTTError.notConnected(host: host, port: port, topic: topic)
                }
                throw MQTTError.publishFailed(host: host, port: port, topic: topic, detail: Mosquitto.describe(rc))
            }
        }
    }

    /// Publishes the UTF-8 bytes of `payload`.
    public func publish(topic: String, payload: String, qos: MQTTQoS = .atLeastOnce, retain: Bool = false) throws {
        try publish(topic: topic, payload: Array(payload.utf8), qos: qos, retain: retain)
    }

    /// Publishes `offline` to the presence topic, waits up to `drainTimeout` for the broker to
    /// acknowledge every QoS 1/2 message, disconnects cleanly (so the will is not sent) and waits
    /// for the network thread to end; then finishes `messages` and `events`. Returns the number of
    /// messages accepted by `publish` that the broker never acknowledged (they are discarded).
    /// When disconnected with messages waiting, this waits the whole `drainTimeout` in case the
    /// broker comes back. The client cannot be started again; a second call returns 0 at once.
    @discardableResult
    public func stop(drainTimeout: Duration = .seconds(5)) async -> Int {
        enum Plan { case nothing, finish, shutDown(drain: Bool) }
        let plan = state.withLock { s -> Plan in
            switch s.phase {
            case .idle:
                s.phase = .stopped
                return .finish
            case .running:
                s.phase = .stopping
                if let presence = configuration.presence {
                    publishPresence(presence.offline, to: presence.topic, state: &s)
                }
                return .shutDown(drain: s.connected || !s.userOutbox.isEmpty)
            case .stopping, .stopped:
                return .nothing
            }
        }
        switch plan {
        case .nothing:
            return 0
        case .finish:
            break
        case let .shutDown(drain):
            if drain {
                try? await suspend(timeout: drainTimeout, timeoutError: { _ in .stopped(host: self.host, port: self.port) }) { s in
                    s.userOutbox.isEmpty && s.internalOutbox.isEmpty ? nil : .outboxEmpty
                }
            }
            state.withLock { s in
                s.shutdown = true
                s.shutdownDeadline = .now + .seconds(2)
            }
            mosquitto_disconnect(mosq)  // wakes the network thread if it waits for the socket
            wakeup.signal()  // wakes it if it waits to reconnect
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let ended = state.withLock { s in
                    if !s.networkThreadEnded { s.networkThreadEndWaiters.append(continuation) }
                    return s.networkThreadEnded
                }
                if ended { continuation.resume() }
            }
        }
        mosquitto_user_data_set(mosq, nil)
        let (undelivered, resumptions) = state.withLock { s in
            s.phase = .stopped
            s.connected = false
            let waiting = s.takeWaiters(where: { _ in true }, result: .failure(MQTTError.stopped(host: host, port: port)))
            return (s.userOutbox.count, waiting)
        }
        resume(resumptions)
        eventSink.yield(.stopped(undelivered: undelivered))
        eventSink.finish()
        messageSink.finish()
        return undelivered
    }

    public var isConnected: Bool { state.withLock { $0.connected } }

    public var statistics: MQTTStatistics {
        state.withLock { s in
            MQTTStatistics(
                connects: s.connects,
                received: received.load(ordering: .relaxed),
                droppedIncoming: droppedIncoming.load(ordering: .relaxed),
                outbox: s.userOutbox.count,
                refusedPublishes: s.refusedPublishes)
        }
    }

    /// The connection's socket, or -1. For tests that cut the connection abruptly.
    var socketDescriptorForTesting: Int32 { mosquitto_socket(mosq) }

    // MARK: - Setup

    private func configureHandle() throws {
        // The network thread is the client's own (see the type's documentation): packets queued
        // by other threads then wake it through libmosquitto's socket pair instead of being
        // written by the publishing thread.
        try check(mosquitto_threaded_set(mosq, true), "threaded mode")
        try check(mosquitto_int_option(mosq, MOSQ_OPT_PROTOCOL_VERSION, MQTT_PROTOCOL_V311), "protocol version")
        // Without TCP_NODELAY, QoS 1 round trips wait for Nagle's algorithm (tens of ms).
        try check(mosquitto_int_option(mosq, MOSQ_OPT_TCP_NODELAY, 1), "TCP_NODELAY")
        if let presence = configuration.presence {
            let offline = Array(presence.offline.utf8)
            try check(
                mosquitto_will_set(mosq, presence.topic, Int32(offline.count), offline, MQTTQoS.atLeastOnce.rawValue, true),
                "last will on '\(presence.topic)'")
        }
        if let tls = configuration.tls {
            try Self.checkReadable(tls.caFile, role: "CA file")
            if let certificate = tls.certificateFile { try Self.checkReadable(certificate, role: "certificate file") }
            if let key = tls.keyFile { try Self.checkReadable(key, role: "key file") }
            let rc = mosquitto_tls_set(mosq, tls.caFile, nil, tls.certificateFile, tls.keyFile, nil)
            guard rc == Mosquitto.success else {
                throw MQTTError.tlsSetupFailed(host: host, port: port, detail: Mosquitto.describe(rc))
            }
            // 1 = SSL_VERIFY_PEER: the broker's certificate must chain to the CA file.
            try check(mosquitto_tls_opts_set(mosq, 1, nil, nil), "TLS options")
            if tls.insecure { try check(mosquitto_tls_insecure_set(mosq, true), "TLS insecure flag") }
        }
    }

    private func check(_ rc: Int32, _ what: String) throws {
        guard rc == Mosquitto.success else {
            throw MQTTError.invalidConfiguration(field: what, problem: "rejected by libmosquitto: \(Mosquitto.describe(rc))")
        }
    }

    private func applyCredentials() throws {
        guard let credentials = configuration.credentials else { return }
        let password: String?
        switch credentials.password {
        case .none: password = nil
        case let .literal(text): password = text
        case let .file(path): password = try Self.readPassword(path)
        }
        try check(mosquitto_username_pw_set(mosq, credentials.username, password), "credentials")
    }

    private func installCallbacks() {
        mosquitto_connect_callback_set(mosq) { _, context, rc in
            MQTTClient.from(context)?.didConnect(rc)
        }
        mosquitto_disconnect_callback_set(mosq) { _, context, rc in
            MQTTClient.from(context)?.didDisconnect(rc)
        }
        mosquitto_publish_callback_set(mosq) { _, context, mid in
            MQTTClient.from(context)?.didPublish(mid)
        }
        mosquitto_message_callback_set(mosq) { _, context, message in
            guard let message else { return }
            MQTTClient.from(context)?.didReceive(message.pointee)
        }
        mosquitto_subscribe_callback_set(mosq) { _, context, mid, count, granted in
            let rejected = count > 0 && granted?[0] == 0x80  // SUBACK failure
            MQTTClient.from(context)?.didSubscribe(mid, rejected: rejected)
        }
        mosquitto_log_callback_set(mosq) { _, context, level, text in
            guard level & Int32(MOSQ_LOG_ERR) != 0, let text else { return }
            MQTTClient.from(context)?.didLogError(String(cString: text))
        }
    }

    /// The client behind libmosquitto's user-data pointer. Unretained: callbacks run on the
    /// network thread, whose closure holds the client, or inside a method of the client; the
    /// pointer is cleared in `stop()` after the thread ended.
    private static func from(_ context: UnsafeMutableRawPointer?) -> MQTTClient? {
        context.map { Unmanaged<MQTTClient>.fromOpaque($0).takeUnretainedValue() }
    }

    // MARK: - The network thread

    /// Connects, runs `mosquitto_loop` while connected, waits the reconnect delay, and again,
    /// until `stop()`.
    private func runNetworkThread() {
        // A write to a socket the broker closed must give EPIPE, not kill the daemon.
        var pipe = sigset_t()
        sigemptyset(&pipe)
        sigaddset(&pipe, SIGPIPE)
        pthread_sigmask(SIG_BLOCK, &pipe, nil)

        var hostConfigured = false
        let host = Self.connectableHost(host)
        while !isShuttingDown {
            _ = takeLibraryErrors()
            errno = 0
            let rc =
                hostConfigured
                ? mosquitto_reconnect_async(mosq)
                : mosquitto_connect_async(mosq, host, Int32(port), Int32(configuration.keepAliveSeconds))
            let connectErrno = errno
            if rc != Mosquitto.invalid { hostConfigured = true }
            if rc == Mosquitto.success {
                state.withLock { $0.attempt = Attempt() }
                let (loopRC, loopErrno) = runConnection()
                endAttempt(failure: isShuttingDown ? nil : classify(loopRC, errno: loopErrno))
            } else {
                endAttempt(failure: classify(rc, errno: connectErrno))
            }
            guard !isShuttingDown else { break }
            let delay = state.withLock { s in
                defer { s.failedAttempts += 1 }
                return configuration.reconnect.delaySeconds(attempt: s.failedAttempts)
            }
            _ = wakeup.wait(timeout: .now() + .seconds(delay))
        }
        let waiters = state.withLock { s in
            s.networkThreadEnded = true
            defer { s.networkThreadEndWaiters.removeAll() }
            return s.networkThreadEndWaiters
        }
        for waiter in waiters { waiter.resume() }
    }

    /// `host`, except "localhost" where the resolver does not know it (a minimal container or
    /// chroot without an /etc/hosts entry: a fresh debootstrap'd Debian 12 has none), which
    /// becomes 127.0.0.1.
    static func connectableHost(_ host: String) -> String {
        guard host.lowercased() == "localhost" else { return host }
        var result: UnsafeMutablePointer<addrinfo>?
        var hints = addrinfo()
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        let rc = getaddrinfo(host, nil, &hints, &result)
        if let result { freeaddrinfo(result) }
        return rc == 0 ? host : "127.0.0.1"
    }

    /// Runs libmosquitto's loop until the connection ends; returns its last code and errno.
    private func runConnection() -> (Int32, Int32) {
        var disconnectSent = false
        while true {
            let (shuttingDown, deadline) = state.withLock { ($0.shutdown, $0.shutdownDeadline) }
            if shuttingDown {
                // `stop()` asked for a DISCONNECT; send one in case this connection began after
                // that, then give it a moment to go out.
                if !disconnectSent {
                    mosquitto_disconnect(mosq)
                    disconnectSent = true
                }
                if ContinuousClock.now > deadline { return (Mosquitto.success, 0) }
            }
            errno = 0
            let rc = mosquitto_loop(mosq, shuttingDown ? 100 : Int32(configuration.keepAliveSeconds) * 1000, 1)
            if rc != Mosquitto.success { return (rc, errno) }
        }
    }

    private var isShuttingDown: Bool { state.withLock { $0.shutdown } }

    /// What a failed connection attempt or a lost connection means, from libmosquitto's return
    /// code, errno and the error lines it logged.
    private func classify(_ rc: Int32, errno code: Int32) -> MQTTError {
        let logged = takeLibraryErrors()
        if rc == Mosquitto.tls || (logged?.contains("SSL") ?? false) {
            return .tlsFailed(host: host, port: port, detail: logged ?? Mosquitto.describe(rc))
        }
        let detail =
            switch rc {
            case Mosquitto.systemError where code != 0: String(cString: strerror(code))
            case Mosquitto.keepalive: "no answer within the keepalive interval"
            default: Mosquitto.describe(rc)
            }
        let wasAccepted = state.withLock { $0.attempt.accepted }
        return wasAccepted
            ? .connectionLost(host: host, port: port, detail: detail)
            : .connectFailed(host: host, port: port, detail: detail)
    }

    /// Records the end of a connection attempt (or of a connection) and reports `failure`, unless
    /// the broker's refusal was already reported by `didConnect`.
    private func endAttempt(failure: MQTTError?) {
        let (event, resumptions) = state.withLock { s -> (MQTTError?, [Resumption]) in
            s.connected = false
            // Acknowledgements for subscriptions in flight will not come; the subscriptions are
            // remembered and re-sent on the next connect.
            s.pendingSubacks.removeAll()
            var resumptions = s.takeWaiters(where: { if case .suback = $0 { true } else { false } }, result: .success(()))
            guard let failure, !s.shutdown, !s.attempt.refused else { return (nil, resumptions) }
            s.lastError = failure
            if failure.endsWaitForConnection {
                resumptions += s.takeWaiters(where: { $0 == .connected }, result: .failure(failure))
            }
            return (failure, resumptions)
        }
        if let event { eventSink.yield(.disconnected(event)) }
        resume(resumptions)
    }

    // MARK: - Callbacks (on the network thread)

    private func didConnect(_ rc: Int32) {
        guard rc == 0 else {
            let error = MQTTError.connectionRefused(
                host: host, port: port, code: Int(rc), reason: Mosquitto.describeConnack(rc))
            let resumptions = state.withLock { s in
                s.lastError = error
                s.attempt.refused = true
                return s.takeWaiters(where: { $0 == .connected }, result: .failure(error))
            }
            eventSink.yield(.disconnected(error))
            resume(resumptions)
            return
        }
        var problems: [MQTTError] = []
        let resumptions = state.withLock { s in
            s.connected = true
            s.attempt.accepted = true
            s.connects += 1
            s.failedAttempts = 0
            s.lastError = nil
            // Subscriptions first, then `online`: libmosquitto sends them in this order, and
            // re-sends the queued publishes only after this callback returns.
            for subscription in s.subscriptions {
                var mid: Int32 = 0
                let rc = mosquitto_subscribe(mosq, &mid, subscription.filter, subscription.qos.rawValue)
                if rc == Mosquitto.success {
                    s.pendingSubacks[mid] = subscription.filter
                } else {
                    problems.append(.subscribeFailed(
                        host: host, port: port, filter: subscription.filter, detail: Mosquitto.describe(rc)))
                }
            }
            if let presence = configuration.presence {
                publishPresence(presence.online, to: presence.topic, state: &s)
            }
            return s.takeWaiters(where: { $0 == .connected }, result: .success(()))
        }
        eventSink.yield(.connected(host: host, port: port))
        for problem in problems { eventSink.yield(.problem(problem)) }
        resume(resumptions)
    }

    private func didDisconnect(_ rc: Int32) {
        // The network thread learns the reason from `mosquitto_loop` and reports it.
        state.withLock { $0.connected = false }
    }

    private func didPublish(_ mid: Int32) {
        // Also called for QoS 0 messages once written; their ids are simply not in the outbox.
        let resumptions = state.withLock { s -> [Resumption] in
            if s.userOutbox.remove(mid) == nil { s.internalOutbox.remove(mid) }
            guard s.userOutbox.isEmpty && s.internalOutbox.isEmpty else { return [] }
            return s.takeWaiters(where: { $0 == .outboxEmpty }, result: .success(()))
        }
        resume(resumptions)
    }

    private func didReceive(_ message: mosquitto_message) {
        let payload: [UInt8] =
            if let bytes = message.payload, message.payloadlen > 0 {
                Array(UnsafeRawBufferPointer(start: bytes, count: Int(message.payloadlen)))
            } else {
                []
            }
        let incoming = MQTTMessage(
            topic: message.topic.map { String(cString: $0) } ?? "",
            payload: payload,
            qos: MQTTQoS(rawValue: message.qos) ?? .atMostOnce,
            retain: message.retain)
        received.add(1, ordering: .relaxed)
        if case .dropped = messageSink.yield(incoming) {
            droppedIncoming.add(1, ordering: .relaxed)
        }
    }

    private func didSubscribe(_ mid: Int32, rejected: Bool) {
        var problem: MQTTError?
        let resumptions = state.withLock { s -> [Resumption] in
            guard let filter = s.pendingSubacks.removeValue(forKey: mid) else { return [] }
            let result: Result<Void, any Error> =
                rejected ? .failure(MQTTError.subscriptionRejected(host: host, port: port, filter: filter)) : .success(())
            let waiting = s.takeWaiters(where: { $0 == .suback(mid) }, result: result)
            if rejected && waiting.isEmpty { problem = .subscriptionRejected(host: host, port: port, filter: filter) }
            return waiting
        }
        if let problem { eventSink.yield(.problem(problem)) }
        resume(resumptions)
    }

    private func didLogError(_ line: String) {
        libraryErrors.withLock { lines in
            if lines.count >= 4 { lines.removeFirst() }
            lines.append(line)
        }
    }

    private func takeLibraryErrors() -> String? {
        let lines = libraryErrors.withLock { lines in
            defer { lines.removeAll() }
            return lines
        }
        return lines.isEmpty ? nil : lines.joined(separator: "; ")
    }

    /// Publishes a presence payload (QoS 1, retained) from inside `state`'s lock; tracked in the
    /// internal outbox so that `stop()` waits for it, but not counted against `outboxLimit`.
    private func publishPresence(_ payload: String, to topic: String, state s: inout State) {
        let bytes = Array(payload.utf8)
        var mid: Int32 = 0
        let rc = mosquitto_publish(mosq, &mid, topic, Int32(bytes.count), bytes, MQTTQoS.atLeastOnce.rawValue, true)
        if rc == Mosquitto.success || rc == Mosquitto.noConnection { s.internalOutbox.insert(mid) }
    }

    // MARK: - Waiting

    /// Suspends until the condition `register` returns is met, `timeout` passes, or the task is
    /// cancelled. `register` runs under `state`'s lock; it returns `nil` when there is nothing to
    /// wait for, and may throw to fail at once.
    private func suspend(
        timeout: Duration,
        timeoutError: @escaping @Sendable (MQTTError?) -> MQTTError,
        register: (inout State) throws -> Waiter.Condition?
    ) async throws {
        let id = state.withLock { s in
            s.nextWaiterID += 1
            return s.nextWaiterID
        }
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                let registered: Result<Bool, any Error> = state.withLock { s in
                    do {
                        guard let condition = try register(&s) else { return .success(false) }
                        s.waiters[id] = Waiter(condition: condition, continuation: continuation)
                        return .success(true)
                    } catch {
                        return .failure(error)
                    }
                }
                switch registered {
                case let .failure(error):
                    continuation.resume(throwing: error)
                case .success(false):
                    continuation.resume()
                case .success(true):
                    let timer = Task { [weak self] in
                        try? await Task.sleep(for: timeout)
                        guard !Task.isCancelled else { return }
                        self?.finishWaiter(id) { timeoutError($0) }
                    }
                    state.withLock { s in
                        if s.waiters[id] != nil { s.waiters[id]?.timer = timer } else { timer.cancel() }
                    }
                }
            }
        } onCancel: {
            finishWaiter(id) { _ in CancellationError() }
        }
    }

    private func finishWaiter(_ id: UInt64, error: (MQTTError?) -> any Error) {
        let taken = state.withLock { s -> (Waiter, MQTTError?)? in
            guard let waiter = s.waiters.removeValue(forKey: id) else { return nil }
            return (waiter, s.lastError)
        }
        guard let (waiter, lastError) = taken else { return }
        waiter.timer?.cancel()
        waiter.continuation.resume(throwing: error(lastError))
    }

    private func resume(_ resumptions: [Resumption]) {
        for (continuation, result) in resumptions { continuation.resume(with: result) }
    }

    // MARK: - Files

    static func readPassword(_ path: String) throws -> String {
        let bytes: [UInt8]
        do { bytes = try readFile(path) } catch let failure as FileFailure {
            throw MQTTError.passwordFileUnreadable(path: path, reason: failure.reason)
        }
        guard var text = String(validating: bytes, as: UTF8.self) else {
            throw MQTTError.passwordFileUnreadable(path: path, reason: "the file is not valid UTF-8")
        }
        if text.hasSuffix("\r\n") || text.hasSuffix("\n") { text.removeLast() }
        guard !text.isEmpty else { throw MQTTError.passwordFileUnreadable(path: path, reason: "the file is empty") }
        return text
    }

    static func checkReadable(_ path: String, role: String) throws {
        do { _ = try readFile(path, limit: 1) } catch let failure as FileFailure {
            throw MQTTError.tlsFileUnreadable(path: path, role: role, reason: failure.reason)
        }
    }

    private struct FileFailure: Error {
        var reason: String
    }

    /// Up to `limit` bytes of the file at `path`; the failure reason is the system's.
    private static func readFile(_ path: String, limit: Int = 1 << 20) throws -> [UInt8] {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw FileFailure(reason: String(cString: strerror(errno))) }
        defer { close(fd) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        while bytes.count < limit {
            let n = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n < 0 {
                if errno == EINTR { continue }
                throw FileFailure(reason: String(cString: strerror(errno)))
            }
            if n == 0 { break }
            bytes += chunk[0..<n]
        }
        return bytes
    }
}

// MARK: - State

private typealias Resumption = (CheckedContinuation<Void, any Error>, Result<Void, any Error>)

private struct Waiter: Sendable {
    enum Condition: Equatable, Sendable {
        case connected
        case outboxEmpty
        case suback(Int32)
    }

    let condition: Condition
    let continuation: CheckedContinuation<Void, any Error>
    var timer: Task<Void, Never>?
}

/// One connection attempt, from the connect call to the end of the connection.
private struct Attempt {
    /// The broker accepted the CONNECT.
    var accepted = false
    /// The broker refused the CONNECT (already reported by `didConnect`).
    var refused = false
}

/// Everything mutable about a client, guarded by `MQTTClient.state`.
private struct State {
    enum Phase { case idle, running, stopping, stopped }

    var phase = Phase.idle
    var connected = false
    var attempt = Attempt()
    /// Set by `stop()` once the outbox drained: the network thread disconnects and ends.
    var shutdown = false
    var shutdownDeadline = ContinuousClock.now
    var networkThreadEnded = false
    var networkThreadEndWaiters: [CheckedContinuation<Void, Never>] = []
    /// Re-sent on every connect, in the order first subscribed.
    var subscriptions: [(filter: String, qos: MQTTQoS)] = []
    /// Ids of QoS 1/2 messages accepted by `publish` and not yet acknowledged. (Ids are 16 bits
    /// and reused after 65535 publishes; `outboxLimit` stays below that.)
    var userOutbox = Set<Int32>()
    /// Ids of unacknowledged presence messages.
    var internalOutbox = Set<Int32>()
    var pendingSubacks: [Int32: String] = [:]
    var waiters: [UInt64: Waiter] = [:]
    var nextWaiterID: UInt64 = 0
    /// Consecutive failed connection attempts, for the reconnect delay.
    var failedAttempts = 0
    var lastError: MQTTError?
    var connects = 0
    var refusedPublishes = 0

    mutating func takeWaiters(where matches: (Waiter.Condition) -> Bool, result: Result<Void, any Error>) -> [Resumption] {
        var taken: [Resumption] = []
        for (id, waiter) in waiters where matches(waiter.condition) {
            waiters[id] = nil
            waiter.timer?.cancel()
            taken.append((waiter.continuation, result))
        }
        return taken
    }
}

extension MQTTError {
    /// Failures that retrying will not fix without a configuration change; `waitUntilConnected`
    /// reports them at once instead of waiting for its timeout.
    var endsWaitForConnection: Bool {
        switch self {
        case .connectionRefused, .tlsFailed, .tlsSetupFailed: true
        default: false
        }
    }
}
