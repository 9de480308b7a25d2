import Foundation
import Grammar
import Hub
import Inference
import Intents
import MQTT
import XCTest

/// One command end to end through the real model: MQTT in, `IntentParser` (behind
/// `SerialIntentParser`), router, MQTT out. Without the intent adapter the base model may well
/// misread the command, so the test checks the wiring: the command gets exactly one answer, an
/// action whose device commands are exactly what the router plans for it, or a "not understood"
/// error; and the parser's time is reported.
final class HubModelTests: HubTestCase {
    func testATextCommandAndAHermesQueryGoThroughTheRealParser() async throws {
        let path = try XCTUnwrap(ModelLocator.defaultModelPath(), ModelLocator.notFoundMessage())
        let language = try LanguageModel(path: path, adapterPath: ModelLocator.defaultAdapterPath())
        var options = IntentParser.Options()
        options.threads = 2
        let intentParser = try IntentParser(language: language, catalog: TestHome.home.catalog, registry: TestHome.home.registry, options: options)
        let loadStart = ContinuousClock.now
        try intentParser.prepare(site: "kitchen")
        print("model: prompt prefix and grammar for site kitchen prepared in \(ContinuousClock.now - loadStart)")

        let broker = try startBroker()
        let (client, inbox) = try await observer(broker)
        _ = try await startHub(broker, parser: SerialIntentParser(intentParser))

        try client.publish(topic: "hark/kitchen/text", payload: #"{"text":"turn on the ceiling light","id":"m1"}"#, qos: .atLeastOnce)
        let answered = try await inbox.wait(for: "an action or an error for m1", timeout: 60) { all in
            all.contains { ($0.topic == "hark/kitchen/action" || $0.topic == "hark/kitchen/error") && $0.json?["id"]?.stringValue == "m1" }
        }
        let answers = answered.filter { ($0.topic == "hark/kitchen/action" || $0.topic == "hark/kitchen/error") && $0.json?["id"]?.stringValue == "m1" }
        XCTAssertEqual(answers.count, 1)
        let answer = try XCTUnwrap(answers.first?.json)
        if answers.first?.topic == "hark/kitchen/action" {
            let canonical = CanonicalAction(intent: answer["intent"]!.stringValue!, slots: SlotValues(
                answer["slots"]!.members!.map { ($0.key, $0.value.stringValue.map(SlotValue.id) ?? .number(SlotNumber(exactly: $0.value.numberValue!)!)) }))
            let router = ActionRouter(catalog: TestHome.home.catalog, registry: TestHome.home.registry, settings: TestHome.daemon.mqtt.adapters)
            let resolved = try TestHome.resolver.resolve(canonical, site: "kitchen")
            let planned = router.isQuery(resolved.intent) ? [] : try router.plan(resolved).map(\.description)
            XCTAssertEqual(answered.filter { isDeviceTopic($0.topic) }.map { "\($0.topic) \($0.text ?? "")" }, planned)
            print("model: 'turn on the ceiling light' → \(canonical) in \(answer["ms"]?["parse"] ?? .null) ms")
        } else {
            XCTAssertTrue(answer["error"]?.stringValue?.hasPrefix("hark/kitchen/text: not understood") == true, "\(answer)")
            print("model: 'turn on the ceiling light' → \(answer["error"]!)")
        }

        try client.publish(topic: "hermes/nlu/query", payload: #"{"input":"switch off the coffee machine","siteId":"kitchen","id":"m2"}"#, qos: .atLeastOnce)
        let hermes = try await inbox.wait(for: "a Hermes answer for m2", timeout: 60) { all in
            all.contains { ($0.topic.hasPrefix("hermes/intent/") || $0.topic == "hermes/nlu/intentNotRecognized") && $0.json?["id"]?.stringValue == "m2" }
        }.first { ($0.topic.hasPrefix("hermes/intent/") || $0.topic == "hermes/nlu/intentNotRecognized") && $0.json?["id"]?.stringValue == "m2" }!
        print("model: Hermes 'switch off the coffee machine' → \(hermes.topic)")
        XCTAssertEqual(hermes.json?["input"], "switch off the coffee machine")
    }
}
