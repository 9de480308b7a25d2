import CMosquitto

/// Topic names and filters, checked by libmosquitto's own rules.
public enum MQTTTopic {
    /// `true` when `topic` (a concrete topic name) matches `filter` (which may use `+` for one
    /// level and a final `#` for any number of levels). `$`-topics such as `$SYS/...` are not
    /// matched by a leading wildcard, as MQTT specifies. An invalid filter or topic matches nothing.
    public static func matches(_ topic: String, filter: String) -> Bool {
        var result = false
        guard mosquitto_topic_matches_sub(filter, topic, &result) == MOSQ_ERR_SUCCESS.rawValue else { return false }
        return result
    }

    /// Throws `.invalidTopic` unless `topic` is a valid name to publish to: non-empty, UTF-8,
    /// at most 65535 bytes, no wildcards.
    public static func validate(topic: String) throws {
        if topic.isEmpty { throw MQTTError.invalidTopic(topic: topic, reason: "it is empty") }
        let rc = mosquitto_pub_topic_check2(topic, topic.utf8.count)
        if rc != MOSQ_ERR_SUCCESS.rawValue {
            throw MQTTError.invalidTopic(topic: topic, reason: reason(rc, wildcardsAllowed: false))
        }
    }

    /// Throws `.invalidTopicFilter` unless `filter` is a valid subscription: non-empty, `+` only as
    /// a whole level, `#` only as the whole last level.
    public static func validate(filter: String) throws {
        if filter.isEmpty { throw MQTTError.invalidTopicFilter(filter: filter, reason: "it is empty") }
        let rc = mosquitto_sub_topic_check2(filter, filter.utf8.count)
        if rc != MOSQ_ERR_SUCCESS.rawValue {
            throw MQTTError.invalidTopicFilter(filter: filter, reason: reason(rc, wildcardsAllowed: true))
        }
    }

    private static func reason(_ rc: Int32, wildcardsAllowed: Bool) -> String {
        switch rc {
        case MOSQ_ERR_MALFORMED_UTF8.rawValue: return "it is not valid UTF-8"
        case MOSQ_ERR_INVAL.rawValue:
            return wildcardsAllowed
                ? "'+' must be a whole level and '#' the whole last level, at most 65535 bytes"
                : "wildcards '+' and '#' are not allowed in a topic name, at most 65535 bytes"
        default: return Mosquitto.describe(rc)
        }
    }
}
