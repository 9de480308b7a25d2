/// Everything the MQTT client can report. Each description names the broker (`host:port`), the
/// topic or the file involved, so a log line alone says what went wrong where.
public enum MQTTError: Error, Sendable, Equatable, CustomStringConvertible {
    /// A configuration field holds an impossible value.
    case invalidConfiguration(field: String, problem: String)
    /// The password file could not be read (or is empty) when the client started.
    case passwordFileUnreadable(path: String, reason: String)
    /// A TLS file (`role`: "CA file", "certificate file", "key file") cannot be read.
    case tlsFileUnreadable(path: String, role: String, reason: String)
    /// libmosquitto rejected the TLS settings.
    case tlsSetupFailed(host: String, port: Int, detail: String)
    /// The TCP connection could not be made (refused, unreachable, name lookup failed).
    case connectFailed(host: String, port: Int, detail: String)
    /// The broker answered CONNACK with a refusal (bad credentials, not authorised, ...).
    case connectionRefused(host: String, port: Int, code: Int, reason: String)
    /// TLS failed while connecting: the broker's certificate is not trusted or does not name the
    /// host, the broker wants a client certificate, or OpenSSL could not load a PEM file.
    /// `detail` carries OpenSSL's own reason.
    case tlsFailed(host: String, port: Int, detail: String)
    /// An established connection ended without a clean disconnect.
    case connectionLost(host: String, port: Int, detail: String)
    /// `waitUntilConnected` gave up; `lastError` is the most recent connection failure, if any.
    indirect case connectTimedOut(host: String, port: Int, seconds: Double, lastError: MQTTError?)
    /// A QoS 0 publish while disconnected: QoS 0 is never queued, so it is refused, not dropped.
    case notConnected(host: String, port: Int, topic: String)
    /// A QoS 1/2 publish while `limit` messages already wait for the broker's acknowledgement.
    case outboxFull(host: String, port: Int, topic: String, limit: Int)
    /// libmosquitto refused a publish for another reason (payload too large, ...).
    case publishFailed(host: String, port: Int, topic: String, detail: String)
    case invalidTopic(topic: String, reason: String)
    case invalidTopicFilter(filter: String, reason: String)
    /// libmosquitto refused to send a SUBSCRIBE.
    case subscribeFailed(host: String, port: Int, filter: String, detail: String)
    /// The broker answered SUBACK with failure (0x80), usually an ACL denial.
    case subscriptionRejected(host: String, port: Int, filter: String)
    /// No SUBACK within the configured `operationTimeout`.
    case subscribeTimedOut(host: String, port: Int, filter: String, seconds: Double)
    case alreadyStarted(host: String, port: Int)
    /// The client was stopped; it cannot be used again.
    case stopped(host: String, port: Int)

    public var description: String {
        switch self {
        case let .invalidConfiguration(field, problem):
            return "invalid MQTT configuration: \(field) \(problem)"
        case let .passwordFileUnreadable(path, reason):
            return "cannot read MQTT password file '\(path)': \(reason)"
        case let .tlsFileUnreadable(path, role, reason):
            return "cannot read MQTT TLS \(role) '\(path)': \(reason)"
        case let .tlsSetupFailed(host, port, detail):
            return "TLS setup for MQTT broker \(host):\(port) failed: \(detail)"
        case let .connectFailed(host, port, detail):
            return "cannot connect to MQTT broker \(host):\(port): \(detail)"
        case let .connectionRefused(host, port, code, reason):
            return "MQTT broker \(host):\(port) refused the connection: \(reason) (CONNACK code \(code))"
        case let .tlsFailed(host, port, detail):
            return "TLS with MQTT broker \(host):\(port) failed: \(detail)"
        case let .connectionLost(host, port, detail):
            return "connection to MQTT broker \(host):\(port) lost: \(detail)"
        case let .connectTimedOut(host, port, seconds, lastError):
            let last = lastError.map { "; last error: \($0)" } ?? ""
            return "not connected to MQTT broker \(host):\(port) within \(Self.format(seconds)) s\(last)"
        case let .notConnected(host, port, topic):
            return "cannot publish QoS 0 to '\(topic)': not connected to MQTT broker \(host):\(port) (QoS 0 is never queued)"
        case let .outboxFull(host, port, topic, limit):
            return "cannot publish to '\(topic)': \(limit) messages already wait for MQTT broker \(host):\(port) (outbox limit)"
        case let .publishFailed(host, port, topic, detail):
            return "cannot publish to '\(topic)' on MQTT broker \(host):\(port): \(detail)"
        case let .invalidTopic(topic, reason):
            return "invalid MQTT topic '\(topic)': \(reason)"
        case let .invalidTopicFilter(filter, reason):
            return "invalid MQTT topic filter '\(filter)': \(reason)"
        case let .subscribeFailed(host, port, filter, detail):
            return "cannot subscribe to '\(filter)' on MQTT broker \(host):\(port): \(detail)"
        case let .subscriptionRejected(host, port, filter):
            return "MQTT broker \(host):\(port) rejected the subscription to '\(filter)'"
        case let .subscribeTimedOut(host, port, filter, seconds):
            return "no SUBACK for '\(filter)' from MQTT broker \(host):\(port) within \(Self.format(seconds)) s"
        case let .alreadyStarted(host, port):
            return "the MQTT client for \(host):\(port) was already started"
        case let .stopped(host, port):
            return "the MQTT client for \(host):\(port) is stopped"
        }
    }

    private static func format(_ seconds: Double) -> String {
        seconds == seconds.rounded() ? String(Int(seconds)) : String(format3: seconds)
    }
}

extension String {
    /// `x` with up to three decimals, without Foundation.
    init(format3 x: Double) {
        let scaled = (x * 1000).rounded()
        let whole = Int(scaled / 1000)
        var fraction = String(Int(abs(scaled).truncatingRemainder(dividingBy: 1000)))
        while fraction.count < 3 { fraction = "0" + fraction }
        while fraction.hasSuffix("0") { fraction.removeLast() }
        self = fraction.isEmpty ? String(whole) : "\(whole).\(fraction)"
    }
}

extension Duration {
    var seconds: Double {
        let parts = components
        return Double(parts.seconds) + Double(parts.attoseconds) / 1e18
    }
}
