/// A room or zone of the home. Commands can target an area ("the kitchen lights"); the site a
/// command is spoken at is an area too.
public struct Area: Sendable, Hashable {
    /// Lowercase id (`living_room`), used in canonical actions and device records.
    public var id: String
    /// The spoken name ("living room").
    public var name: String
    /// Other spoken names ("lounge").
    public var aliases: [String]

    public init(id: String, name: String, aliases: [String] = []) {
        self.id = id
        self.name = name
        self.aliases = aliases
    }

    /// Name and aliases, lowercased: what a user can say.
    public var phrases: [String] { uniquePhrases([name] + aliases) }
}

/// How Hark reaches a device over MQTT, with the device's address in that system.
public enum Adapter: Sendable, Hashable {
    /// Zigbee2MQTT: `<base>/<friendlyName>/set`.
    case zigbee2mqtt(friendlyName: String)
    /// Tasmota: `cmnd/<topic>/POWER` etc.
    case tasmota(topic: String)
    /// Home Assistant MQTT (JSON schema): an entity id such as `light.kitchen`.
    case homeAssistant(entityID: String)
    /// Any MQTT device: publish `payload` (a template the daemon fills) to `topic`.
    case generic(topic: String, payload: String?, stateTopic: String?)

    /// The YAML key of this adapter kind.
    public var kind: String {
        switch self {
        case .zigbee2mqtt: return "zigbee2mqtt"
        case .tasmota: return "tasmota"
        case .homeAssistant: return "homeassistant"
        case .generic: return "generic"
        }
    }

    static let kinds = ["zigbee2mqtt", "tasmota", "homeassistant", "generic"]
}

/// Safety policy of a device.
public struct DevicePolicy: Sendable, Hashable {
    /// Ask for confirmation before acting on a voice command (text and Hermes commands are trusted).
    /// Defaults to true for locks and garage doors.
    public var confirm: Bool
    public init(confirm: Bool) { self.confirm = confirm }
}

/// One controllable or readable device of the registry.
public struct Device: Sendable, Hashable {
    /// Lowercase dotted id (`kitchen.ceiling`), used in canonical actions and action JSON.
    public var id: String
    public var name: String
    public var aliases: [String]
    /// The id of the area the device is in.
    public var area: String
    public var type: DeviceType
    /// The type's capabilities unless the registry lists its own; sorted in `Capability` order.
    public var capabilities: [Capability]
    /// The domain through which "the lights"-style commands reach the device; nil for sensors.
    public var domain: Domain?
    public var adapter: Adapter
    public var policy: DevicePolicy

    /// A device with its type's capabilities, domain and default policy; set `capabilities`,
    /// `domain` or `policy` afterwards to override them.
    public init(id: String, name: String, aliases: [String] = [], area: String, type: DeviceType,
                adapter: Adapter, policy: DevicePolicy? = nil) {
        self.id = id
        self.name = name
        self.aliases = aliases
        self.area = area
        self.type = type
        self.capabilities = type.capabilities
        self.domain = type.domain
        self.adapter = adapter
        self.policy = policy ?? DevicePolicy(confirm: type.confirmsByDefault)
    }

    public func has(_ capability: Capability) -> Bool { capabilities.contains(capability) }

    /// Name and aliases, lowercased: what a user can say.
    public var phrases: [String] { uniquePhrases([name] + aliases) }
}

/// A named scene ("movie night"): a list of canonical actions Hark runs, or a scene that lives in
/// another system and is recalled through an adapter (`homeassistant: scene.movie`).
public struct Scene: Sendable, Hashable {
    public var id: String
    public var name: String
    public var aliases: [String]
    /// The area whose devices the scene's domain-only actions address (default: the registry's site).
    public var area: String?
    public var actions: [CanonicalAction]
    public var adapter: Adapter?

    public init(id: String, name: String, aliases: [String] = [], area: String? = nil, actions: [CanonicalAction] = [], adapter: Adapter? = nil) {
        self.id = id
        self.name = name
        self.aliases = aliases
        self.area = area
        self.actions = actions
        self.adapter = adapter
    }

    public var phrases: [String] { uniquePhrases([name] + aliases) }
}

/// The user's home: its areas, devices and scenes, and the site this hub listens at. Read from the
/// `site`, `areas`, `devices` and `scenes` keys of the config YAML (`Registry.parse`); assumed
/// validated (unique ids, known areas) by the loader when used by the resolver and expander.
public struct Registry: Sendable, Hashable {
    /// The area id this hub listens in; commands naming no area act here. Nil when not configured.
    public var site: String?
    public var areas: [Area]
    public var devices: [Device]
    public var scenes: [Scene]

    public init(site: String? = nil, areas: [Area], devices: [Device], scenes: [Scene] = []) {
        self.site = site
        self.areas = areas
        self.devices = devices
        self.scenes = scenes
    }

    public func area(id: String) -> Area? { areas.first { $0.id == id } }
    public func device(id: String) -> Device? { devices.first { $0.id == id } }
    public func scene(id: String) -> Scene? { scenes.first { $0.id == id } }

    /// Devices having `capability`, optionally restricted to one area and one domain, in registry order.
    public func devices(with capability: Capability, in area: String? = nil, domain: Domain? = nil) -> [Device] {
        devices.filter { d in
            d.has(capability) && (area == nil || d.area == area) && (domain == nil || d.domain == domain)
        }
    }
}

func uniquePhrases(_ list: [String]) -> [String] {
    var out: [String] = []
    for p in list {
        let l = normalizePhrase(p)
        if !l.isEmpty && !out.contains(l) { out.append(l) }
    }
    return out
}

/// Lowercases and collapses whitespace: the spoken form of a name.
func normalizePhrase(_ s: String) -> String {
    s.lowercased().split(whereSeparator: \.isWhitespace).joined(separator: " ")
}
