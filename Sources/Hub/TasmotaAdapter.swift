import Intents

/// Tasmota: one command per topic, `cmnd/<topic>/<Command>` with a plain payload; state from
/// `stat/<topic>/RESULT`, `stat/<topic>/POWER`, `tele/<topic>/STATE` and `tele/<topic>/SENSOR`.
///
/// | operation | publish |
/// |---|---|
/// | turn_on / turn_off | `POWER` `ON` / `OFF` |
/// | set_brightness | `Dimmer` `0`–`100` |
/// | brightness_up / down | `Dimmer` last known ± step when the brightness is known; else `Dimmer` `+` / `-` (Tasmota's own relative command, its DimmerStep), or an error when a step was said |
/// | set_color | `Color` `RRGGBB` (no `#`) |
/// | set_color_temp | `CT` mireds, clamped to Tasmota's 153–500 |
/// | open / close cover | `ShutterOpen` / `ShutterClose` (empty payload) |
/// | set_cover_position | `ShutterPosition` `0`–`100` |
/// | set_fan_speed | `FanSpeed` `1` / `2` / `3` (low / medium / high) |
///
/// Locks, set-points, media and scenes have no Tasmota command and are errors.
public struct TasmotaAdapter: DeviceAdapter {
    public init() {}

    private func topic(_ device: Device) -> String {
        if case let .tasmota(topic) = device.adapter { return topic }
        return device.id
    }

    public func commands(for request: DeviceRequest) throws(DeviceActionError) -> [DeviceCommand] {
        let t = topic(request.device)
        func command(_ name: String, _ payload: String) -> [DeviceCommand] {
            [DeviceCommand(topic: "cmnd/\(t)/\(name)", text: payload)]
        }
        switch request.operation {
        case let .power(on): return command("POWER", on ? "ON" : "OFF")
        case let .setBrightness(percent): return command("Dimmer", String(percent))
        case let .stepBrightness(percent, explicit):
            if let current = request.state?.brightness {
                return command("Dimmer", String(Units.clampPercent(current + percent)))
            }
            guard !explicit else {
                throw request.cannot("its brightness is not known yet (nothing received on its state topics), so it cannot change by \(abs(percent)) %")
            }
            return command("Dimmer", percent > 0 ? "+" : "-")
        case let .setColor(_, hex): return command("Color", String(hex.dropFirst(hex.hasPrefix("#") ? 1 : 0)))
        case let .setColorTemperature(kelvin): return command("CT", String(min(max(Units.mireds(kelvin: kelvin), 153), 500)))
        case let .moveCover(open): return command(open ? "ShutterOpen" : "ShutterClose", "")
        case let .setCoverPosition(percent): return command("ShutterPosition", String(percent))
        case let .setFanSpeed(speed):
            guard let level = ["low": 1, "medium": 2, "high": 3][speed] else {
                throw request.cannot("Tasmota's FanSpeed has no speed '\(speed)' (low, medium, high)")
            }
            return command("FanSpeed", String(level))
        case .lock: throw request.cannot("Tasmota has no lock command")
        case .setTemperature: throw request.cannot("Tasmota has no thermostat set-point command")
        case .playback, .setVolume, .stepVolume: throw request.cannot("Tasmota has no media player commands")
        case let .other(intent): throw request.cannot("the tasmota adapter has no command for intent '\(intent)'")
        }
    }

    public func stateTopics(for device: Device) -> [String] {
        let t = topic(device)
        return ["stat/\(t)/RESULT", "stat/\(t)/POWER", "tele/\(t)/STATE", "tele/\(t)/SENSOR"]
    }

    public func updating(_ state: DeviceState, topic: String, payload: [UInt8], device: Device) -> DeviceState? {
        StateReader(brightnessScale: 100, plainKey: "POWER").read(payload, into: state, device: device)
    }
}
