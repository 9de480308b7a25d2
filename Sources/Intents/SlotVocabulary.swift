/// One value a slot can take and the phrases that say it (lowercase, single-spaced).
public struct SlotPhrases: Sendable, Hashable {
    public var value: SlotValue
    public var phrases: [String]
    public init(value: SlotValue, phrases: [String]) { self.value = value; self.phrases = phrases }
}

/// The spoken vocabulary of every slot type, from the catalog (domains, colours, colour temperatures,
/// enum values), the registry (devices, areas, scenes) and `NumberWords` (numbers as digits and words).
/// Shared by the template expander, the speech grammar and training data, so they say values alike.
public struct SlotVocabulary: Sendable {
    public let catalog: Catalog
    public let registry: Registry

    public init(catalog: Catalog, registry: Registry) {
        self.catalog = catalog
        self.registry = registry
    }

    /// Durations (seconds) offered as expansions: round values people say.
    public static let commonDurations = [5, 10, 15, 20, 30, 45, 60, 90, 120, 180, 300, 600, 900, 1200, 1800, 2700,
                                         3600, 5400, 7200, 10800, 14400, 21600, 28800, 43200, 86400]

    /// Every value of the slot type with its phrases. Device slots list only devices with the
    /// capability; numeric types list every value in range on the step (colour temperature: the
    /// named tones plus every 100 K; duration: `commonDurations` in range).
    public func values(for type: SlotType) -> [SlotPhrases] {
        switch type {
        case let .device(capability):
            return registry.devices(with: capability).map { SlotPhrases(value: .id($0.id), phrases: $0.phrases) }
        case .area:
            return registry.areas.map { SlotPhrases(value: .id($0.id), phrases: $0.phrases) }
        case .domain:
            return Domain.allCases.compactMap { d in
                let p = uniquePhrases(catalog.domainPhrases[d] ?? [])
                return p.isEmpty ? nil : SlotPhrases(value: .id(d.rawValue), phrases: p)
            }
        case .scene:
            return registry.scenes.map { SlotPhrases(value: .id($0.id), phrases: $0.phrases) }
        case .color:
            return catalog.colors.map { SlotPhrases(value: .id($0.id), phrases: uniquePhrases($0.phrases)) }
        case let .enumeration(values):
            return values.map { SlotPhrases(value: .id($0.id), phrases: uniquePhrases($0.phrases)) }
        case let .percent(lo, hi):
            return (lo...hi).map { n in SlotPhrases(value: .int(n), phrases: NumberWords.spokenForms(SlotNumber(n))) }
        case let .temperature(lo, hi, step), let .number(lo, hi, step):
            return stride(from: lo.tenths, through: hi.tenths, by: step.tenths).map { t in
                let n = SlotNumber(tenths: t)
                return SlotPhrases(value: .number(n), phrases: NumberWords.spokenForms(n))
            }
        case let .colorTemp(lo, hi):
            var byKelvin: [Int: [String]] = [:]
            for named in catalog.colorTemperatures where (lo...hi).contains(named.kelvin) {
                byKelvin[named.kelvin, default: []] += named.phrases
            }
            let firstHundred = (lo + 99) / 100 * 100
            for k in stride(from: firstHundred, through: hi, by: 100) { byKelvin[k, default: []].append("\(k) kelvin") }
            return byKelvin.keys.sorted().map { SlotPhrases(value: .int($0), phrases: uniquePhrases(byKelvin[$0]!)) }
        case let .duration(lo, hi):
            return Self.commonDurations.filter { (lo...hi).contains($0) }.map { SlotPhrases(value: .int($0), phrases: Self.durationPhrases($0)) }
        }
    }

    /// "90 seconds" / "ninety seconds", "5 minutes" / "five minutes", "an hour", "half an hour".
    public static func durationPhrases(_ seconds: Int) -> [String] {
        func forms(_ n: Int, _ unit: String) -> [String] {
            if n == 1 { return [unit == "hour" ? "an hour" : "a \(unit)", "one \(unit)", "1 \(unit)"] }
            return ["\(n) \(unit)s"] + (NumberWords.words(n).map { ["\($0) \(unit)s"] } ?? [])
        }
        if seconds % 3600 == 0 { return forms(seconds / 3600, "hour") }
        if seconds % 60 == 0 { return forms(seconds / 60, "minute") + (seconds == 1800 ? ["half an hour"] : []) }
        return forms(seconds, "second")
    }
}
