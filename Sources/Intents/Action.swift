/// Where a command came from. Device policies (confirmation) apply to `speech` only.
public enum ActionSource: String, Sendable, Hashable, Codable, CaseIterable {
    case speech, text, hermes
}

/// Milliseconds spent per pipeline stage (`asr`, `parse`, ...), in the order they were recorded.
public struct StageTimings: Sendable, Hashable, Codable, ExpressibleByDictionaryLiteral {
    public private(set) var entries: [(stage: String, ms: Int)]

    public init() { entries = [] }
    public init(dictionaryLiteral elements: (String, Int)...) { entries = elements.map { (stage: $0.0, ms: $0.1) } }

    public subscript(stage: String) -> Int? {
        get { entries.first { $0.stage == stage }?.ms }
        set {
            if let i = entries.firstIndex(where: { $0.stage == stage }) {
                if let newValue { entries[i].ms = newValue } else { entries.remove(at: i) }
            } else if let newValue {
                entries.append((stage: stage, ms: newValue))
            }
        }
    }

    public static func == (a: StageTimings, b: StageTimings) -> Bool {
        a.entries.count == b.entries.count && zip(a.entries, b.entries).allSatisfy { $0.stage == $1.stage && $0.ms == $1.ms }
    }

    public func hash(into hasher: inout Hasher) { for e in entries { hasher.combine(e.stage); hasher.combine(e.ms) } }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: DynamicKey.self)
        for e in entries { try c.encode(e.ms, forKey: DynamicKey(e.stage)) }
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: DynamicKey.self)
        entries = try c.allKeys.sorted { $0.stringValue < $1.stringValue }.map { (stage: $0.stringValue, ms: try c.decode(Int.self, forKey: $0)) }
    }
}

/// What the parser produces and `hark/<site>/action` carries (DESIGN.md section 3):
///
///     {"id":"7f3c…","site":"kitchen","text":"dim the bedroom lamp to thirty percent",
///      "intent":"set_brightness","slots":{"device":"bedroom.lamp","brightness":30},
///      "devices":["bedroom.lamp"],"confidence":0.97,"source":"speech","ms":{"asr":41,"parse":23}}
///
/// Build one from a `ResolvedAction` so that `slots` and `devices` are validated. `jsonLine` renders
/// exactly that layout (keys in that order, slots in canonical order); `Codable` reads and writes the
/// same fields (a decoder's key order is not preserved, so decoded slots are in key order).
public struct Action: Sendable, Hashable, Codable {
    public var id: String
    /// The area id of the site the command came from.
    public var site: String
    /// The command text as received or recognised.
    public var text: String
    public var intent: String
    public var slots: SlotValues
    /// The device ids the action reaches, expanded from the target through the registry.
    public var devices: [String]
    /// 0...1, from the parser.
    public var confidence: Double
    public var source: ActionSource
    public var ms: StageTimings

    public init(id: String, site: String, text: String, intent: String, slots: SlotValues, devices: [String],
                confidence: Double, source: ActionSource, ms: StageTimings = StageTimings()) {
        self.id = id
        self.site = site
        self.text = text
        self.intent = intent
        self.slots = slots
        self.devices = devices
        self.confidence = confidence
        self.source = source
        self.ms = ms
    }

    /// The action's compact canonical form (`set_brightness device=bedroom.lamp brightness=30`).
    public var canonical: CanonicalAction { CanonicalAction(intent: intent, slots: slots) }

    /// One line of JSON in DESIGN.md's key order, without spaces.
    public var jsonLine: String {
        var s = "{\"id\":\(jsonString(id)),\"site\":\(jsonString(site)),\"text\":\(jsonString(text)),\"intent\":\(jsonString(intent)),\"slots\":{"
        s += slots.map { "\(jsonString($0.name)):\($0.value.jsonFragment)" }.joined(separator: ",")
        s += "},\"devices\":[" + devices.map(jsonString).joined(separator: ",") + "]"
        s += ",\"confidence\":\(confidence.isFinite ? "\(confidence)" : "0")"
        s += ",\"source\":\(jsonString(source.rawValue)),\"ms\":{"
        s += ms.entries.map { "\(jsonString($0.stage)):\($0.ms)" }.joined(separator: ",") + "}}"
        return s
    }
}

extension SlotValue: Codable {
    /// JSON form: ids as strings, numbers as JSON numbers (`30`, `21.5`).
    var jsonFragment: String {
        switch self {
        case let .id(s): return jsonString(s)
        case let .number(n): return n.description
        }
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.singleValueContainer()
        switch self {
        case let .id(s): try c.encode(s)
        case let .number(n): if let i = n.integer { try c.encode(i) } else { try c.encode(n.doubleValue) }
        }
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.singleValueContainer()
        if let s = try? c.decode(String.self) { self = .id(s); return }
        let d = try c.decode(Double.self)
        guard let n = SlotNumber(exactly: d) else {
            throw DecodingError.dataCorruptedError(in: c, debugDescription: "slot numbers have at most one decimal digit, got \(d)")
        }
        self = .number(n)
    }
}

extension SlotValues: Codable {
    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: DynamicKey.self)
        for (name, value) in self { try c.encode(value, forKey: DynamicKey(name)) }
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: DynamicKey.self)
        var values = SlotValues()
        for key in c.allKeys.sorted(by: { $0.stringValue < $1.stringValue }) { values[key.stringValue] = try c.decode(SlotValue.self, forKey: key) }
        self = values
    }
}

struct DynamicKey: CodingKey {
    var stringValue: String
    init(_ s: String) { stringValue = s }
    init?(stringValue: String) { self.stringValue = stringValue }
    var intValue: Int? { nil }
    init?(intValue: Int) { nil }
}

/// A JSON string literal for `s` (RFC 8259 escaping; non-ASCII passes through as UTF-8).
public func jsonString(_ s: String) -> String {
    var out = "\""
    for u in s.unicodeScalars {
        switch u {
        case "\"": out += "\\\""
        case "\\": out += "\\\\"
        case "\n": out += "\\n"
        case "\r": out += "\\r"
        case "\t": out += "\\t"
        case "\u{08}": out += "\\b"
        case "\u{0C}": out += "\\f"
        default:
            if u.value < 0x20 {
                let hex = String(u.value, radix: 16)
                out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            } else {
                out.unicodeScalars.append(u)
            }
        }
    }
    return out + "\""
}
