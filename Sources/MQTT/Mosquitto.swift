import CMosquitto

/// Process-wide libmosquitto facts: one-time initialisation and return-code texts.
enum Mosquitto {
    /// `mosquitto_lib_init` runs exactly once per process, on first use (a `static let` is
    /// initialised lazily and thread-safely). `mosquitto_lib_cleanup` is never called: clients may
    /// live until the process exits, and the OS reclaims what cleanup would free.
    private static let initialisation: Int32 = mosquitto_lib_init()

    static func initialise() {
        _ = initialisation
    }

    static func code(_ error: mosq_err_t) -> Int32 { Int32(error.rawValue) }

    static let success = code(MOSQ_ERR_SUCCESS)
    static let noConnection = code(MOSQ_ERR_NO_CONN)
    static let tls = code(MOSQ_ERR_TLS)
    static let systemError = code(MOSQ_ERR_ERRNO)
    static let invalid = code(MOSQ_ERR_INVAL)
    static let keepalive = code(MOSQ_ERR_KEEPALIVE)

    /// libmosquitto's text for a return code, without the trailing full stop.
    static func describe(_ rc: Int32) -> String {
        var text = String(cString: mosquitto_strerror(rc))
        if text.hasSuffix(".") { text.removeLast() }
        return "\(text.prefix(1).lowercased())\(text.dropFirst())"
    }

    /// The MQTT 3.1.1 CONNACK refusal text for `code` (1...5).
    static func describeConnack(_ code: Int32) -> String {
        var text = String(cString: mosquitto_connack_string(code))
        if text.hasPrefix("Connection Refused: ") { text.removeFirst("Connection Refused: ".count) }
        if text.hasSuffix(".") { text.removeLast() }
        return text
    }
}
