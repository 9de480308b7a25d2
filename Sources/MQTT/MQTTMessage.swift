public enum MQTTQoS: Int32, Sendable, Equatable, CaseIterable, CustomStringConvertible {
    case atMostOnce = 0
    case atLeastOnce = 1
    case exactlyOnce = 2

    public var description: String { "QoS \(rawValue)" }
}

/// One message received on a subscribed topic.
public struct MQTTMessage: Sendable, Equatable {
    public var topic: String
    /// The payload exactly as received: MQTT payloads are bytes, not text.
    public var payload: [UInt8]
    public var qos: MQTTQoS
    /// `true` when the broker delivered a retained message because of a new subscription.
    public var retain: Bool

    public init(topic: String, payload: [UInt8], qos: MQTTQoS, retain: Bool) {
        self.topic = topic
        self.payload = payload
        self.qos = qos
        self.retain = retain
    }

    /// The payload as UTF-8 text, or `nil` when it is not valid UTF-8.
    public var text: String? { String(validating: payload, as: UTF8.self) }
}

/// What `MQTTClient.events` reports, for logging and health topics.
public enum MQTTConnectionEvent: Sendable, Equatable, CustomStringConvertible {
    /// CONNACK accepted; subscriptions were re-sent and `online` published.
    case connected(host: String, port: Int)
    /// A connection attempt failed or an established connection ended; the client retries by
    /// itself (after the reconnect delay) until `stop()`.
    case disconnected(MQTTError)
    /// A problem that does not end the connection (the broker rejected a re-subscription).
    case problem(MQTTError)
    /// `stop()` finished; `undelivered` QoS 1/2 messages were never acknowledged by the broker.
    case stopped(undelivered: Int)

    public var description: String {
        switch self {
        case let .connected(host, port): return "connected to MQTT broker \(host):\(port)"
        case let .disconnected(error): return "disconnected: \(error)"
        case let .problem(error): return "problem: \(error)"
        case let .stopped(undelivered): return "stopped, \(undelivered) unacknowledged messages discarded"
        }
    }
}

/// Counters since the client was created.
public struct MQTTStatistics: Sendable, Equatable {
    /// Successful connects (CONNACK accepted), the first included.
    public var connects: Int
    /// Messages received from the broker (delivered or dropped).
    public var received: Int
    /// Received messages dropped because `messages` already buffered `incomingBufferLimit`.
    public var droppedIncoming: Int
    /// QoS 1/2 messages accepted by `publish` and not yet acknowledged by the broker.
    public var outbox: Int
    /// Publishes refused with `.outboxFull` or `.notConnected`.
    public var refusedPublishes: Int
}
