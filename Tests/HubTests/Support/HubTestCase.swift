import Foundation
import Hub
import Intents
import MQTT
import MosquittoTestSupport
import Synchronization
import XCTest

/// A home with devices behind every adapter kind, used by the adapter table and the hub tests.
let testHomeYAML = """
site: kitchen
areas:
  - {id: kitchen, name: kitchen}
  - {id: living_room, name: living room}
  - {id: hallway, name: hallway}
  - {id: office, name: office}
  - {id: bedroom, name: bedroom}
devices:
  # Zigbee2MQTT
  - {id: kitchen.ceiling, name: ceiling light, area: kitchen, type: color_light, adapter: {zigbee2mqtt: kitchen_ceiling}}
  - {id: living_room.blind, name: patio blind, area: living_room, type: cover, adapter: {zigbee2mqtt: living_room_blind}}
  - {id: hallway.front_door, name: front door, area: hallway, type: lock, adapter: {zigbee2mqtt: front_door_lock}}
  - {id: hallway.radiator, name: radiator, area: hallway, type: thermostat, adapter: {zigbee2mqtt: hallway_trv}}
  - {id: bedroom.fan, name: ceiling fan, area: bedroom, type: fan, adapter: {zigbee2mqtt: bedroom_fan}}
  - {id: office.sensor, name: office sensor, area: office, type: sensor, adapter: {zigbee2mqtt: office_sensor}}
  - {id: living_room.radio, name: radio, area: living_room, type: media_player, adapter: {zigbee2mqtt: radio}}
  # Tasmota
  - {id: kitchen.lamp, name: counter lamp, area: kitchen, type: color_light, adapter: {tasmota: counter_lamp}}
  - {id: kitchen.coffee, name: coffee machine, area: kitchen, type: outlet, adapter: {tasmota: coffee_plug}}
  - {id: bedroom.shutter, name: bedroom shutter, area: bedroom, type: cover, adapter: {tasmota: bedroom_shutter}}
  - {id: office.fan, name: desk fan, area: office, type: fan, adapter: {tasmota: desk_fan}}
  - {id: office.lamp, name: desk lamp, area: office, type: dimmable_light, adapter: {tasmota: desk_lamp}}
  - {id: hallway.back_door, name: back door, area: hallway, type: lock, policy: {confirm: false}, adapter: {tasmota: back_door}}
  # Home Assistant
  - {id: living_room.lamp, name: floor lamp, area: living_room, type: color_light, adapter: {homeassistant: light.floor_lamp}}
  - {id: living_room.plug, name: tv plug, area: living_room, type: switch, adapter: {homeassistant: switch.tv_plug}}
  - {id: office.blind, name: office blind, area: office, type: cover, adapter: {homeassistant: cover.office_blind}}
  - {id: office.door, name: office door, area: office, type: lock, adapter: {homeassistant: lock.office_door}}
  - {id: office.thermostat, name: office thermostat, area: office, type: thermostat, adapter: {homeassistant: climate.office}}
  - {id: living_room.speaker, name: speaker, area: living_room, type: media_player, adapter: {homeassistant: media_player.living_room}}
  - {id: bedroom.purifier, name: purifier, area: bedroom, type: fan, adapter: {homeassistant: fan.purifier}}
  # Generic
  - id: bedroom.lamp
    name: bedside lamp
    area: bedroom
    type: dimmable_light
    adapter:
      generic:
        topic: home/bedroom/lamp/set
        payload: '{"intent":"{intent}","state":"{state}","brightness":{brightness}}'
        state_topic: home/bedroom/lamp/state
  - {id: office.heater, name: space heater, area: office, type: outlet, adapter: {generic: {topic: cmnd/office_heater/POWER, payload: '{state}'}}}
  - {id: hallway.chime, name: chime, area: hallway, type: switch, adapter: {generic: {topic: home/hallway/chime}}}
scenes:
  - id: movie_night
    name: movie night
    area: living_room
    actions:
      - set_brightness device=living_room.lamp brightness=20
      - close_cover device=living_room.blind
  - {id: away, name: away, adapter: {homeassistant: scene.away}}

mqtt:
  host: 127.0.0.1
  port: 1883
  client_id: hark-test
  homeassistant:
    switch.tv_plug: {command_topic: tv/plug/cmd}
"""

/// Retained device states published before the hub starts, for relative commands and queries.
let testRetainedStates: [(topic: String, payload: String)] = [
    ("homeassistant/light/floor_lamp/state", #"{"state":"ON","brightness":128}"#),
    ("homeassistant/media_player/living_room/state", #"{"state":"playing","volume":40}"#),
    ("stat/counter_lamp/RESULT", #"{"POWER":"ON","Dimmer":40}"#),
    ("home/bedroom/lamp/state", #"{"state":"ON","brightness":50}"#),
    ("zigbee2mqtt/kitchen_ceiling", #"{"state":"ON","brightness":127,"color_temp":370}"#),
    ("zigbee2mqtt/office_sensor", #"{"temperature":21.5,"humidity":40,"battery":90}"#),
    ("zigbee2mqtt/front_door_lock", #"{"state":"LOCK","lock_state":"locked"}"#),
]

/// Natural phrases the deterministic parser knows (canonical action text is accepted too).
let testPhrases: [String: String] = [
    "turn on the ceiling light": "turn_on device=kitchen.ceiling",
    "turn off the ceiling light": "turn_off device=kitchen.ceiling",
    "dim the ceiling light to thirty percent": "set_brightness device=kitchen.ceiling brightness=30",
    "turn off the lights": "turn_off domain=light",
    "is the ceiling light on": "query_state device=kitchen.ceiling",
    "is the coffee machine on": "query_state device=kitchen.coffee",
    "what's the temperature in the office": "query_temperature area=office",
    "is the front door locked": "query_lock device=hallway.front_door",
    "unlock the front door": "unlock device=hallway.front_door",
    "tell me a joke": "none",
]

enum TestHome {
    /// The catalog and registry of `testHomeYAML`, loaded once.
    static let home: HomeConfiguration = {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("hark-hub-home-\(getpid()).yaml")
        try! testHomeYAML.write(to: url, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: url) }
        do { return try HomeConfiguration.load(configFile: url) } catch { fatalError("test home does not load:\n\(error)") }
    }()

    static let daemon: DaemonConfiguration = {
        do { return try DaemonConfiguration.parse(yaml: testHomeYAML, file: "<test>", registry: home.registry) } catch {
            fatalError("test daemon configuration does not load:\n\(error)")
        }
    }()

    static var resolver: ActionResolver { ActionResolver(catalog: home.catalog, registry: home.registry) }

    static func parser(delay: Duration? = nil, extra: [String: String] = [:]) -> TableCommandParser {
        TableCommandParser(resolver: resolver, phrases: testPhrases.merging(extra) { a, _ in a }, delay: delay)
    }
}

/// Base for tests against a real broker and a running hub. Everything a test starts is stopped
/// in a teardown block, also when the test fails; every wait has a timeout and says what it
/// waited for.
class HubTestCase: XCTestCase {
    func makeDirectory() throws -> URL {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("hark-hub-\(UUID().uuidString)", isDirectory: true)
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        addTeardownBlock { try? FileManager.default.removeItem(at: directory) }
        return directory
    }

    func startBroker(persistent: Bool = false) throws -> MosquittoBroker {
        let broker = try MosquittoBroker(directory: try makeDirectory(), persistent: persistent)
        addTeardownBlock { try? broker.stop() }
        try broker.start()
        return broker
    }

    /// Client settings for tests: this broker, reconnect every second (no growing backoff), a
    /// large incoming buffer for observers.
    func clientConfiguration(_ broker: MosquittoBroker, clientID: String, persistentSession: Bool = false) -> MQTTConfiguration {
        var c = MQTTConfiguration(port: broker.port, clientID: clientID, cleanSession: !persistentSession, presence: nil,
                                  reconnect: .init(minimumDelaySeconds: 1, maximumDelaySeconds: 1))
        c.incomingBufferLimit = 100_000
        c.outboxLimit = 20_000
        return c
    }

    /// A connected client subscribed to `filters`, whose messages are collected.
    func observer(_ broker: MosquittoBroker, clientID: String = "observer-\(UUID().uuidString.prefix(8))",
                  filters: [String] = ["#"], persistentSession: Bool = false) async throws -> (MQTTClient, Inbox) {
        let client = try MQTTClient(configuration: clientConfiguration(broker, clientID: clientID, persistentSession: persistentSession))
        addTeardownBlock { await client.stop(drainTimeout: .milliseconds(200)) }
        let inbox = Inbox(client.messages)
        try client.start()
        try await client.waitUntilConnected(timeout: .seconds(10))
        for filter in filters { try await client.subscribe(filter, qos: .exactlyOnce) }
        return (client, inbox)
    }

    /// Publishes `testRetainedStates` (retained) and waits until the broker has them.
    func publishRetainedStates(_ broker: MosquittoBroker) async throws {
        let (client, inbox) = try await observer(broker, clientID: "retainer", filters: testRetainedStates.map(\.topic))
        for (topic, payload) in testRetainedStates { try client.publish(topic: topic, payload: payload, qos: .atLeastOnce, retain: true) }
        try await inbox.wait(for: "the retained states to come back") { messages in
            Set(messages.map(\.topic)).count == testRetainedStates.count
        }
    }

    /// A hub on `broker`, running until the test ends.
    func startHub(_ broker: MosquittoBroker, parser: (any CommandParser)? = nil, clientID: String = "hark-hub",
                  persistentSession: Bool = false, logger: HubLogger? = nil,
                  configure: (inout DaemonConfiguration) -> Void = { _ in }) async throws -> HubService {
        var configuration = TestHome.daemon
        configuration.mqtt.connection = clientConfiguration(broker, clientID: clientID, persistentSession: persistentSession)
        configuration.mqtt.connection.presence = .init()
        configure(&configuration)
        let hub = HubService(configuration: configuration, home: TestHome.home, parser: parser ?? TestHome.parser(),
                             logger: logger ?? HubLogger(level: .warning) { print("hub:", $0) })
        let task = Task { try await hub.run() }
        addTeardownBlock {
            task.cancel()
            _ = try? await task.value
        }
        try await hub.waitUntilReady(timeout: .seconds(10))
        return hub
    }
}

/// Collects the messages of a client so that a test can wait for a condition with a timeout.
final class Inbox: Sendable {
    private let items = Mutex<[MQTTMessage]>([])

    init(_ stream: AsyncStream<MQTTMessage>) {
        Task { [inbox = self] in
            for await item in stream { inbox.append(item) }
        }
    }

    private func append(_ item: MQTTMessage) { items.withLock { $0.append(item) } }

    var all: [MQTTMessage] { items.withLock { $0 } }
    func on(_ topic: String) -> [MQTTMessage] { all.filter { $0.topic == topic } }
    var count: Int { items.withLock { $0.count } }

    /// Waits until `condition` holds for everything received so far.
    @discardableResult
    func wait(for what: String, timeout: Double = 10, until condition: ([MQTTMessage]) -> Bool) async throws -> [MQTTMessage] {
        let deadline = ContinuousClock.now + .seconds(timeout)
        while true {
            let snapshot = all
            if condition(snapshot) { return snapshot }
            guard ContinuousClock.now < deadline else {
                let tail = snapshot.suffix(5).map { "\($0.topic) \($0.text ?? "<binary>")" }
                throw TestFailure("timed out after \(timeout) s waiting for \(what); received \(snapshot.count), last: \(tail)")
            }
            try await Task.sleep(for: .milliseconds(2))
        }
    }

    /// The first message on `topic` whose JSON `id` is `id`.
    func waitForJSON(on topic: String, id: String, timeout: Double = 10) async throws -> JSON {
        func find(_ all: [MQTTMessage]) -> JSON? {
            // Newest first: the awaited answer is usually the latest message.
            for message in all.reversed() where message.topic == topic {
                if let json = try? JSON.parse(message.payload), json["id"]?.stringValue == id { return json }
            }
            return nil
        }
        return find(try await wait(for: "a message with id '\(id)' on \(topic)", timeout: timeout) { find($0) != nil })!
    }
}

/// Log lines collected from a `HubLogger` (and echoed, so a failing test shows them).
final class LogLines: Sendable {
    private let lines = Mutex<[String]>([])

    /// A logger at `level` whose lines land here.
    func logger(level: HubLogger.Level = .info) -> HubLogger {
        HubLogger(level: level) { [self] line in
            print("log:", line)
            lines.withLock { $0.append(line) }
        }
    }

    var all: [String] { lines.withLock { $0 } }
    func containing(_ text: String) -> [String] { all.filter { $0.contains(text) } }
}

struct TestFailure: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

extension MQTTMessage {
    var json: JSON? { try? JSON.parse(payload) }
}

/// Device command topics (everything the hub publishes to devices), for counting.
func isDeviceTopic(_ topic: String) -> Bool {
    if topic.hasPrefix("hark/") || topic.hasPrefix("hermes/") { return false }
    if testRetainedStates.contains(where: { $0.topic == topic }) { return false }
    return topic.hasSuffix("/set") || topic.hasPrefix("cmnd/") || topic.hasPrefix("tv/") || topic == "home/hallway/chime"
}
