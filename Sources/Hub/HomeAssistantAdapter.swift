import Intents

/// Home Assistant's MQTT integration, by entity domain. Topics come from `mqtt.homeassistant` in
/// the config, else `<base>/<domain>/<object_id>/set` (commands), `…/state` (state),
/// `…/position/set`, `…/temperature/set`, `…/mode/set`, `…/preset_mode/set`, `…/volume/set`.
///
/// | domain | operation | publish |
/// |---|---|---|
/// | light (JSON schema) | on / off | `{"state":"ON"}` / `{"state":"OFF"}` |
/// | | set_brightness | `{"state":"ON","brightness":0–255}` |
/// | | brightness_up / down | as set_brightness from the last known brightness ± step (needs a known brightness) |
/// | | set_color | `{"state":"ON","color":{"r":…,"g":…,"b":…}}` |
/// | | set_color_temp | `{"state":"ON","color_temp":mireds}` |
/// | switch, fan | on / off | `ON` / `OFF` |
/// | fan | set_fan_speed | preset mode topic: `low` / `medium` / `high` |
/// | cover | open / close | `OPEN` / `CLOSE` |
/// | | set_cover_position | position topic: `0`–`100` |
/// | lock | lock / unlock | `LOCK` / `UNLOCK` |
/// | climate | set_temperature | temperature topic: `21.5` |
/// | | on / off | mode topic: `heat` / `off` |
/// | media_player | on / off, play / pause | `ON` / `OFF`, `PLAY` / `PAUSE` |
/// | | set_volume, volume_up / down | volume topic: `0`–`100` (relative needs a known volume) |
/// | scene | activate_scene | `ON` |
///
/// Home Assistant's MQTT integration has no media player platform; the media topics are for an
/// automation or bridge that forwards them.
public struct HomeAssistantAdapter: DeviceAdapter {
    public let baseTopic: String
    public let entities: [String: HomeAssistantTopics]

    public init(baseTopic: String = "homeassistant", entities: [String: HomeAssistantTopics] = [:]) {
        self.baseTopic = baseTopic
        self.entities = entities
    }

    /// The entity's topics with every default filled in.
    public func topics(entity: String) -> (domain: String, topics: HomeAssistantTopics) {
        let parts = entity.split(separator: ".", maxSplits: 1).map(String.init)
        let domain = parts.first ?? entity, object = parts.count > 1 ? parts[1] : entity
        let prefix = "\(baseTopic)/\(domain)/\(object)"
        let configured = entities[entity] ?? HomeAssistantTopics()
        return (domain, HomeAssistantTopics(
            commandTopic: configured.commandTopic ?? "\(prefix)/set",
            stateTopic: configured.stateTopic ?? "\(prefix)/state",
            positionTopic: configured.positionTopic ?? "\(prefix)/position/set",
            temperatureCommandTopic: configured.temperatureCommandTopic ?? "\(prefix)/temperature/set",
            modeCommandTopic: configured.modeCommandTopic ?? "\(prefix)/mode/set",
            presetModeCommandTopic: configured.presetModeCommandTopic ?? "\(prefix)/preset_mode/set",
            volumeCommandTopic: configured.volumeCommandTopic ?? "\(prefix)/volume/set"))
    }

    private func entity(_ device: Device) -> String {
        if case let .homeAssistant(entityID) = device.adapter { return entityID }
        return device.id
    }

    public func commands(for request: DeviceRequest) throws(DeviceActionError) -> [DeviceCommand] {
        let (domain, t) = topics(entity: entity(request.device))
        let command = t.commandTopic!
        func plain(_ topic: String?, _ text: String) -> [DeviceCommand] { [DeviceCommand(topic: topic!, text: text)] }
        func light(_ members: KeyValuePairs<String, JSON>) -> [DeviceCommand] {
            [DeviceCommand(topic: command, json: .make(members))]
        }
        let op = request.operation
        switch (domain, op) {
        case let ("light", .power(on)): return light(["state": .string(on ? "ON" : "OFF")])
        case let ("light", .setBrightness(percent)):
            return light(["state": "ON", "brightness": .int(Units.scaled(percent, to: 255))])
        case let ("light", .stepBrightness(percent, _)):
            guard let current = request.state?.brightness else {
                throw request.cannot("its brightness is not known yet (nothing received on '\(t.stateTopic!)'), and Home Assistant has no relative brightness command")
            }
            return light(["state": "ON", "brightness": .int(Units.scaled(Units.clampPercent(current + percent), to: 255))])
        case let ("light", .setColor(_, hex)):
            guard let (r, g, b) = Units.rgb(hex) else { throw request.cannot("colour '\(hex)' is not #RRGGBB") }
            return light(["state": "ON", "color": .make(["r": .int(r), "g": .int(g), "b": .int(b)])])
        case let ("light", .setColorTemperature(kelvin)):
            return light(["state": "ON", "color_temp": .int(Units.mireds(kelvin: kelvin))])

        case let ("switch", .power(on)), let ("fan", .power(on)), let ("input_boolean", .power(on)), let ("media_player", .power(on)):
            return plain(command, on ? "ON" : "OFF")
        case let ("fan", .setFanSpeed(speed)): return plain(t.presetModeCommandTopic, speed)

        case let ("cover", .moveCover(open)): return plain(command, open ? "OPEN" : "CLOSE")
        case let ("cover", .setCoverPosition(percent)): return plain(t.positionTopic, String(percent))

        case let ("lock", .lock(locked)): return plain(command, locked ? "LOCK" : "UNLOCK")

        case let ("climate", .setTemperature(value)): return plain(t.temperatureCommandTopic, Units.text(value))
        case let ("climate", .power(on)): return plain(t.modeCommandTopic, on ? "heat" : "off")

        case let ("media_player", .playback(play)): return plain(command, play ? "PLAY" : "PAUSE")
        case let ("media_player", .setVolume(percent)): return plain(t.volumeCommandTopic, String(percent))
        case let ("media_player", .stepVolume(percent, _)):
            guard let current = request.state?.volume else {
                throw request.cannot("its volume is not known yet (nothing received on '\(t.stateTopic!)')")
            }
            return plain(t.volumeCommandTopic, String(Units.clampPercent(current + percent)))

        case let (_, .other(intent)):
            throw request.cannot("the homeassistant adapter has no command for intent '\(intent)'")
        default:
            throw request.cannot("Home Assistant's \(domain) entities have no MQTT command for \(request.intent)")
        }
    }

    public func stateTopics(for device: Device) -> [String] { [topics(entity: entity(device)).topics.stateTopic!] }

    public func updating(_ state: DeviceState, topic: String, payload: [UInt8], device: Device) -> DeviceState? {
        StateReader(brightnessScale: 255).read(payload, into: state, device: device)
    }

    public func sceneCommands(for scene: Scene) throws(DeviceActionError) -> [DeviceCommand] {
        guard case let .homeAssistant(entityID) = scene.adapter else {
            throw DeviceActionError(target: "scene '\(scene.id)'", intent: "activate_scene", reason: "it has no Home Assistant entity")
        }
        let (domain, t) = topics(entity: entityID)
        guard domain == "scene" else {
            throw DeviceActionError(target: "scene '\(scene.id)'", intent: "activate_scene",
                                    reason: "'\(entityID)' is not a Home Assistant scene entity (scene.<object_id>)")
        }
        return [DeviceCommand(topic: t.commandTopic!, text: "ON")]
    }
}
