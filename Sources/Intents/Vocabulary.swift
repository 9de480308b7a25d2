/// What a device can do. Intents name the capability their target devices must have, and the resolver
/// only lets an action reach devices that have it. Raw values are the YAML and canonical spellings.
public enum Capability: String, Sendable, Hashable, CaseIterable, Comparable {
    case onOff = "on_off"
    case brightness
    case color
    case colorTemp = "color_temp"
    /// Covers that open and close (blinds, garage doors).
    case openClose = "open_close"
    /// Covers that move to a position 0–100 %.
    case position
    case lock
    /// A target temperature (thermostats, radiator valves).
    case setpoint
    /// Reports the current temperature (thermostats, sensors).
    case temperature
    case humidity
    case fanSpeed = "fan_speed"
    /// Play and pause.
    case playback
    case volume

    public static func < (a: Capability, b: Capability) -> Bool {
        allCases.firstIndex(of: a)! < allCases.firstIndex(of: b)!
    }

    static var names: [String] { allCases.map(\.rawValue) }
}

/// The coarse device classes a command can name instead of a device ("turn off the lights"):
/// exactly the domains of DESIGN.md section 3.
public enum Domain: String, Sendable, Hashable, CaseIterable, Comparable {
    case light, `switch`, cover, lock, climate, fan, media

    public static func < (a: Domain, b: Domain) -> Bool {
        allCases.firstIndex(of: a)! < allCases.firstIndex(of: b)!
    }

    static var names: [String] { allCases.map(\.rawValue) }
}

/// A device's kind. It implies the device's capabilities and domain (both can be overridden per
/// device in the registry) and whether voice commands to it need confirmation by default.
public enum DeviceType: String, Sendable, Hashable, CaseIterable {
    case light
    case dimmableLight = "dimmable_light"
    /// Brightness and colour temperature, no colour.
    case tunableLight = "tunable_light"
    case colorLight = "color_light"
    case `switch`
    case outlet
    case cover
    case garageDoor = "garage_door"
    case lock
    case thermostat
    case fan
    case mediaPlayer = "media_player"
    case sensor

    /// The capabilities a device of this type has unless the registry lists its own.
    public var capabilities: [Capability] {
        switch self {
        case .light, .switch, .outlet: return [.onOff]
        case .dimmableLight: return [.onOff, .brightness]
        case .tunableLight: return [.onOff, .brightness, .colorTemp]
        case .colorLight: return [.onOff, .brightness, .color, .colorTemp]
        case .cover: return [.openClose, .position]
        case .garageDoor: return [.openClose]
        case .lock: return [.lock]
        case .thermostat: return [.onOff, .setpoint, .temperature]
        case .fan: return [.onOff, .fanSpeed]
        case .mediaPlayer: return [.onOff, .playback, .volume]
        case .sensor: return [.temperature, .humidity]
        }
    }

    /// The domain a command like "the lights" reaches this device through; nil for sensors.
    public var domain: Domain? {
        switch self {
        case .light, .dimmableLight, .tunableLight, .colorLight: return .light
        case .switch, .outlet: return .switch
        case .cover, .garageDoor: return .cover
        case .lock: return .lock
        case .thermostat: return .climate
        case .fan: return .fan
        case .mediaPlayer: return .media
        case .sensor: return nil
        }
    }

    /// Locks and garage doors ask for confirmation when commanded by voice unless the policy says otherwise.
    public var confirmsByDefault: Bool { self == .lock || self == .garageDoor }

    static var names: [String] { allCases.map(\.rawValue) }
}
