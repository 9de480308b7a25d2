import Foundation
import Hub
import Intents
import MQTT
import XCTest

/// The hub against a real mosquitto: what subscribers receive, byte for byte.
final class HubIntegrationTests: HubTestCase {
    private func send(_ client: MQTTClient, _ topic: String = "hark/kitchen/text", text: String, id: String) throws {
        try client.publish(topic: topic, payload: JSON.make(["text": .string(text), "id": .string(id)]).description, qos: .atLeastOnce)
    }

    func testEveryAdapterPayloadArrivesExactlyAtASubscriber() async throws {
        let broker = try startBroker()
        try await publishRetainedStates(broker)
        let (client, inbox) = try await observer(broker)
        _ = try await startHub(broker)
        for (i, row) in adapterTable.enumerated() {
            let before = inbox.count
            try send(client, text: row.action, id: "t\(i)")
            _ = try await inbox.waitForJSON(on: "hark/kitchen/action", id: "t\(i)")
            let device = inbox.all[before...].filter { isDeviceTopic($0.topic) }
            XCTAssertEqual(device.map(\.topic), row.expected.map(\.topic), row.action)
            XCTAssertEqual(device.map { $0.text ?? "<not UTF-8>" }, row.expected.map(\.payload), row.action)
        }
    }

    func testADeviceThatCannotPerformGetsAnErrorAndNothingIsPublished() async throws {
        let broker = try startBroker()
        let (client, inbox) = try await observer(broker)
        _ = try await startHub(broker)
        for (i, (action, expected)) in cannotPerformTable.enumerated() {
            let before = inbox.count
            try send(client, text: action, id: "c\(i)")
            let error = try await inbox.waitForJSON(on: "hark/kitchen/error", id: "c\(i)")
            XCTAssertEqual(error, .make(["id": .string("c\(i)"), "error": .string("hark/kitchen/text: \(expected)")]))
            // A command sent after it is performed; between the two, no device heard anything.
            try send(client, text: "turn_on device=office.heater", id: "after\(i)")
            _ = try await inbox.waitForJSON(on: "hark/kitchen/action", id: "after\(i)")
            let device = inbox.all[before...].filter { isDeviceTopic($0.topic) }
            XCTAssertEqual(device.map(\.topic), ["cmnd/office_heater/POWER"], action)
            XCTAssertFalse(inbox.on("hark/kitchen/action").contains { $0.json?["id"]?.stringValue == "c\(i)" })
        }
    }

    func testTextTopicTakesPlainTextAndJSON() async throws {
        let broker = try startBroker()
        let (client, inbox) = try await observer(broker)
        _ = try await startHub(broker)

        try client.publish(topic: "hark/kitchen/text", payload: "Turn on the ceiling light", qos: .atLeastOnce)
        let plain = try await inbox.wait(for: "the plain command's action") { !$0.filter { $0.topic == "hark/kitchen/action" }.isEmpty }
        let action = try XCTUnwrap(plain.last { $0.topic == "hark/kitchen/action" }?.json)
        let id = try XCTUnwrap(action["id"]?.stringValue)
        XCTAssertNotNil(UUID(uuidString: id), "plain text gets a generated id: \(id)")
        let parseMs = try XCTUnwrap(action["ms"]?["parse"]?.numberValue)
        XCTAssertEqual(action.description, #"{"id":"\#(id)","site":"kitchen","text":"Turn on the ceiling light","intent":"turn_on","slots":{"device":"kitchen.ceiling"},"devices":["kitchen.ceiling"],"confidence":1,"source":"text","ms":{"parse":\#(Int(parseMs))}}"#)
        XCTAssertEqual(inbox.on("zigbee2mqtt/kitchen_ceiling/set").map(\.text), [#"{"state":"ON"}"#])

        try client.publish(topic: "hark/kitchen/text", payload: #"  {"id":"j1","text":"turn off the lights."}"#, qos: .atLeastOnce)
        let json = try await inbox.waitForJSON(on: "hark/kitchen/action", id: "j1")
        XCTAssertEqual(json["devices"], .array(["kitchen.ceiling", "kitchen.lamp"]))
        XCTAssertEqual(json["slots"], .make(["domain": "light"]))
        XCTAssertEqual(inbox.on("zigbee2mqtt/kitchen_ceiling/set").last?.text, #"{"state":"OFF"}"#)
        XCTAssertEqual(inbox.on("cmnd/counter_lamp/POWER").map(\.text), ["OFF"])

        // The site is the topic's: "the lights" in the office are the office's.
        try send(client, "hark/office/text", text: "turn off the lights", id: "o1")
        let office = try await inbox.waitForJSON(on: "hark/office/action", id: "o1")
        XCTAssertEqual(office["site"], "office")
        XCTAssertEqual(office["devices"], .array(["office.lamp"]))
        XCTAssertEqual(inbox.on("cmnd/desk_lamp/POWER").map(\.text), ["OFF"])
    }

    /// `hark/<site>/stats` every `logging.stats_interval`: counts, parse latency, outbox, memory.
    func testStatsArePublishedPeriodically() async throws {
        let broker = try startBroker()
        let (client, inbox) = try await observer(broker, filters: ["hark/kitchen/stats", "hark/kitchen/action"])
        _ = try await startHub(broker) { $0.logging.statsInterval = 0.2 }
        try send(client, "hark/kitchen/text", text: "turn on the ceiling light", id: "s1")
        _ = try await inbox.waitForJSON(on: "hark/kitchen/action", id: "s1")
        let messages = try await inbox.wait(for: "stats after a command") { messages in
            messages.contains { $0.topic == "hark/kitchen/stats" && ($0.json?["commands"]?.numberValue ?? 0) >= 1 }
        }
        let stats = try XCTUnwrap(messages.last { $0.topic == "hark/kitchen/stats" }?.json)
        XCTAssertEqual(stats["commands"]?.numberValue, 1)
        XCTAssertEqual(stats["actions"]?.numberValue, 1)
        XCTAssertEqual(stats["rejected"]?.numberValue, 0)
        XCTAssertNotNil(stats["parse_ms_p50"]?.numberValue)
        XCTAssertNotNil(stats["parse_ms_p95"]?.numberValue)
        XCTAssertEqual(stats["outbox"]?.numberValue, 0)
        XCTAssertGreaterThan(stats["rss_mb"]?.numberValue ?? 0, 1)
        XCTAssertGreaterThanOrEqual(stats["uptime_s"]?.numberValue ?? -1, 0)
    }

    func testHermesQueryIsAnsweredWithTheIntentMessage() async throws {
        let broker = try startBroker()
        let (client, inbox) = try await observer(broker)
        _ = try await startHub(broker)

        let query = #"{"input":"dim the ceiling light to thirty percent","siteId":"kitchen","id":"h1","sessionId":"s1","lang":"en"}"#
        try client.publish(topic: "hermes/nlu/query", payload: query, qos: .atLeastOnce)
        let answer = try await inbox.wait(for: "hermes/intent/set_brightness") { !$0.filter { $0.topic == "hermes/intent/set_brightness" }.isEmpty }
            .first { $0.topic == "hermes/intent/set_brightness" }!
        XCTAssertEqual(answer.text, #"{"input":"dim the ceiling light to thirty percent","intent":{"intentName":"set_brightness","confidenceScore":1},"slots":[{"entity":"device","value":{"kind":"Unknown","value":"kitchen.ceiling"},"slotName":"device","rawValue":"ceiling light","confidence":1,"range":null},{"entity":"percent","value":{"kind":"Unknown","value":30},"slotName":"brightness","rawValue":"30","confidence":1,"range":null}],"siteId":"kitchen","sessionId":"s1","id":"h1","customData":null,"asrTokens":[],"asrConfidence":null,"rawInput":"dim the ceiling light to thirty percent","wakewordId":null,"lang":"en"}"#)
        // Hark acts on it too, and records the action as coming from Hermes.
        XCTAssertEqual(inbox.on("zigbee2mqtt/kitchen_ceiling/set").map(\.text), [#"{"brightness":76}"#])
        let action = try await inbox.waitForJSON(on: "hark/kitchen/action", id: "h1")
        XCTAssertEqual(action["source"], "hermes")

        // Rhasspy's default siteId is this hub's own site.
        try client.publish(topic: "hermes/nlu/query", payload: #"{"input":"turn on the ceiling light","id":"h2"}"#, qos: .atLeastOnce)
        let h2 = try await inbox.waitForJSON(on: "hark/kitchen/action", id: "h2")
        XCTAssertEqual(h2["intent"], "turn_on")
        let intent = try XCTUnwrap(inbox.on("hermes/intent/turn_on").last?.json)
        XCTAssertEqual(intent["siteId"], "default")
        XCTAssertEqual(intent["sessionId"], .null)
    }

    func testHermesQueriesThatFailAreAnsweredWithIntentNotRecognized() async throws {
        let broker = try startBroker()
        let (client, inbox) = try await observer(broker)
        _ = try await startHub(broker)
        let cases: [(query: String, id: String, reason: String)] = [
            (#"{"input":"tell me a joke","siteId":"kitchen","id":"n1","sessionId":"s1"}"#, "n1", "not understood: not a command for this home"),
            (#"{"input":"sing a song","siteId":"kitchen","id":"n2","sessionId":"s2","customData":"c"}"#, "n2", "not understood: no rule for 'sing a song'"),
            (#"{"input":"turn on the ceiling light","siteId":"kitchen","id":"n3","intentFilter":["turn_off"]}"#, "n3",
             "not understood: intent 'turn_on' is not in the query's intentFilter"),
            (#"{"input":"turn on the ceiling light","siteId":"garage-satellite","id":"n4"}"#, "n4",
             "unknown Hermes siteId 'garage-satellite' (map it to an area under hermes.sites, or use an area id)"),
            (#"{"input":"  ","siteId":"kitchen","id":"n5"}"#, "n5", "empty command text"),
            (#"{"input":"lock device=hallway.back_door","siteId":"hallway","id":"n6"}"#, "n6",
             "device 'hallway.back_door' cannot perform lock: Tasmota has no lock command"),
        ]
        for c in cases {
            try client.publish(topic: "hermes/nlu/query", payload: c.query, qos: .atLeastOnce)
            let error = try await inbox.waitForJSON(on: c.id == "n6" ? "hark/hallway/error" : "hark/kitchen/error", id: c.id)
            XCTAssertEqual(error["error"]?.stringValue, "hermes/nlu/query: \(c.reason)")
            let notRecognized = try await inbox.waitForJSON(on: "hermes/nlu/intentNotRecognized", id: c.id)
            let q = try JSON.parse(c.query)
            XCTAssertEqual(notRecognized, .make(["input": q["input"]!, "siteId": q["siteId"]!, "id": .string(c.id),
                                                 "customData": q["customData"] ?? .null, "sessionId": q["sessionId"] ?? .null]))
        }
        XCTAssertTrue(inbox.all.filter { $0.topic.hasPrefix("hermes/intent/") }.isEmpty)

        // Queries too broken to echo get hermes/error/nlu and a hark error.
        try client.publish(topic: "hermes/nlu/query", payload: #"{"siteId":"kitchen"}"#, qos: .atLeastOnce)
        let nluError = try await inbox.wait(for: "hermes/error/nlu") { !$0.filter { $0.topic == "hermes/error/nlu" }.isEmpty }
            .first { $0.topic == "hermes/error/nlu" }!
        XCTAssertEqual(nluError.text, #"{"error":"malformed query: 'input' is missing","context":"hermes/nlu/query","siteId":"default","sessionId":null}"#)
        XCTAssertEqual(inbox.on("hark/kitchen/error").last?.text, #"{"id":null,"error":"hermes/nlu/query: malformed query: 'input' is missing"}"#)
    }

    func testEveryBadInputGetsAnErrorNamingTheTopicAndTheReason() async throws {
        let broker = try startBroker()
        let (client, inbox) = try await observer(broker)
        let hub = try await startHub(broker)
        let known = "(known: kitchen, living_room, hallway, office, bedroom)"
        let cases: [(topic: String, payload: [UInt8], id: String?, error: String)] = [
            ("hark/kitchen/text", [0x74, 0x75, 0xFF, 0xFE], nil, "hark/kitchen/text: payload is not valid UTF-8"),
            ("hark/kitchen/text", Array(#"{"text":"turn on"#.utf8), nil, "hark/kitchen/text: malformed JSON: unterminated string at byte 16"),
            ("hark/kitchen/text", Array("[1,2]".utf8), nil, "hark/kitchen/text: not understood: no rule for '[1,2]'"),
            ("hark/kitchen/text", [], nil, "hark/kitchen/text: empty command text"),
            ("hark/kitchen/text", Array(" \n\t ".utf8), nil, "hark/kitchen/text: empty command text"),
            ("hark/kitchen/text", Array(#"{"text":"","id":"e1"}"#.utf8), "e1", "hark/kitchen/text: empty command text"),
            ("hark/kitchen/text", Array(#"{"id":"e2"}"#.utf8), "e2", "hark/kitchen/text: malformed command: 'text' is missing"),
            ("hark/kitchen/text", Array(#"{"text":42,"id":"e3"}"#.utf8), "e3", "hark/kitchen/text: malformed command: 'text' must be a string"),
            ("hark/kitchen/text", Array(#"{"text":"x","id":7}"#.utf8), nil, "hark/kitchen/text: malformed command: 'id' must be a string"),
            ("hark/kitchen/text", Array(repeating: UInt8(ascii: "a"), count: 5000), nil,
             "hark/kitchen/text: payload of 5000 bytes is over the 4096-byte limit"),
            ("hark/garage/text", Array(#"{"text":"turn on the ceiling light","id":"e4"}"#.utf8), "e4",
             "hark/garage/text: unknown site 'garage' \(known)"),
            ("hark/kitchen/text", Array(#"{"text":"sing me a song","id":"e5"}"#.utf8), "e5",
             "hark/kitchen/text: not understood: no rule for 'sing me a song'"),
            ("hark/kitchen/text", Array(#"{"text":"tell me a joke","id":"e6"}"#.utf8), "e6",
             "hark/kitchen/text: not understood: not a command for this home"),
            ("hark/kitchen/text", Array(#"{"text":"set_brightness device=kitchen.coffee brightness=30","id":"e7"}"#.utf8), "e7",
             "hark/kitchen/text: not understood: device 'kitchen.coffee' lacks capability 'brightness' (it has: on_off)"),
            ("hark/kitchen/text", Array(#"{"text":"turn off the lights","id":"e6"}"#.utf8), "e6",
             "hark/kitchen/text: id 'e6' was already used by a different command"),
        ]
        for c in cases {
            let errorTopic = c.topic.replacingOccurrences(of: "/text", with: "/error")
            let before = inbox.on(errorTopic).count
            try client.publish(topic: c.topic, payload: c.payload, qos: .atLeastOnce)
            let errors = try await inbox.wait(for: "the error for \(c.error)") { $0.filter { $0.topic == errorTopic }.count > before }
                .filter { $0.topic == errorTopic }
            let error = try XCTUnwrap(errors[before].json)
            XCTAssertEqual(error["error"]?.stringValue, c.error)
            if let id = c.id {
                XCTAssertEqual(error["id"]?.stringValue, id)
            } else if c.error.contains("not understood") {
                XCTAssertNotNil(error["id"]?.stringValue, "plain text has a generated id")
            } else {
                XCTAssertEqual(error["id"], .null)
            }
        }
        XCTAssertTrue(inbox.all.filter { isDeviceTopic($0.topic) || $0.topic.hasSuffix("/action") }.isEmpty,
                      "\(inbox.all.filter { isDeviceTopic($0.topic) || $0.topic.hasSuffix("/action") }.map(\.topic))")
        XCTAssertEqual(hub.statistics.rejected, cases.count)

        // Still serving.
        try send(client, text: "turn on the ceiling light", id: "ok")
        _ = try await inbox.waitForJSON(on: "hark/kitchen/action", id: "ok")
    }

    func testStateQueriesAreAnsweredFromRetainedAndLiveState() async throws {
        let broker = try startBroker()
        try await publishRetainedStates(broker)
        let (client, inbox) = try await observer(broker)
        _ = try await startHub(broker)

        let cases: [(text: String, answer: String)] = [
            ("is the ceiling light on", #"{"id":"q1","text":"Ceiling light is on.","state":{"kitchen.ceiling":{"state":"ON","brightness":127,"color_temp":370}}}"#),
            ("what's the temperature in the office", #"{"id":"q2","text":"It is 21.5 degrees in office.","state":{"office.sensor":{"temperature":21.5,"humidity":40,"battery":90}}}"#),
            ("is the front door locked", #"{"id":"q3","text":"Front door is locked.","state":{"hallway.front_door":{"state":"LOCK","lock_state":"locked"}}}"#),
            ("is the coffee machine on", #"{"id":"q4","text":"I don't know the state of coffee machine yet: nothing has been received from it.","state":{"kitchen.coffee":null}}"#),
        ]
        for (i, c) in cases.enumerated() {
            try send(client, text: c.text, id: "q\(i + 1)")
            let answer = try await inbox.waitForJSON(on: "hark/kitchen/response", id: "q\(i + 1)")
            XCTAssertEqual(answer.description, c.answer)
            let action = try await inbox.waitForJSON(on: "hark/kitchen/action", id: "q\(i + 1)")
            XCTAssertTrue(action["intent"]?.stringValue?.hasPrefix("query_") == true)
        }
        // A live state change is followed.
        try client.publish(topic: "stat/coffee_plug/RESULT", payload: #"{"POWER":"ON"}"#, qos: .atLeastOnce)
        try client.publish(topic: "zigbee2mqtt/kitchen_ceiling", payload: #"{"state":"OFF"}"#, qos: .atLeastOnce, retain: true)
        try send(client, text: "is the coffee machine on", id: "q5")
        let q5 = try await inbox.waitForJSON(on: "hark/kitchen/response", id: "q5")
        XCTAssertEqual(q5.description, #"{"id":"q5","text":"Coffee machine is on.","state":{"kitchen.coffee":{"POWER":"ON"}}}"#)
        try send(client, text: "is the ceiling light on", id: "q6")
        let q6 = try await inbox.waitForJSON(on: "hark/kitchen/response", id: "q6")
        XCTAssertEqual(q6["text"], "Ceiling light is off.")
        XCTAssertTrue(inbox.all.filter { isDeviceTopic($0.topic) }.isEmpty, "queries command nothing")
    }

    func testSpokenCommandsToConfirmingDevicesAreRefusedWithConfirmationRequired() async throws {
        let broker = try startBroker()
        let (_, inbox) = try await observer(broker)
        let hub = try await startHub(broker)
        XCTAssertTrue(hub.submit(HubCommand(id: "v1", text: "unlock the front door", site: "hallway", timings: ["asr": 41])))
        let error = try await inbox.waitForJSON(on: "hark/hallway/error", id: "v1")
        XCTAssertEqual(error["error"], "speech: confirmation required: hallway.front_door asks for confirmation of voice commands; send the command as text to confirm it")
        XCTAssertTrue(hub.submit(HubCommand(id: "v2", text: "turn on the ceiling light", site: "kitchen", timings: ["asr": 41])))
        let action = try await inbox.waitForJSON(on: "hark/kitchen/action", id: "v2")
        XCTAssertEqual(action["source"], "speech")
        XCTAssertEqual(action["ms"]?["asr"], 41)
        XCTAssertEqual(inbox.all.filter { isDeviceTopic($0.topic) }.map(\.topic), ["zigbee2mqtt/kitchen_ceiling/set"])
        XCTAssertFalse(hub.submit(HubCommand(id: "v3", text: "turn on the ceiling light", site: "garage")))
        let v3 = try await inbox.waitForJSON(on: "hark/garage/error", id: "v3")
        XCTAssertEqual(v3["error"], "speech: unknown site 'garage' (known: kitchen, living_room, hallway, office, bedroom)")
    }
}

/// Speculative parsing: the speech stage starts parsing a complete command when the speaker
/// pauses (`prefetch`), and the command that follows uses that parse.
final class SpeculativeParseTests: HubTestCase {
    func testAPrefetchedParseServesTheSameSpokenCommandAndOtherWordsAreParsedAfresh() async throws {
        let broker = try startBroker()
        let (_, inbox) = try await observer(broker)
        // A parser that takes 300 ms, so a command that waited for its parse cannot be quick.
        let hub = try await startHub(broker, parser: TestHome.parser(delay: .milliseconds(300)))
        hub.prefetch(text: "turn on the ceiling light", site: "kitchen")
        try await Task.sleep(for: .milliseconds(400))
        let submitted = ContinuousClock.now
        XCTAssertTrue(hub.submit(HubCommand(id: "s1", text: "turn on the ceiling light", site: "kitchen", timings: ["asr": 5])))
        let action = try await inbox.waitForJSON(on: "hark/kitchen/action", id: "s1")
        let elapsed = ContinuousClock.now - submitted
        XCTAssertLessThan(elapsed, .milliseconds(200), "the parse was done when the command came (\(elapsed))")
        XCTAssertEqual(action["intent"], "turn_on")
        XCTAssertEqual(action["source"], "speech")

        // The speaker went on: other words than those prefetched are parsed afresh.
        hub.prefetch(text: "turn on the ceiling light", site: "kitchen")
        XCTAssertTrue(hub.submit(HubCommand(id: "s2", text: "turn off the ceiling light", site: "kitchen")))
        let off = try await inbox.waitForJSON(on: "hark/kitchen/action", id: "s2")
        XCTAssertEqual(off["intent"], "turn_off")
        // A text command with the prefetched words does not take a speech prefetch.
        hub.prefetch(text: "turn on the ceiling light", site: "kitchen")
        XCTAssertTrue(hub.submit(HubCommand(id: "t1", text: "turn on the ceiling light", site: "kitchen", source: .text)))
        _ = try await inbox.waitForJSON(on: "hark/kitchen/action", id: "t1")
        XCTAssertEqual(hub.statistics.speculativeParses, 3)
        XCTAssertEqual(hub.statistics.speculativeParsesUsed, 1)
        XCTAssertEqual(inbox.all.filter { $0.topic == "zigbee2mqtt/kitchen_ceiling/set" }.count, 3, "each command acted on once")
    }
}
