import Intents
import Synchronization
import XCTest

@testable import Hub

/// The adapters and the router without a broker: exact publishes for every row of the table,
/// refusals, state reading and query answers.
final class AdapterTests: XCTestCase {
    /// A router over the test home whose state store has seen `testRetainedStates`.
    private func router(settings: AdapterSettings = TestHome.daemon.mqtt.adapters, withStates: Bool = true) -> ActionRouter {
        let home = TestHome.home
        let router = ActionRouter(catalog: home.catalog, registry: home.registry, settings: settings)
        if withStates {
            for (topic, payload) in testRetainedStates { router.states.apply(topic: topic, payload: Array(payload.utf8)) }
        }
        return router
    }

    func testEveryAdapterIntentMakesTheExactPublishes() throws {
        let router = router()
        for row in adapterTable {
            let resolved = try TestHome.resolver.resolve(text: row.action)
            let commands = try router.plan(resolved)
            XCTAssertEqual(commands.map(\.topic), row.expected.map(\.topic), row.action)
            XCTAssertEqual(commands.map(\.text), row.expected.map(\.payload), row.action)
        }
    }

    func testActionsADeviceCannotPerformAreErrorsNamingTheDevice() throws {
        let router = router()
        for (action, expected) in cannotPerformTable {
            let resolved = try TestHome.resolver.resolve(text: action)
            XCTAssertThrowsError(try router.plan(resolved), action) { error in
                XCTAssertEqual("\(error)", expected, action)
            }
        }
    }

    func testRelativeCommandsWithoutAKnownStateAreRefusedWhereNoNativeCommandExists() throws {
        let router = router(withStates: false)
        let cases = [
            ("brightness_up device=living_room.lamp",
             "device 'living_room.lamp' cannot perform brightness_up: its brightness is not known yet (nothing received on 'homeassistant/light/floor_lamp/state'), and Home Assistant has no relative brightness command"),
            ("volume_down device=living_room.speaker",
             "device 'living_room.speaker' cannot perform volume_down: its volume is not known yet (nothing received on 'homeassistant/media_player/living_room/state')"),
            ("brightness_up device=bedroom.lamp",
             "device 'bedroom.lamp' cannot perform brightness_up: its brightness is not known yet (nothing received on its state topic), so it cannot change by a step"),
            ("turn_off device=bedroom.lamp",
             "device 'bedroom.lamp' cannot perform turn_off: its payload template needs {brightness}, which turn_off does not give and no state of that name has been received"),
        ]
        for (action, expected) in cases {
            XCTAssertThrowsError(try router.plan(try TestHome.resolver.resolve(text: action)), action) { error in
                XCTAssertEqual("\(error)", expected)
            }
        }
        // Native relative commands need no state.
        XCTAssertEqual(try router.plan(try TestHome.resolver.resolve(text: "brightness_up device=kitchen.lamp")).map(\.description),
                       ["cmnd/counter_lamp/Dimmer +"])
        XCTAssertEqual(try router.plan(try TestHome.resolver.resolve(text: "brightness_down device=kitchen.ceiling")).map(\.description),
                       [#"zigbee2mqtt/kitchen_ceiling/set {"brightness_step":-25}"#])
    }

    func testConfiguredStepsAndBaseTopicsApply() throws {
        var settings = TestHome.daemon.mqtt.adapters
        settings.brightnessStep = 20
        settings.zigbee2mqttBase = "z2m"
        let router = router(settings: settings)
        XCTAssertEqual(try router.plan(try TestHome.resolver.resolve(text: "brightness_up device=kitchen.ceiling")).map(\.description),
                       [#"z2m/kitchen_ceiling/set {"brightness_step":51}"#])
        XCTAssertEqual(try router.plan(try TestHome.resolver.resolve(text: "brightness_up device=kitchen.lamp")).map(\.description),
                       ["cmnd/counter_lamp/Dimmer 60"])
    }

    func testStateIsReadFromEachSystemsPayloads() {
        let router = router(withStates: false)
        let states = router.states
        states.apply(topic: "zigbee2mqtt/kitchen_ceiling", payload: Array(#"{"state":"OFF","brightness":254,"linkquality":80}"#.utf8))
        var s = states.state(of: "kitchen.ceiling")
        XCTAssertEqual(s?.power, false)
        XCTAssertEqual(s?.brightness, 100)
        XCTAssertEqual(s?.rawJSON.description, #"{"state":"OFF","brightness":254,"linkquality":80}"#)
        states.apply(topic: "zigbee2mqtt/kitchen_ceiling", payload: Array(#"{"state":"ON"}"#.utf8))
        s = states.state(of: "kitchen.ceiling")
        XCTAssertEqual(s?.power, true)
        XCTAssertEqual(s?.rawJSON.description, #"{"state":"ON","brightness":254,"linkquality":80}"#, "fields merge")

        states.apply(topic: "stat/counter_lamp/POWER", payload: Array("ON".utf8))
        states.apply(topic: "tele/counter_lamp/STATE", payload: Array(#"{"POWER":"OFF","Dimmer":30,"CT":250}"#.utf8))
        s = states.state(of: "kitchen.lamp")
        XCTAssertEqual(s?.power, false)
        XCTAssertEqual(s?.brightness, 30)
        XCTAssertEqual(s?.colorTemp, 250)
        states.apply(topic: "tele/desk_fan/SENSOR", payload: Array(#"{"Time":"x","AM2301":{"Temperature":22.4,"Humidity":51}}"#.utf8))
        XCTAssertEqual(states.state(of: "office.fan")?.temperature, 22.4)
        states.apply(topic: "stat/bedroom_shutter/RESULT", payload: Array(#"{"Shutter1":{"Position":35,"Direction":0}}"#.utf8))
        XCTAssertEqual(states.state(of: "bedroom.shutter")?.position, 35)

        states.apply(topic: "homeassistant/lock/office_door/state", payload: Array("UNLOCKED".utf8))
        XCTAssertEqual(states.state(of: "office.door")?.locked, false)
        states.apply(topic: "zigbee2mqtt/front_door_lock", payload: Array(#"{"state":"LOCK","lock_state":"locked"}"#.utf8))
        XCTAssertEqual(states.state(of: "hallway.front_door")?.locked, true)

        // Garbage never changes a state or crashes.
        for junk in ["", "{", "[1,2]", "\u{FF}", String(repeating: "[", count: 5000)] {
            XCTAssertEqual(states.apply(topic: "zigbee2mqtt/kitchen_ceiling", payload: Array(junk.utf8)), [], junk)
        }
        XCTAssertEqual(states.apply(topic: "zigbee2mqtt/kitchen_ceiling", payload: [0xFF, 0xFE]), [])
        XCTAssertEqual(states.state(of: "kitchen.ceiling")?.power, true)
    }

    func testStateQueriesAreAnsweredFromKnownStateAndSayWhenItIsUnknown() throws {
        let router = router()
        func answer(_ action: String) throws -> QueryAnswer { router.answer(try TestHome.resolver.resolve(text: action)) }
        var a = try answer("query_state device=kitchen.ceiling")
        XCTAssertEqual(a.text, "Ceiling light is on.")
        XCTAssertEqual(JSON.object(a.state).description, #"{"kitchen.ceiling":{"state":"ON","brightness":127,"color_temp":370}}"#)
        a = try answer("query_temperature area=office")
        XCTAssertEqual(a.text, "It is 21.5 degrees in office.")
        a = try answer("query_lock device=hallway.front_door")
        XCTAssertEqual(a.text, "Front door is locked.")
        a = try answer("query_state device=kitchen.coffee")
        XCTAssertEqual(a.text, "I don't know the state of coffee machine yet: nothing has been received from it.")
        XCTAssertEqual(JSON.object(a.state).description, #"{"kitchen.coffee":null}"#)
        a = try answer("query_state area=kitchen domain=light")
        XCTAssertEqual(a.text, "Ceiling light is on. Counter lamp is on.")
    }

    func testRoutePublishesCommandsThenTheActionAndRefusesUnconfirmedSpeech() throws {
        let router = router()
        let publisher = RecordingPublisher()
        let resolved = try TestHome.resolver.resolve(text: "unlock device=hallway.front_door")
        XCTAssertTrue(resolved.needsConfirmation)

        let spoken = resolved.action(id: "a1", text: "unlock the front door", confidence: 0.9, source: .speech)
        XCTAssertEqual(router.route(resolved, action: spoken, origin: "speech", publisher: publisher),
                       .rejected(reason: "confirmation required: hallway.front_door asks for confirmation of voice commands; send the command as text to confirm it"))
        XCTAssertEqual(publisher.messages.map(\.topic), ["hark/kitchen/error"])
        XCTAssertTrue(String(decoding: publisher.messages[0].payload, as: UTF8.self)
            .hasPrefix(#"{"id":"a1","error":"speech: confirmation required: hallway.front_door asks"#))

        publisher.clear()
        let typed = resolved.action(id: "a2", text: "unlock the front door", confidence: 0.9, source: .text)
        XCTAssertEqual(router.route(resolved, action: typed, origin: "hark/kitchen/text", publisher: publisher),
                       .performed([DeviceCommand(topic: "zigbee2mqtt/front_door_lock/set", text: #"{"state":"UNLOCK"}"#)]))
        XCTAssertEqual(publisher.messages.map(\.topic), ["zigbee2mqtt/front_door_lock/set", "hark/kitchen/action"])
        XCTAssertEqual(String(decoding: publisher.messages[1].payload, as: UTF8.self), typed.jsonLine)

        publisher.clear()
        let mixed = try TestHome.resolver.resolve(text: "media_pause area=living_room")
        let outcome = router.route(mixed, action: mixed.action(id: "a3", text: "pause", confidence: 1, source: .text),
                                   origin: "hark/kitchen/text", publisher: publisher)
        guard case .rejected = outcome else { return XCTFail("\(outcome)") }
        XCTAssertEqual(publisher.messages.map(\.topic), ["hark/kitchen/error"], "the speaker that could pause gets nothing either")
    }

    func testHermesIntentMessageShape() throws {
        let query = try Hermes.Query(json: try JSON.parse(#"{"input":"dim the ceiling light to thirty percent","siteId":"kitchen","id":"q1","sessionId":"s1"}"#))
        let resolved = try TestHome.resolver.resolve(text: "set_brightness device=kitchen.ceiling brightness=30")
        let json = Hermes.intent(for: query, action: resolved, confidence: 0.97, catalog: TestHome.home.catalog, registry: TestHome.home.registry)
        XCTAssertEqual(json.description, #"{"input":"dim the ceiling light to thirty percent","intent":{"intentName":"set_brightness","confidenceScore":0.97},"slots":[{"entity":"device","value":{"kind":"Unknown","value":"kitchen.ceiling"},"slotName":"device","rawValue":"ceiling light","confidence":0.97,"range":null},{"entity":"percent","value":{"kind":"Unknown","value":30},"slotName":"brightness","rawValue":"30","confidence":0.97,"range":null}],"siteId":"kitchen","sessionId":"s1","id":"q1","customData":null,"asrTokens":[],"asrConfidence":null,"rawInput":"dim the ceiling light to thirty percent","wakewordId":null,"lang":null}"#)
        XCTAssertEqual(Hermes.notRecognized(for: query).description,
                       #"{"input":"dim the ceiling light to thirty percent","siteId":"kitchen","id":"q1","customData":null,"sessionId":"s1"}"#)

        for (bad, reason) in [(#"{"siteId":"x"}"#, "'input' is missing"), (#"{"input":3}"#, "'input' must be a string"),
                              (#"{"input":"x","intentFilter":"turn_on"}"#, "'intentFilter' must be a list of intent names"),
                              (#"[1]"#, "a query must be a JSON object")] {
            XCTAssertThrowsError(try Hermes.Query(json: try JSON.parse(bad))) { XCTAssertEqual("\($0)", reason) }
        }
        XCTAssertEqual(try Hermes.Query(json: try JSON.parse(#"{"input":"x"}"#)).siteID, "default")
    }

    func testGenericTemplatesKeepJSONBracesAndFillPlaceholders() throws {
        let adapter = GenericAdapter()
        XCTAssertEqual(try adapter.render(#"{"a":"{state}","b":{x},"c":"{ not }"}"#) { name throws(DeviceActionError) in name.uppercased() },
                       #"{"a":"STATE","b":X,"c":"{ not }"}"#)
    }

    func testUnitConversions() {
        XCTAssertEqual(Units.scaled(30, to: 254), 76)
        XCTAssertEqual(Units.scaled(50, to: 255), 128)
        XCTAssertEqual(Units.scaled(-10, to: 254), -25)
        XCTAssertEqual(Units.mireds(kelvin: 2700), 370)
        XCTAssertEqual(Units.mireds(kelvin: 6500), 154)
        XCTAssertTrue(Units.rgb("#8000FF")! == (128, 0, 255))
    }
}

/// Records publishes instead of sending them.
final class RecordingPublisher: MessagePublisher {
    private let store = Mutex<[OutgoingMessage]>([])
    var messages: [OutgoingMessage] { store.withLock { $0 } }
    func clear() { store.withLock { $0.removeAll() } }
    func publish(_ message: OutgoingMessage) throws { store.withLock { $0.append(message) } }
}
