/// A slot number with at most one decimal digit (`30`, `21.5`, `-3`), stored exactly as tenths so range
/// and step checks never meet floating-point error. Its text is the canonical form: no trailing `.0`.
public struct SlotNumber: Sendable, Hashable, Comparable, CustomStringConvertible {
    public var tenths: Int

    public init(tenths: Int) { self.tenths = tenths }
    public init(_ integer: Int) { tenths = integer * 10 }

    /// Nil unless `value` has at most one decimal digit (within 1e-6).
    public init?(exactly value: Double) {
        guard value.isFinite, abs(value) < 1e15 else { return nil }
        let scaled = (value * 10).rounded()
        guard abs(scaled - value * 10) < 1e-6 else { return nil }
        tenths = Int(scaled)
    }

    /// Parses canonical text: `-?[0-9]+(\.[0-9])?` without leading zeros or a `.0` suffix.
    public init?(canonical text: String) {
        var digits = Substring(text)
        let negative = digits.first == "-"
        if negative { digits = digits.dropFirst() }
        let parts = digits.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count <= 2, let whole = parts.first, !whole.isEmpty, whole.count <= 15,
              whole.allSatisfy({ $0.isASCII && $0.isNumber }),
              whole == "0" || whole.first != "0" else { return nil }
        var t = Int(whole)! * 10
        if parts.count == 2 {
            let frac = parts[1]
            guard frac.count == 1, let d = frac.first, d.isASCII, d.isNumber, d != "0" else { return nil }
            t += Int(String(d))!
        }
        if negative && t == 0 { return nil }
        tenths = negative ? -t : t
    }

    public var isInteger: Bool { tenths % 10 == 0 }
    /// The integer value when `isInteger`.
    public var integer: Int? { isInteger ? tenths / 10 : nil }
    public var doubleValue: Double { Double(tenths) / 10 }

    /// Canonical text: `30`, `21.5`, `-0.5`.
    public var description: String {
        let sign = tenths < 0 ? "-" : ""
        let m = abs(tenths)
        return m % 10 == 0 ? "\(sign)\(m / 10)" : "\(sign)\(m / 10).\(m % 10)"
    }

    public static func < (a: SlotNumber, b: SlotNumber) -> Bool { a.tenths < b.tenths }
}

/// The value of one slot: an id (device, area, domain, colour, scene, enum value — lowercase
/// `[a-z0-9_.]`) or a number. Both print in the canonical action text form.
public enum SlotValue: Sendable, Hashable, CustomStringConvertible {
    case id(String)
    case number(SlotNumber)

    public static func int(_ v: Int) -> SlotValue { .number(SlotNumber(v)) }

    public var id: String? { if case let .id(s) = self { return s } else { return nil } }
    public var number: SlotNumber? { if case let .number(n) = self { return n } else { return nil } }

    public var description: String {
        switch self {
        case let .id(s): return s
        case let .number(n): return n.description
        }
    }
}

/// Slot values in a fixed order (the intent's declared slot order once canonicalised), with lookup by name.
/// Order matters: it is the order of the canonical text and of the `slots` object in action JSON.
public struct SlotValues: Sendable, Hashable, Sequence, ExpressibleByDictionaryLiteral, CustomStringConvertible {
    public private(set) var entries: [(name: String, value: SlotValue)]

    public init() { entries = [] }
    public init(_ entries: [(name: String, value: SlotValue)]) { self.entries = entries }
    public init(dictionaryLiteral elements: (String, SlotValue)...) {
        entries = elements.map { (name: $0.0, value: $0.1) }
    }

    public var count: Int { entries.count }
    public var isEmpty: Bool { entries.isEmpty }
    public var names: [String] { entries.map(\.name) }

    public subscript(name: String) -> SlotValue? {
        get { entries.first { $0.name == name }?.value }
        set {
            if let i = entries.firstIndex(where: { $0.name == name }) {
                if let newValue { entries[i].value = newValue } else { entries.remove(at: i) }
            } else if let newValue {
                entries.append((name: name, value: newValue))
            }
        }
    }

    public func makeIterator() -> IndexingIterator<[(name: String, value: SlotValue)]> { entries.makeIterator() }

    /// The same values reordered by `order`; names not in `order` keep their relative order at the end.
    public func ordered(by order: [String]) -> SlotValues {
        let rank = Dictionary(order.enumerated().map { ($1, $0) }, uniquingKeysWith: { a, _ in a })
        let sorted = entries.enumerated().sorted { a, b in
            let ra = rank[a.element.name] ?? Int.max, rb = rank[b.element.name] ?? Int.max
            return ra != rb ? ra < rb : a.offset < b.offset
        }
        return SlotValues(sorted.map(\.element))
    }

    public static func == (a: SlotValues, b: SlotValues) -> Bool {
        a.entries.count == b.entries.count && zip(a.entries, b.entries).allSatisfy { $0.name == $1.name && $0.value == $1.value }
    }

    public func hash(into hasher: inout Hasher) {
        for e in entries { hasher.combine(e.name); hasher.combine(e.value) }
    }

    public var description: String { entries.map { "\($0.name)=\($0.value)" }.joined(separator: " ") }
}
