import Intents

/// Any MQTT device: the registry's `topic` and `payload` template, with `{name}` placeholders the
/// adapter fills:
///
/// | placeholder | value |
/// |---|---|
/// | `{intent}`, `{device}` | the intent name, the device id |
/// | `{state}` | `ON`/`OFF`/`OPEN`/`CLOSE`/`LOCK`/`UNLOCK`/`PLAY`/`PAUSE` as the intent implies (brightness and colour changes imply `ON`) |
/// | `{brightness}` | percent; for brightness_up/down the last known brightness ± step |
/// | `{step}` | the signed step of a relative intent |
/// | `{color}`, `{color_name}` | `#RRGGBB`, the catalog colour id |
/// | `{color_temp}`, `{mireds}` | kelvin, 1e6 / kelvin |
/// | `{position}`, `{temperature}`, `{speed}`, `{volume}` | the slot values (volume ± step for relative intents) |
/// | any slot name | its canonical value (user intents) |
///
/// A placeholder the action does not supply is taken from the device's last known state (the
/// state field of the same name, e.g. `{speed}` when only turning a fan on); when that is unknown
/// too, the device cannot perform the action. Without a template the payload is the action as
/// JSON: `{"intent":"set_brightness","device":"x","brightness":30}`. Scenes with a generic
/// adapter publish their template with `{scene}`, `{intent}` = `activate_scene`, `{state}` = `ON`
/// (default payload `ON`).
public struct GenericAdapter: DeviceAdapter {
    public init() {}

    public func commands(for request: DeviceRequest) throws(DeviceActionError) -> [DeviceCommand] {
        guard case let .generic(topic, template, _) = request.device.adapter else {
            throw request.cannot("it has no generic adapter address")
        }
        guard let template else { return [DeviceCommand(topic: topic, json: defaultPayload(request))] }
        var values = self.values(for: request)
        let payload = try render(template) { name throws(DeviceActionError) -> String in
            if let v = values[name] { return v }
            if let relative = relativeField(request.operation), relative == name {
                throw request.cannot("its \(name) is not known yet (nothing received on its state topic), so it cannot change by a step")
            }
            if let known = request.state?.rawValue(name) {
                let text = known.stringValue ?? known.description
                values[name] = text
                return text
            }
            throw request.cannot(
                "its payload template needs {\(name)}, which \(request.intent) does not give and no state of that name has been received")
        }
        return [DeviceCommand(topic: topic, text: payload)]
    }

    /// The field a relative operation computes from the last known state (never taken raw).
    private func relativeField(_ operation: DeviceOperation) -> String? {
        switch operation {
        case .stepBrightness: return "brightness"
        case .stepVolume: return "volume"
        default: return nil
        }
    }

    private func values(for request: DeviceRequest) -> [String: String] {
        var v: [String: String] = ["intent": request.intent, "device": request.device.id]
        for (name, value) in request.slots { v[name] = value.description }
        if let word = request.operation.stateWord { v["state"] = word }
        switch request.operation {
        case let .setBrightness(percent): v["brightness"] = String(percent)
        case let .stepBrightness(percent, _):
            v["step"] = String(percent)
            v["brightness"] = request.state?.brightness.map { String(Units.clampPercent($0 + percent)) }
        case let .setColor(name, hex):
            v["color"] = hex
            v["color_name"] = name
        case let .setColorTemperature(kelvin):
            v["color_temp"] = String(kelvin)
            v["mireds"] = String(Units.mireds(kelvin: kelvin))
        case let .setCoverPosition(percent): v["position"] = String(percent)
        case let .setTemperature(t): v["temperature"] = Units.text(t)
        case let .setFanSpeed(speed): v["speed"] = speed
        case let .setVolume(percent): v["volume"] = String(percent)
        case let .stepVolume(percent, _):
            v["step"] = String(percent)
            v["volume"] = request.state?.volume.map { String(Units.clampPercent($0 + percent)) }
        case .power, .moveCover, .lock, .playback, .other: break
        }
        return v
    }

    private func defaultPayload(_ request: DeviceRequest) -> JSON {
        var members = [JSON.Member("intent", .string(request.intent)), JSON.Member("device", .string(request.device.id))]
        for (name, value) in request.slots where !TargetSpec.slotNames.contains(name) {
            switch value {
            case let .id(s): members.append(JSON.Member(name, .string(s)))
            case let .number(n): members.append(JSON.Member(name, .number(n.doubleValue)))
            }
        }
        return .object(members)
    }

    /// Replaces each `{identifier}`; any other `{` (JSON braces) is copied as is.
    func render(_ template: String, _ value: (String) throws(DeviceActionError) -> String) throws(DeviceActionError) -> String {
        var out = ""
        var rest = Substring(template)
        while let open = rest.firstIndex(of: "{") {
            out += rest[..<open]
            let after = rest.index(after: open)
            if let close = rest[after...].firstIndex(of: "}"), close > after,
               rest[after..<close].allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_") }) {
                out += try value(String(rest[after..<close]))
                rest = rest[rest.index(after: close)...]
            } else {
                out += "{"
                rest = rest[after...]
            }
        }
        return out + rest
    }

    public func stateTopics(for device: Device) -> [String] {
        if case let .generic(_, _, stateTopic?) = device.adapter { return [stateTopic] }
        return []
    }

    public func updating(_ state: DeviceState, topic: String, payload: [UInt8], device: Device) -> DeviceState? {
        StateReader(brightnessScale: 100).read(payload, into: state, device: device)
    }

    public func sceneCommands(for scene: Scene) throws(DeviceActionError) -> [DeviceCommand] {
        guard case let .generic(topic, template, _) = scene.adapter else {
            throw DeviceActionError(target: "scene '\(scene.id)'", intent: "activate_scene", reason: "it has no generic adapter address")
        }
        let values = ["scene": scene.id, "intent": "activate_scene", "state": "ON"]
        let payload = try render(template ?? "ON") { name throws(DeviceActionError) -> String in
            guard let v = values[name] else {
                throw DeviceActionError(target: "scene '\(scene.id)'", intent: "activate_scene",
                                        reason: "its payload template needs {\(name)}; scenes supply {scene}, {intent} and {state}")
            }
            return v
        }
        return [DeviceCommand(topic: topic, text: payload)]
    }
}
