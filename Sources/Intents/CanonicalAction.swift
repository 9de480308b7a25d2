/// The compact action text the language model emits and the grammar constrains:
/// `<intent>` then ` <slot>=<value>` for each present slot, in the intent's declared slot order.
///
///     set_brightness device=bedroom.lamp brightness=30
///     turn_off area=kitchen domain=light
///     set_temperature temperature=21.5
///     none
///
/// Values are ids (`[a-z][a-z0-9_]*`, dotted for devices) or numbers (`-?[0-9]+(\.[0-9])?`, no `.0`).
/// A value's first character tells the two apart. Exactly one space separates fields; nothing else
/// is allowed. This type checks syntax only; `Catalog.decodeCanonical` checks intents, slot names,
/// kinds and order, and `ActionResolver` checks values against the registry.
public struct CanonicalAction: Sendable, Hashable, CustomStringConvertible {
    public var intent: String
    public var slots: SlotValues

    public init(intent: String, slots: SlotValues = SlotValues()) {
        self.intent = intent
        self.slots = slots
    }

    /// The canonical text of this action with its slots in their stored order.
    public var text: String {
        var s = intent
        for (name, value) in slots { s += " \(name)=\(value)" }
        return s
    }

    public var description: String { text }

    /// Parses canonical text. Leading and trailing whitespace (a model's final newline) is ignored;
    /// everything else must be exact.
    public init(parsing raw: String) throws(CanonicalActionError) {
        let text = Substring(raw).trimmingWhitespace()
        if text.isEmpty { throw .empty }
        if text.contains("  ") { throw .malformed(text: String(text), reason: "fields must be separated by exactly one space") }
        if text.contains(where: { $0.isWhitespace && $0 != " " }) {
            throw .malformed(text: String(text), reason: "only single spaces may separate fields (found a tab or newline)")
        }
        var fields = text.split(separator: " ")
        let intent = String(fields.removeFirst())
        guard Identifier.isSimple(intent) else {
            throw .invalidIntentName(intent)
        }
        var slots = SlotValues()
        for field in fields {
            guard let eq = field.firstIndex(of: "=") else { throw .missingEquals(field: String(field)) }
            let name = String(field[..<eq]), rawValue = String(field[field.index(after: eq)...])
            guard Identifier.isSimple(name) else { throw .invalidSlotName(name) }
            guard !rawValue.isEmpty else { throw .emptyValue(slot: name) }
            guard slots[name] == nil else { throw .duplicateSlot(name) }
            slots[name] = try Self.parseValue(rawValue, slot: name)
        }
        self.init(intent: intent, slots: slots)
    }

    static func parseValue(_ raw: String, slot: String) throws(CanonicalActionError) -> SlotValue {
        let first = raw.unicodeScalars.first!
        if first == "-" || ("0"..."9").contains(first) {
            guard let n = SlotNumber(canonical: raw) else { throw .invalidValue(slot: slot, value: raw, reason: "numbers are written -?[0-9]+ with at most one decimal digit and no trailing .0 or leading zeros") }
            return .number(n)
        }
        guard Identifier.isDotted(raw) else {
            throw .invalidValue(slot: slot, value: raw, reason: "ids are lowercase [a-z][a-z0-9_.]*")
        }
        return .id(raw)
    }
}

/// Why a canonical action text was rejected; `description` names the offending part.
public enum CanonicalActionError: Error, Sendable, Hashable, CustomStringConvertible {
    case empty
    case malformed(text: String, reason: String)
    case invalidIntentName(String)
    case missingEquals(field: String)
    case invalidSlotName(String)
    case emptyValue(slot: String)
    case duplicateSlot(String)
    case invalidValue(slot: String, value: String, reason: String)
    case unknownIntent(String, known: [String])
    case unknownSlot(intent: String, slot: String, declared: [String])
    case wrongValueKind(slot: String, value: String, expected: String)
    case outOfOrder(slot: String, mustPrecede: String)

    public var description: String {
        switch self {
        case .empty: return "empty action text"
        case let .malformed(text, reason): return "malformed action '\(text)': \(reason)"
        case let .invalidIntentName(n): return "invalid intent name '\(n)' (expected lowercase [a-z][a-z0-9_]*)"
        case let .missingEquals(f): return "field '\(f)' is not slot=value"
        case let .invalidSlotName(n): return "invalid slot name '\(n)' (expected lowercase [a-z][a-z0-9_]*)"
        case let .emptyValue(s): return "slot '\(s)' has an empty value"
        case let .duplicateSlot(s): return "slot '\(s)' appears twice"
        case let .invalidValue(s, v, reason): return "slot '\(s)' has invalid value '\(v)': \(reason)"
        case let .unknownIntent(n, known): return "unknown intent '\(n)' (known: \(known.joined(separator: ", ")))"
        case let .unknownSlot(i, s, declared):
            return "intent '\(i)' has no slot '\(s)' (its slots: \(declared.isEmpty ? "none" : declared.joined(separator: ", ")))"
        case let .wrongValueKind(s, v, expected): return "slot '\(s)' expects \(expected), got '\(v)'"
        case let .outOfOrder(s, after): return "slot '\(s)' must come before '\(after)' (canonical order is the intent's declared slot order)"
        }
    }
}

extension Substring {
    func trimmingWhitespace() -> Substring {
        var s = self
        while let f = s.first, f.isWhitespace { s = s.dropFirst() }
        while let l = s.last, l.isWhitespace { s = s.dropLast() }
        return s
    }
}
