import Foundation
import Intents

/// What Hark last heard from a device on its state topics, in adapter-independent units
/// (brightness and volume in percent, colour temperature in mireds, temperatures in °C), plus the
/// raw fields as the device sent them (merged across messages), which state queries return.
public struct DeviceState: Sendable, Equatable {
    public var power: Bool?
    public var brightness: Int?
    public var colorTemp: Int?
    public var open: Bool?
    public var position: Int?
    public var locked: Bool?
    public var temperature: Double?
    public var setpoint: Double?
    public var humidity: Double?
    public var fanSpeed: String?
    public var playing: Bool?
    public var volume: Int?
    /// Every field received, newest value per key, in first-seen order.
    public var raw: [JSON.Member]

    public init() { raw = [] }

    public var rawJSON: JSON { .object(raw) }

    /// The raw field named `key` (exact, then case-insensitive).
    public func rawValue(_ key: String) -> JSON? {
        raw.first { $0.key == key }?.value ?? raw.first { $0.key.lowercased() == key.lowercased() }?.value
    }

    mutating func setRaw(_ key: String, _ value: JSON) {
        if let i = raw.firstIndex(where: { $0.key == key }) { raw[i].value = value } else { raw.append(JSON.Member(key, value)) }
    }
}

/// Reads state payloads the way most device systems write them: a JSON object of fields
/// (`{"state":"ON","brightness":127}`, Tasmota's `{"POWER":"ON","Dimmer":50}`), or a plain word or
/// number (`ON`, `locked`, `21.5`). Field names are matched case-insensitively.
struct StateReader {
    /// The device's full-scale brightness: 254 (Zigbee2MQTT), 255 (Home Assistant), 100 (percent).
    var brightnessScale: Int
    /// The raw key a plain payload is stored under (`state`, or Tasmota's `POWER`).
    var plainKey = "state"

    func read(_ payload: [UInt8], into state: DeviceState, device: Device) -> DeviceState? {
        guard payload.count <= 65_536, let text = String(validating: payload, as: UTF8.self) else { return nil }
        let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !trimmed.isEmpty else { return nil }
        var next = state
        if trimmed.first == "{" {
            guard let json = try? JSON.parse(trimmed), let members = json.members else { return nil }
            for member in members {
                next.setRaw(member.key, member.value)
                apply(member.key, member.value, to: &next, device: device)
            }
        } else if let n = Double(trimmed), n.isFinite {
            // A bare number: a sensor's or thermostat's temperature, else a brightness.
            if device.has(.temperature) {
                next.temperature = n
            } else if device.has(.brightness) {
                next.brightness = percent(n)
            } else {
                return nil
            }
            next.setRaw(plainKey, .number(n))
        } else {
            // A bare word counts only when it is a state word (ON, locked, closed, ...).
            guard applyWord(trimmed, to: &next, device: device) else { return nil }
            next.setRaw(plainKey, .string(trimmed))
        }
        return next == state ? state : next
    }

    private func percent(_ deviceValue: Double) -> Int {
        Int((deviceValue * 100 / Double(brightnessScale)).rounded())
    }

    private func apply(_ key: String, _ value: JSON, to state: inout DeviceState, device: Device) {
        let n = value.numberValue
        switch key.lowercased() {
        case "state", "power", "power1":
            if let s = value.stringValue { applyWord(s, to: &state, device: device) }
        case "lock_state":
            if let s = value.stringValue?.lowercased() { state.locked = s == "locked" ? true : s == "unlocked" ? false : state.locked }
        case "brightness": if let n { state.brightness = percent(n) }
        case "dimmer": if let n { state.brightness = Int(n.rounded()) }
        case "color_temp", "ct": if let n { state.colorTemp = Int(n.rounded()) }
        case "position": if let n { state.position = Int(n.rounded()) }
        case "temperature", "local_temperature", "current_temperature": if let n { state.temperature = n }
        case "current_heating_setpoint", "occupied_heating_setpoint", "target_temperature", "setpoint": if let n { state.setpoint = n }
        case "humidity": if let n { state.humidity = n }
        case "fan_mode", "preset_mode", "speed": if let s = value.stringValue { state.fanSpeed = s.lowercased() }
        case "fanspeed":
            if let n { state.fanSpeed = ["off", "low", "medium", "high"][min(max(Int(n), 0), 3)] }
        case "volume": if let n { state.volume = Int(n.rounded()) }
        default:
            // Tasmota nests sensor readings and shutters one level down:
            // {"AM2301":{"Temperature":21.5,"Humidity":40}}, {"Shutter1":{"Position":50}}.
            if let members = value.members {
                for inner in members {
                    switch inner.key.lowercased() {
                    case "temperature": if let t = inner.value.numberValue { state.temperature = t }
                    case "humidity": if let h = inner.value.numberValue { state.humidity = h }
                    case "position": if let p = inner.value.numberValue { state.position = Int(p.rounded()) }
                    default: break
                    }
                }
            }
        }
    }

    /// `ON`/`OFF`, `LOCK(ED)`/`UNLOCK(ED)`, `OPEN`/`CLOSE(D)`, `PLAYING`/`PAUSED`, read by what the
    /// device can do (a lock's `state` is its lock state, a cover's its position).
    @discardableResult
    private func applyWord(_ word: String, to state: inout DeviceState, device: Device) -> Bool {
        switch word.uppercased() {
        case "ON": state.power = true
        case "OFF": state.power = false
        case "LOCK", "LOCKED": state.locked = true
        case "UNLOCK", "UNLOCKED": state.locked = false
        case "OPEN", "OPENED": state.open = true
        case "CLOSE", "CLOSED": state.open = false
        case "PLAYING", "PLAY": state.playing = true; state.power = true
        case "PAUSED", "PAUSE", "IDLE": state.playing = false
        default: return false
        }
        return true
    }
}
