/// The type of a slot: what values it admits and where their spoken forms come from.
public enum SlotType: Sendable, Hashable {
    /// A device id from the registry; the device must have `capability`.
    case device(capability: Capability)
    /// An area id from the registry.
    case area
    /// One of the `Domain` names; spoken forms come from the catalog's `domains:` lists.
    case domain
    /// An integer percentage within `min...max` (a sub-range of 0...100).
    case percent(min: Int, max: Int)
    /// Degrees Celsius within `min...max`, on multiples of `step` (0.5 or 1).
    case temperature(min: SlotNumber, max: SlotNumber, step: SlotNumber)
    /// A colour id from the catalog's `colors:` list.
    case color
    /// Kelvin within `min...max`; named temperatures (`warm`, `cool`…) from the catalog map to kelvin.
    case colorTemp(min: Int, max: Int)
    /// A scene id from the registry.
    case scene
    /// Whole seconds within `min...max`.
    case duration(min: Int, max: Int)
    /// One of the listed values (ids), each with its spoken phrases.
    case enumeration([EnumValue])
    /// A number within `min...max` on multiples of `step` (one decimal digit at most).
    case number(min: SlotNumber, max: SlotNumber, step: SlotNumber)

    /// The YAML spelling of the type.
    public var name: String {
        switch self {
        case .device: return "device"
        case .area: return "area"
        case .domain: return "domain"
        case .percent: return "percent"
        case .temperature: return "temperature"
        case .color: return "color"
        case .colorTemp: return "color_temp"
        case .scene: return "scene"
        case .duration: return "duration"
        case .enumeration: return "enum"
        case .number: return "number"
        }
    }

    static let names = ["device", "area", "domain", "percent", "temperature", "color", "color_temp", "scene", "duration", "enum", "number"]

    /// True for types whose canonical values are numbers (the rest are ids).
    public var isNumeric: Bool {
        switch self {
        case .percent, .temperature, .colorTemp, .duration, .number: return true
        default: return false
        }
    }

    /// Inclusive numeric range and step, for numeric types.
    public var numericRange: (min: SlotNumber, max: SlotNumber, step: SlotNumber)? {
        switch self {
        case let .percent(lo, hi), let .colorTemp(lo, hi), let .duration(lo, hi): return (SlotNumber(lo), SlotNumber(hi), SlotNumber(1))
        case let .temperature(lo, hi, step), let .number(lo, hi, step): return (lo, hi, step)
        default: return nil
        }
    }
}

/// One value of an `enum` slot and the phrases that say it.
public struct EnumValue: Sendable, Hashable {
    public var id: String
    public var phrases: [String]
    public init(id: String, phrases: [String]) { self.id = id; self.phrases = phrases }
}

/// A slot of an intent: its name (the key in canonical text and action JSON), its type and whether
/// a command may leave it out. Target slots (`device`, `area`, `domain`) come from the intent's
/// `target:` declaration and follow the target rule instead of `optional`.
public struct SlotDefinition: Sendable, Hashable {
    public var name: String
    public var type: SlotType
    public var optional: Bool
    /// True for the `device`/`area`/`domain` slots implied by `target:`.
    public var isTarget: Bool
    public var location: SourceLocation

    public init(name: String, type: SlotType, optional: Bool = false, isTarget: Bool = false, location: SourceLocation) {
        self.name = name
        self.type = type
        self.optional = optional
        self.isTarget = isTarget
        self.location = location
    }
}

/// What an acting intent operates on, declared once per intent (`target: {capability: brightness}`).
///
/// A command names EITHER a `device` (which must have `capability`), OR an `area` with an optional
/// `domain` (all devices there with the capability), OR only a `domain` (the site's own area). With
/// `optional: true` it may name nothing: all devices in the site's area with the capability
/// ("set the temperature to 21").
public struct TargetSpec: Sendable, Hashable {
    public var capability: Capability
    public var optional: Bool
    public init(capability: Capability, optional: Bool = false) {
        self.capability = capability
        self.optional = optional
    }

    /// The slot names a target adds to its intent, in canonical order.
    public static let slotNames = ["device", "area", "domain"]
}

/// A reply template for state queries: text with `{name}` placeholders. Slot names are filled with
/// the spoken names of the slot values (`{target}` with the target's spoken name); any other
/// placeholder is a device state field the daemon supplies (`{state}`, `{temperature}`, ...).
public struct ResponseTemplate: Sendable, Hashable {
    public var source: String
    public var placeholders: [String]

    /// Fills the placeholders; unknown ones are left as written.
    public func render(_ values: [String: String]) -> String { Self.fill(source, values) }

    /// `{name}` placeholders of `source` replaced by `values`; unknown ones are left as written.
    public static func fill(_ source: String, _ values: [String: String]) -> String {
        var out = ""
        var name: String?
        for c in source {
            if var n = name {
                if c == "}" {
                    out += values[n] ?? "{\(n)}"
                    name = nil
                } else {
                    n.append(c)
                    name = n
                }
            } else if c == "{" {
                name = ""
            } else {
                out.append(c)
            }
        }
        return out
    }
}

/// One intent of the catalog: a name (used in canonical text, action JSON and Hermes topics), a
/// description, typed slots, sentence templates and, for queries, a response template.
public struct Intent: Sendable, Hashable {
    public var name: String
    public var description: String
    public var target: TargetSpec?
    /// Target slots first (`device`, `area`, `domain`), then the declared slots in file order.
    /// This is the canonical slot order.
    public var slots: [SlotDefinition]
    public var templates: [Template]
    public var response: ResponseTemplate?
    /// Words only a request for this intent's capability says ("dim", "louder", "degrees"): a
    /// command saying one is not turned into an action of another capability (`CapabilityWords`).
    public var keywords: [String] = []
    public var location: SourceLocation

    public init(name: String, description: String, target: TargetSpec?, slots: [SlotDefinition], templates: [Template],
                response: ResponseTemplate? = nil, location: SourceLocation) {
        self.name = name
        self.description = description
        self.target = target
        self.slots = slots
        self.templates = templates
        self.response = response
        self.location = location
    }

    /// Slot names in canonical order.
    public var slotOrder: [String] { slots.map(\.name) }

    public func slot(named name: String) -> SlotDefinition? { slots.first { $0.name == name } }
}

/// A named colour with its RGB value (`#RRGGBB`, what adapters send) and spoken phrases.
public struct NamedColor: Sendable, Hashable {
    public var id: String
    public var hex: String
    public var phrases: [String]
    public init(id: String, hex: String, phrases: [String]) { self.id = id; self.hex = hex; self.phrases = phrases }
}

/// A named white tone ("warm white") and the colour temperature in kelvin it stands for.
public struct NamedColorTemperature: Sendable, Hashable {
    public var id: String
    public var kelvin: Int
    public var phrases: [String]
    public init(id: String, kelvin: Int, phrases: [String]) { self.id = id; self.kelvin = kelvin; self.phrases = phrases }
}

/// The intent catalog: every intent Hark understands, the shared template rules, and the word lists
/// for domains, colours and colour temperatures. Built from the default catalog shipped with the
/// module plus any user catalog directories; immutable once loaded.
public struct Catalog: Sendable, Hashable {
    /// The "not a command" intent; it has no slots and never reaches a device.
    public static let noneIntent = "none"

    public var intents: [Intent]
    /// Named templates referenced as `<name>`, as written (rules may reference other rules).
    public var rules: [String: Template]
    /// Spoken words for each domain ("lights", "lamps" → `light`).
    public var domainPhrases: [Domain: [String]]
    public var colors: [NamedColor]
    public var colorTemperatures: [NamedColorTemperature]

    public init(intents: [Intent], rules: [String: Template] = [:], domainPhrases: [Domain: [String]] = [:],
                colors: [NamedColor] = [], colorTemperatures: [NamedColorTemperature] = []) {
        self.intents = intents
        self.rules = rules
        self.domainPhrases = domainPhrases
        self.colors = colors
        self.colorTemperatures = colorTemperatures
    }

    public func intent(named name: String) -> Intent? { intents.first { $0.name == name } }
    public var intentNames: [String] { intents.map(\.name) }
    public func color(id: String) -> NamedColor? { colors.first { $0.id == id } }

    /// Reorders an action's slots into its intent's canonical order (unknown intents are returned as is).
    public func canonicalize(_ action: CanonicalAction) -> CanonicalAction {
        guard let intent = intent(named: action.intent) else { return action }
        return CanonicalAction(intent: action.intent, slots: action.slots.ordered(by: intent.slotOrder))
    }

    /// Parses canonical text and checks it against the catalog: the intent exists, every slot is one
    /// of its slots, values have the right kind (id or number), and slots are in canonical order.
    /// Values are checked against ranges and the registry by `ActionResolver`.
    public func decodeCanonical(_ text: String) throws(CanonicalActionError) -> CanonicalAction {
        let action = try CanonicalAction(parsing: text)
        guard let intent = intent(named: action.intent) else {
            throw .unknownIntent(action.intent, known: intentNames)
        }
        var lastRank = -1
        var lastName = ""
        for (name, value) in action.slots {
            guard let rank = intent.slots.firstIndex(where: { $0.name == name }) else {
                throw .unknownSlot(intent: intent.name, slot: name, declared: intent.slotOrder)
            }
            let type = intent.slots[rank].type
            if type.isNumeric != (value.number != nil) {
                throw .wrongValueKind(slot: name, value: value.description, expected: type.isNumeric ? "a number" : "an id")
            }
            if rank < lastRank { throw .outOfOrder(slot: name, mustPrecede: lastName) }
            lastRank = rank
            lastName = name
        }
        return action
    }
}
