/// How an `MQTTClient` reaches its broker and behaves while the broker is away.
///
/// A plain value: the daemon builds one from its config file and hands it to `MQTTClient`.
/// `validate()` (called by the client's initialiser) rejects impossible values with an error that
/// names the field.
public struct MQTTConfiguration: Sendable, Equatable {
    public var host: String
    public var port: Int
    public var clientID: String
    /// Seconds between keepalive pings; libmosquitto requires at least 5.
    public var keepAliveSeconds: Int
    /// MQTT 3.1.1 clean session. With `true` (the default) the broker forgets the client's
    /// subscriptions on disconnect; the client re-subscribes on every connect anyway.
    public var cleanSession: Bool
    public var credentials: Credentials?
    public var tls: TLS?
    /// Last will plus the retained `online` publish on every connect; `nil` turns both off (for
    /// tools and tests that must not touch the daemon's status topic).
    public var presence: Presence?
    public var reconnect: ReconnectPolicy
    /// The most QoS 1/2 messages `publish` accepts that the broker has not yet acknowledged
    /// (queued while disconnected, or in flight). Beyond it `publish` throws `.outboxFull`.
    public var outboxLimit: Int
    /// The most incoming messages buffered in `MQTTClient.messages` for a slow consumer. When the
    /// buffer is full, newly arriving messages are dropped (the oldest are kept, so whatever is
    /// consumed stays in order) and counted in `MQTTStatistics.droppedIncoming`.
    public var incomingBufferLimit: Int
    /// How long `subscribe` waits for the broker's SUBACK.
    public var operationTimeout: Duration

    public init(
        host: String = "127.0.0.1",
        port: Int = 1883,
        clientID: String = "hark",
        keepAliveSeconds: Int = 30,
        cleanSession: Bool = true,
        credentials: Credentials? = nil,
        tls: TLS? = nil,
        presence: Presence? = Presence(),
        reconnect: ReconnectPolicy = ReconnectPolicy(),
        outboxLimit: Int = 10_000,
        incomingBufferLimit: Int = 4_096,
        operationTimeout: Duration = .seconds(10)
    ) {
        self.host = host
        self.port = port
        self.clientID = clientID
        self.keepAliveSeconds = keepAliveSeconds
        self.cleanSession = cleanSession
        self.credentials = credentials
        self.tls = tls
        self.presence = presence
        self.reconnect = reconnect
        self.outboxLimit = outboxLimit
        self.incomingBufferLimit = incomingBufferLimit
        self.operationTimeout = operationTimeout
    }

    public struct Credentials: Sendable, Equatable {
        public var username: String
        public var password: Password

        public init(username: String, password: Password = .none) {
            self.username = username
            self.password = password
        }
    }

    public enum Password: Sendable, Equatable {
        case none
        case literal(String)
        /// Read when the client starts; one trailing newline is removed. Errors name the file.
        case file(String)
    }

    public struct TLS: Sendable, Equatable {
        /// PEM file with the certificate authorities that may sign the broker's certificate.
        public var caFile: String
        /// PEM client certificate and its (unencrypted) key, for brokers that require one.
        public var certificateFile: String?
        public var keyFile: String?
        /// `true` skips the check that the broker's certificate names `host`. Never in production.
        public var insecure: Bool

        public init(caFile: String, certificateFile: String? = nil, keyFile: String? = nil, insecure: Bool = false) {
            self.caFile = caFile
            self.certificateFile = certificateFile
            self.keyFile = keyFile
            self.insecure = insecure
        }
    }

    /// The status topic: the will publishes `offline` (retained, QoS 1) when the connection dies
    /// without a DISCONNECT; every connect publishes `online` (retained, QoS 1); `stop()` publishes
    /// `offline` before it disconnects.
    public struct Presence: Sendable, Equatable {
        public var topic: String
        public var online: String
        public var offline: String

        public init(topic: String = "hark/status", online: String = "online", offline: String = "offline") {
            self.topic = topic
            self.online = online
            self.offline = offline
        }
    }

    /// Delay before each reconnect attempt, in whole seconds, computed as libmosquitto's
    /// `mosquitto_reconnect_delay_set` does: with `exponential`, attempt n (0 after a connection
    /// was lost) waits `minimumDelaySeconds * (n + 1)²` (libmosquitto's "exponential" backoff is
    /// quadratic), capped at `maximumDelaySeconds`; otherwise `minimumDelaySeconds * (n + 1)`.
    /// A successful connect resets n.
    public struct ReconnectPolicy: Sendable, Equatable {
        public var minimumDelaySeconds: Int
        public var maximumDelaySeconds: Int
        public var exponential: Bool

        public init(minimumDelaySeconds: Int = 1, maximumDelaySeconds: Int = 30, exponential: Bool = true) {
            self.minimumDelaySeconds = minimumDelaySeconds
            self.maximumDelaySeconds = maximumDelaySeconds
            self.exponential = exponential
        }

        /// The delay before reconnect attempt `attempt` (0 for the first), as libmosquitto computes it.
        public func delaySeconds(attempt: Int) -> Int {
            let base = max(1, minimumDelaySeconds)
            guard maximumDelaySeconds > base else { return base }
            let step = min(attempt, 1_000) + 1
            let delay = exponential ? base * step * step : base * step
            return min(delay, maximumDelaySeconds)
        }
    }

    /// Throws `MQTTError.invalidConfiguration` naming the first impossible field.
    public func validate() throws {
        func fail(_ field: String, _ problem: String) -> MQTTError {
            .invalidConfiguration(field: field, problem: problem)
        }
        if host.isEmpty { throw fail("host", "is empty") }
        if !(1...65_535).contains(port) { throw fail("port", "\(port) is not in 1...65535") }
        if clientID.isEmpty { throw fail("clientID", "is empty") }
        if clientID.utf8.count > 65_535 { throw fail("clientID", "is longer than 65535 bytes") }
        if !(5...65_535).contains(keepAliveSeconds) {
            throw fail("keepAliveSeconds", "\(keepAliveSeconds) is not in 5...65535 (libmosquitto's range)")
        }
        if let credentials, credentials.username.isEmpty { throw fail("credentials.username", "is empty") }
        if let tls {
            if tls.caFile.isEmpty { throw fail("tls.caFile", "is empty") }
            if (tls.certificateFile == nil) != (tls.keyFile == nil) {
                throw fail("tls", "certificateFile and keyFile must be given together")
            }
        }
        if let presence {
            if presence.topic.isEmpty { throw fail("presence.topic", "is empty") }
            do { try MQTTTopic.validate(topic: presence.topic) } catch {
                throw fail("presence.topic", "'\(presence.topic)' is not a valid topic name")
            }
        }
        if reconnect.minimumDelaySeconds < 1 {
            throw fail("reconnect.minimumDelaySeconds", "\(reconnect.minimumDelaySeconds) is below 1 s")
        }
        if reconnect.maximumDelaySeconds < reconnect.minimumDelaySeconds {
            throw fail("reconnect.maximumDelaySeconds", "\(reconnect.maximumDelaySeconds) is below the minimum delay")
        }
        // Message ids are 16 bits; keep well below 65535 outstanding so ids never collide.
        if !(1...60_000).contains(outboxLimit) { throw fail("outboxLimit", "\(outboxLimit) is not in 1...60000") }
        if incomingBufferLimit < 1 { throw fail("incomingBufferLimit", "\(incomingBufferLimit) is below 1") }
        if operationTimeout <= .zero { throw fail("operationTimeout", "must be positive") }
    }
}
