import Intents

/// Zigbee2MQTT: JSON on `<base>/<friendly_name>/set`; state is the retained JSON on
/// `<base>/<friendly_name>`.
///
/// | operation | payload |
/// |---|---|
/// | turn_on / turn_off | `{"state":"ON"}` / `{"state":"OFF"}`; thermostats `{"system_mode":"heat"}` / `{"system_mode":"off"}` |
/// | set_brightness | `{"brightness":0–254}` from percent |
/// | brightness_up / down | `{"brightness_step":±n}` (native relative command, n = step % of 254) |
/// | set_color | `{"color":{"hex":"#RRGGBB"}}` |
/// | set_color_temp | `{"color_temp":mireds}` (1e6 / kelvin) |
/// | open / close cover | `{"state":"OPEN"}` / `{"state":"CLOSE"}` |
/// | set_cover_position | `{"position":n}` |
/// | lock / unlock | `{"state":"LOCK"}` / `{"state":"UNLOCK"}` |
/// | set_temperature | `{"current_heating_setpoint":t}` |
/// | set_fan_speed | `{"fan_mode":"low"|"medium"|"high"}` |
///
/// Media (play, pause, volume) and scenes have no Zigbee2MQTT command and are errors.
public struct Zigbee2MQTTAdapter: DeviceAdapter {
    public let baseTopic: String

    public init(baseTopic: String = "zigbee2mqtt") { self.baseTopic = baseTopic }

    private func name(_ device: Device) -> String {
        if case let .zigbee2mqtt(friendlyName) = device.adapter { return friendlyName }
        return device.id
    }

    public func commands(for request: DeviceRequest) throws(DeviceActionError) -> [DeviceCommand] {
        let topic = "\(baseTopic)/\(name(request.device))/set"
        let payload: JSON
        switch request.operation {
        case let .power(on):
            payload = request.device.has(.setpoint) && !request.device.has(.brightness)
                ? .make(["system_mode": .string(on ? "heat" : "off")])
                : .make(["state": .string(on ? "ON" : "OFF")])
        case let .setBrightness(percent): payload = .make(["brightness": .int(Units.scaled(percent, to: 254))])
        case let .stepBrightness(percent, _): payload = .make(["brightness_step": .int(Units.scaled(percent, to: 254))])
        case let .setColor(_, hex): payload = .make(["color": .make(["hex": .string(hex)])])
        case let .setColorTemperature(kelvin): payload = .make(["color_temp": .int(Units.mireds(kelvin: kelvin))])
        case let .moveCover(open): payload = .make(["state": .string(open ? "OPEN" : "CLOSE")])
        case let .setCoverPosition(percent): payload = .make(["position": .int(percent)])
        case let .lock(locked): payload = .make(["state": .string(locked ? "LOCK" : "UNLOCK")])
        case let .setTemperature(t): payload = .make(["current_heating_setpoint": .number(t)])
        case let .setFanSpeed(speed): payload = .make(["fan_mode": .string(speed)])
        case .playback, .setVolume, .stepVolume:
            throw request.cannot("Zigbee2MQTT has no media player commands")
        case let .other(intent):
            throw request.cannot("the zigbee2mqtt adapter has no command for intent '\(intent)'")
        }
        return [DeviceCommand(topic: topic, json: payload)]
    }

    public func stateTopics(for device: Device) -> [String] { ["\(baseTopic)/\(name(device))"] }

    public func updating(_ state: DeviceState, topic: String, payload: [UInt8], device: Device) -> DeviceState? {
        StateReader(brightnessScale: 254).read(payload, into: state, device: device)
    }
}
