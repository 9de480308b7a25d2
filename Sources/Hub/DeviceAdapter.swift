import Intents

/// One MQTT publish that commands a device.
public struct DeviceCommand: Sendable, Equatable, CustomStringConvertible {
    public var topic: String
    public var payload: [UInt8]

    public init(topic: String, payload: [UInt8]) {
        self.topic = topic
        self.payload = payload
    }

    public init(topic: String, text: String) { self.init(topic: topic, payload: Array(text.utf8)) }
    public init(topic: String, json: JSON) { self.init(topic: topic, payload: json.bytes) }

    public var text: String { String(decoding: payload, as: UTF8.self) }
    public var description: String { "\(topic) \(text)" }
}

/// An action a device (or scene) cannot perform through its adapter. The router turns it into an
/// error on `hark/<site>/error` and publishes nothing for the whole action.
public struct DeviceActionError: Error, Sendable, Equatable, CustomStringConvertible {
    /// `device 'kitchen.coffee'` or `scene 'away'`.
    public var target: String
    public var intent: String
    public var reason: String

    public init(target: String, intent: String, reason: String) {
        self.target = target
        self.intent = intent
        self.reason = reason
    }

    public init(device: Device, intent: String, reason: String) {
        self.init(target: "device '\(device.id)'", intent: intent, reason: reason)
    }

    public var description: String { "\(target) cannot perform \(intent): \(reason)" }
}

/// What an intent asks of a device, decoded once from the intent name and its slots so that each
/// adapter maps meanings, not strings. Percentages are 0–100, temperatures °C, colour
/// temperatures kelvin; steps are signed (negative for `*_down`).
public enum DeviceOperation: Sendable, Equatable {
    case power(on: Bool)
    case setBrightness(percent: Int)
    /// `explicit`: the command said how much ("by 20 percent"); otherwise `percent` is the
    /// configured default step and an adapter may use its device's own relative command.
    case stepBrightness(percent: Int, explicit: Bool)
    /// `hex` is `#RRGGBB`.
    case setColor(name: String, hex: String)
    case setColorTemperature(kelvin: Int)
    case moveCover(open: Bool)
    case setCoverPosition(percent: Int)
    case lock(Bool)
    case setTemperature(Double)
    case setFanSpeed(String)
    case playback(play: Bool)
    case setVolume(percent: Int)
    case stepVolume(percent: Int, explicit: Bool)
    /// A catalog intent without a built-in device meaning (a user's own intent): only generic
    /// adapters, whose payload templates name the slots, can perform it.
    case other(intent: String)

    /// Decodes `intent` with its (resolved, canonical) slots.
    public init(intent: String, slots: SlotValues, catalog: Catalog, settings: AdapterSettings) {
        func int(_ name: String) -> Int? { slots[name]?.number?.integer }
        func number(_ name: String) -> Double? { slots[name]?.number?.doubleValue }
        switch intent {
        case "turn_on": self = .power(on: true)
        case "turn_off": self = .power(on: false)
        case "set_brightness":
            guard let p = int("brightness") else { self = .other(intent: intent); return }
            self = .setBrightness(percent: p)
        case "brightness_up", "brightness_down":
            let step = int("step")
            let size = step ?? settings.brightnessStep
            self = .stepBrightness(percent: intent == "brightness_up" ? size : -size, explicit: step != nil)
        case "set_color":
            guard let id = slots["color"]?.id, let color = catalog.color(id: id) else { self = .other(intent: intent); return }
            self = .setColor(name: id, hex: color.hex.uppercased())
        case "set_color_temp":
            guard let k = int("color_temp"), k > 0 else { self = .other(intent: intent); return }
            self = .setColorTemperature(kelvin: k)
        case "open_cover": self = .moveCover(open: true)
        case "close_cover": self = .moveCover(open: false)
        case "set_cover_position":
            guard let p = int("position") else { self = .other(intent: intent); return }
            self = .setCoverPosition(percent: p)
        case "lock": self = .lock(true)
        case "unlock": self = .lock(false)
        case "set_temperature":
            guard let t = number("temperature") else { self = .other(intent: intent); return }
            self = .setTemperature(t)
        case "set_fan_speed":
            guard let s = slots["speed"]?.id else { self = .other(intent: intent); return }
            self = .setFanSpeed(s)
        case "media_play": self = .playback(play: true)
        case "media_pause": self = .playback(play: false)
        case "set_volume":
            guard let v = int("volume") else { self = .other(intent: intent); return }
            self = .setVolume(percent: v)
        case "volume_up", "volume_down":
            let step = int("step")
            let size = step ?? settings.volumeStep
            self = .stepVolume(percent: intent == "volume_up" ? size : -size, explicit: step != nil)
        default: self = .other(intent: intent)
        }
    }

    /// The on/off-style word the operation implies (`ON`, `OFF`, `OPEN`, `CLOSE`, `LOCK`,
    /// `UNLOCK`, `PLAY`, `PAUSE`); nil where it implies none (positions, set-points, volume).
    public var stateWord: String? {
        switch self {
        case let .power(on): return on ? "ON" : "OFF"
        case .setBrightness, .stepBrightness, .setColor, .setColorTemperature, .setFanSpeed: return "ON"
        case let .moveCover(open): return open ? "OPEN" : "CLOSE"
        case let .lock(locked): return locked ? "LOCK" : "UNLOCK"
        case let .playback(play): return play ? "PLAY" : "PAUSE"
        case .setCoverPosition, .setTemperature, .setVolume, .stepVolume, .other: return nil
        }
    }
}

/// Everything an adapter needs to command one device.
public struct DeviceRequest: Sendable {
    public var intent: String
    /// The action's slots in canonical order (target slots included).
    public var slots: SlotValues
    public var operation: DeviceOperation
    public var device: Device
    /// The device's last known state, from its state topics; nil before anything arrived.
    public var state: DeviceState?

    public init(intent: String, slots: SlotValues, operation: DeviceOperation, device: Device, state: DeviceState?) {
        self.intent = intent
        self.slots = slots
        self.operation = operation
        self.device = device
        self.state = state
    }

    func cannot(_ reason: String) -> DeviceActionError { DeviceActionError(device: device, intent: intent, reason: reason) }
}

/// Maps actions to MQTT publishes for one kind of device system (Zigbee2MQTT, Tasmota, Home
/// Assistant, generic), and reads its devices' state topics. Adapters are pure: they decide what
/// to publish; the router publishes.
public protocol DeviceAdapter: Sendable {
    /// The publishes that make the device perform the request. Throws when the device cannot
    /// (the adapter has no such command, or a relative change needs a state not yet known).
    func commands(for request: DeviceRequest) throws(DeviceActionError) -> [DeviceCommand]

    /// The topics that carry the device's state.
    func stateTopics(for device: Device) -> [String]

    /// `state` updated from a message on one of `stateTopics(for: device)`; nil when the payload
    /// says nothing usable.
    func updating(_ state: DeviceState, topic: String, payload: [UInt8], device: Device) -> DeviceState?

    /// The publishes that recall `scene` (a scene kept by this system, `adapter:` in the registry).
    func sceneCommands(for scene: Scene) throws(DeviceActionError) -> [DeviceCommand]
}

extension DeviceAdapter {
    public func sceneCommands(for scene: Scene) throws(DeviceActionError) -> [DeviceCommand] {
        throw DeviceActionError(target: "scene '\(scene.id)'", intent: "activate_scene", reason: "this adapter cannot recall scenes")
    }
}

/// The adapter for each registry `Adapter` kind, built once from the settings.
public struct AdapterSet: Sendable {
    public let zigbee2mqtt: Zigbee2MQTTAdapter
    public let tasmota: TasmotaAdapter
    public let homeAssistant: HomeAssistantAdapter
    public let generic: GenericAdapter

    public init(settings: AdapterSettings) {
        zigbee2mqtt = Zigbee2MQTTAdapter(baseTopic: settings.zigbee2mqttBase)
        tasmota = TasmotaAdapter()
        homeAssistant = HomeAssistantAdapter(baseTopic: settings.homeAssistantBase, entities: settings.homeAssistantEntities)
        generic = GenericAdapter()
    }

    public func adapter(for address: Adapter) -> any DeviceAdapter {
        switch address {
        case .zigbee2mqtt: return zigbee2mqtt
        case .tasmota: return tasmota
        case .homeAssistant: return homeAssistant
        case .generic: return generic
        }
    }
}

// MARK: - Unit conversions shared by the adapters

enum Units {
    /// Percent 0–100 to a 0–`scale` device value, rounded half up.
    static func scaled(_ percent: Int, to scale: Int) -> Int {
        (min(max(percent, -100), 100) * scale + (percent >= 0 ? 50 : -50)) / 100
    }

    /// Kelvin to mireds (1e6 / K), rounded.
    static func mireds(kelvin: Int) -> Int { Int((1_000_000 / Double(kelvin)).rounded()) }

    /// `#RRGGBB` to its components.
    static func rgb(_ hex: String) -> (r: Int, g: Int, b: Int)? {
        let digits = hex.hasPrefix("#") ? String(hex.dropFirst()) : hex
        guard digits.count == 6, let v = Int(digits, radix: 16) else { return nil }
        return ((v >> 16) & 0xFF, (v >> 8) & 0xFF, v & 0xFF)
    }

    static func clampPercent(_ v: Int) -> Int { min(max(v, 0), 100) }

    /// `21.5` → `21.5`, `21.0` → `21`.
    static func text(_ value: Double) -> String { JSON.format(value) }
}
