import XCTest

@testable import MQTT

/// Pure checks: no broker.
final class MQTTTopicAndConfigurationTests: XCTestCase {
    func testWildcardMatching() {
        let cases: [(topic: String, filter: String, matches: Bool)] = [
            ("hark/kitchen/text", "hark/kitchen/text", true),
            ("hark/kitchen/text", "hark/+/text", true),
            ("hark/kitchen/text", "hark/#", true),
            ("hark", "hark/#", true),  // '#' also matches the parent level
            ("hark/kitchen/text", "#", true),
            ("hark/kitchen/text", "+/+/+", true),
            ("hark/kitchen/text", "hark/+", false),
            ("hark/kitchen", "hark/+/text", false),
            ("hark//text", "hark/+/text", true),  // empty level
            ("zigbee2mqtt/lamp/set", "zigbee2mqtt/+/set", true),
            ("$SYS/broker/uptime", "#", false),  // '$' topics are not matched by leading wildcards
            ("$SYS/broker/uptime", "$SYS/#", true),
            ("hark/kitchen/text", "hark/kit#", false),  // invalid filter matches nothing
            ("hark/+/text", "hark/+/text", false),  // a wildcard is not a topic name
        ]
        for (topic, filter, expected) in cases {
            XCTAssertEqual(MQTTTopic.matches(topic, filter: filter), expected, "'\(topic)' against '\(filter)'")
        }
    }

    func testTopicAndFilterValidation() throws {
        XCTAssertNoThrow(try MQTTTopic.validate(topic: "hark/kitchen/action"))
        XCTAssertNoThrow(try MQTTTopic.validate(filter: "hark/+/text"))
        XCTAssertNoThrow(try MQTTTopic.validate(filter: "hark/#"))
        for (topic, reason) in [("", "empty"), ("hark/+/x", "wildcards"), ("hark/#", "wildcards")] {
            XCTAssertThrowsError(try MQTTTopic.validate(topic: topic)) { error in
                guard case let .invalidTopic(named, _) = error as? MQTTError else { return XCTFail("\(error)") }
                XCTAssertEqual(named, topic)
                XCTAssertTrue("\(error)".contains(reason), "\(error)")
                XCTAssertTrue("\(error)".contains("'\(topic)'"), "\(error)")
            }
        }
        for filter in ["", "hark/#/x", "hark/kit+", "hark/ki#"] {
            XCTAssertThrowsError(try MQTTTopic.validate(filter: filter)) { error in
                guard case let .invalidTopicFilter(named, _) = error as? MQTTError else { return XCTFail("\(error)") }
                XCTAssertEqual(named, filter)
            }
        }
    }

    func testConfigurationValidationNamesTheField() {
        func problem(_ change: (inout MQTTConfiguration) -> Void) -> String? {
            var configuration = MQTTConfiguration()
            change(&configuration)
            do {
                try configuration.validate()
                return nil
            } catch {
                return "\(error)"
            }
        }
        XCTAssertNil(problem { _ in })
        XCTAssertEqual(problem { $0.port = 0 }, "invalid MQTT configuration: port 0 is not in 1...65535")
        XCTAssertEqual(problem { $0.clientID = "" }, "invalid MQTT configuration: clientID is empty")
        XCTAssertTrue(problem { $0.keepAliveSeconds = 2 }?.contains("keepAliveSeconds") == true)
        XCTAssertTrue(problem { $0.tls = .init(caFile: "ca.pem", certificateFile: "c.pem") }?.contains("keyFile") == true)
        XCTAssertTrue(problem { $0.presence = .init(topic: "hark/+") }?.contains("presence.topic") == true)
        XCTAssertTrue(problem { $0.outboxLimit = 0 }?.contains("outboxLimit") == true)
        XCTAssertTrue(problem { $0.reconnect = .init(minimumDelaySeconds: 5, maximumDelaySeconds: 2) }?
            .contains("reconnect.maximumDelaySeconds") == true)
        XCTAssertThrowsError(try MQTTClient(configuration: MQTTConfiguration(clientID: "")))
    }

    func testReconnectDelaysFollowLibmosquitto() {
        let quadratic = MQTTConfiguration.ReconnectPolicy(minimumDelaySeconds: 1, maximumDelaySeconds: 30, exponential: true)
        XCTAssertEqual((0..<7).map { quadratic.delaySeconds(attempt: $0) }, [1, 4, 9, 16, 25, 30, 30])
        let linear = MQTTConfiguration.ReconnectPolicy(minimumDelaySeconds: 2, maximumDelaySeconds: 7, exponential: false)
        XCTAssertEqual((0..<5).map { linear.delaySeconds(attempt: $0) }, [2, 4, 6, 7, 7])
        let fixed = MQTTConfiguration.ReconnectPolicy(minimumDelaySeconds: 3, maximumDelaySeconds: 3)
        XCTAssertEqual(fixed.delaySeconds(attempt: 9), 3)
    }

    func testErrorDescriptionsNameHostPortTopicAndFile() {
        XCTAssertEqual(
            "\(MQTTError.outboxFull(host: "10.0.0.2", port: 1883, topic: "hark/kitchen/action", limit: 10_000))",
            "cannot publish to 'hark/kitchen/action': 10000 messages already wait for MQTT broker 10.0.0.2:1883 (outbox limit)")
        XCTAssertEqual(
            "\(MQTTError.passwordFileUnreadable(path: "/etc/hark/mqtt.pw", reason: "No such file or directory"))",
            "cannot read MQTT password file '/etc/hark/mqtt.pw': No such file or directory")
        XCTAssertEqual(
            "\(MQTTError.connectTimedOut(host: "broker", port: 8883, seconds: 2.5, lastError: .connectionRefused(host: "broker", port: 8883, code: 5, reason: "not authorised")))",
            "not connected to MQTT broker broker:8883 within 2.5 s; last error: MQTT broker broker:8883 refused the connection: not authorised (CONNACK code 5)")
        XCTAssertEqual(
            "\(MQTTError.notConnected(host: "h", port: 1, topic: "t/x"))",
            "cannot publish QoS 0 to 't/x': not connected to MQTT broker h:1 (QoS 0 is never queued)")
    }
}
