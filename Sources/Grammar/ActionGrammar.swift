import Intents

/// The grammar of every valid canonical action (`Intents.CanonicalAction`) for one catalog,
/// registry and site: intents, then for acting intents a target the resolver accepts (devices
/// with the needed capability, areas, area + domain, domain of the site's area, or none when
/// the target is optional), then each slot's values in range, in canonical slot order.
/// Anything this grammar produces resolves; `ActionResolver` still checks it before a device
/// is touched.
public enum ActionGrammar {
    /// `only`, when given, keeps those intents and `none` (the queries, for a question);
    /// `withNone: false` leaves `none` out.
    public static func expression(catalog: Catalog, registry: Registry, site: String?, only: Set<String>? = nil,
                                  withNone: Bool = true) -> GrammarExpression {
        var intents: [GrammarExpression] = []
        for intent in catalog.intents where only.map({ $0.contains(intent.name) || intent.name == Catalog.noneIntent }) ?? true {
            if intent.name == Catalog.noneIntent, !withNone { continue }
            if intent.name == Catalog.noneIntent {
                intents.append(.literal(Catalog.noneIntent))
                continue
            }
            var parts: [GrammarExpression] = [.literal(intent.name)]
            if let target = intent.target {
                let choices = TargetChoices(target: target, registry: registry, site: site)
                var options: [GrammarExpression] = []
                if !choices.devices.isEmpty { options.append(.sequence([.literal(" device="), .oneOf(choices.devices)])) }
                for area in choices.areas {
                    let domains = choices.areaDomains.filter { $0.area == area }.map(\.domain.rawValue)
                    var areaParts: [GrammarExpression] = [.literal(" area=" + area)]
                    if !domains.isEmpty { areaParts.append(.optional(.sequence([.literal(" domain="), .oneOf(domains)]))) }
                    options.append(.sequence(areaParts))
                }
                // Area-and-domain pairs whose area cannot be named alone.
                let lone = choices.areaDomains.filter { !choices.areas.contains($0.area) }
                for pair in lone { options.append(.literal(" area=\(pair.area) domain=\(pair.domain.rawValue)")) }
                if !choices.domains.isEmpty { options.append(.sequence([.literal(" domain="), .oneOf(choices.domains.map(\.rawValue))])) }
                if choices.allowsNone { options.append(.empty) }
                // No valid target at all: the intent cannot be expressed on this registry.
                if options.isEmpty { continue }
                parts.append(.choice(options))
            }
            guard let fields = slotFields(of: intent, catalog: catalog, registry: registry) else { continue }
            intents.append(.sequence(parts + fields))
        }
        return .choice(intents)
    }

    /// The actions on one device (each intent whose capability it has, with `device=<id>` and the
    /// intent's other slots), or `none`: for deciding what a command that names the device asks.
    /// `only`, when given, keeps those intents and leaves `none` out (the queries, for a question
    /// about the device).
    public static func deviceExpression(catalog: Catalog, registry: Registry, device: Device, only: Set<String>? = nil) -> GrammarExpression {
        var intents: [GrammarExpression] = only == nil ? [.literal(Catalog.noneIntent)] : []
        for intent in catalog.intents where only?.contains(intent.name) ?? true {
            guard let target = intent.target, device.has(target.capability) else { continue }
            guard let fields = slotFields(of: intent, catalog: catalog, registry: registry) else { continue }
            intents.append(.sequence([.literal("\(intent.name) device=\(device.id)")] + fields))
        }
        return .choice(intents)
    }

    /// ` slot=value` for each of the intent's other slots in canonical order (optional ones
    /// optional), or nil when a required slot has no value on this registry.
    static func slotFields(of intent: Intent, catalog: Catalog, registry: Registry) -> [GrammarExpression]? {
        var fields: [GrammarExpression] = []
        for slot in intent.slots where !slot.isTarget {
            guard let values = values(of: slot.type, catalog: catalog, registry: registry), !values.isEmpty else {
                if slot.optional { continue }
                return nil
            }
            let field = GrammarExpression.sequence([.literal(" \(slot.name)="), .oneOf(values)])
            fields.append(slot.optional ? .optional(field) : field)
        }
        return fields
    }

    /// Canonical spellings of every value of a non-target slot type.
    static func values(of type: SlotType, catalog: Catalog, registry: Registry) -> [String]? {
        switch type {
        case .color: return catalog.colors.map(\.id)
        case .scene: return registry.scenes.map(\.id)
        case .enumeration(let values): return values.map(\.id)
        case .device, .area, .domain: return nil
        default:
            guard let range = type.numericRange, range.step.tenths > 0 else { return nil }
            return stride(from: range.min.tenths, through: range.max.tenths, by: range.step.tenths).map {
                SlotNumber(tenths: $0).description
            }
        }
    }

    /// One way an action can begin: an intent and its target (or scene), as the grammar spells it.
    public struct TargetOption: Sendable, Equatable {
        public enum Target: Sendable, Equatable {
            case device(String), area(String), areaDomain(String, Domain), domain(Domain), scene(String)
            /// The intent without a target (the site's area).
            case none
        }
        /// Canonical text up to the end of the target: `turn_on device=kitchen.lamp`.
        public var text: String
        public var target: Target
    }

    /// Every intent + target prefix that `expression` admits (for `MentionEvidence`), and for
    /// intents without a target, each value of a scene slot.
    public static func targetOptions(catalog: Catalog, registry: Registry, site: String?) -> [TargetOption] {
        var options: [TargetOption] = []
        for intent in catalog.intents where intent.name != Catalog.noneIntent {
            guard let target = intent.target else {
                if let slot = intent.slots.first(where: { $0.type == .scene }) {
                    for scene in registry.scenes {
                        options.append(TargetOption(text: "\(intent.name) \(slot.name)=\(scene.id)", target: .scene(scene.id)))
                    }
                }
                continue
            }
            let choices = TargetChoices(target: target, registry: registry, site: site)
            for id in choices.devices { options.append(TargetOption(text: "\(intent.name) device=\(id)", target: .device(id))) }
            for area in choices.areas { options.append(TargetOption(text: "\(intent.name) area=\(area)", target: .area(area))) }
            for pair in choices.areaDomains {
                options.append(TargetOption(text: "\(intent.name) area=\(pair.area) domain=\(pair.domain.rawValue)", target: .areaDomain(pair.area, pair.domain)))
            }
            for domain in choices.domains { options.append(TargetOption(text: "\(intent.name) domain=\(domain.rawValue)", target: .domain(domain))) }
            if choices.allowsNone { options.append(TargetOption(text: intent.name, target: .none)) }
        }
        return options
    }
}
