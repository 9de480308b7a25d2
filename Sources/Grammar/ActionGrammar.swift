import Intents

/// The grammar of every valid canonical action (`Intents.CanonicalAction`) for one catalog,
/// registry and site: intents, then for acting intents a target the resolver accepts (devices
/// with the needed capability, areas, area + domain, domain of the site's area, or none when
/// the target is optional), then each slot's values in range, in canonical slot order.
/// Anything this grammar produces resolves; `ActionResolver` still checks it before a device
/// is touched.
public enum ActionGrammar {
    public static func expression(catalog: Catalog, registry: Registry, site: String?) -> GrammarExpression {
        var intents: [GrammarExpression] = []
        for intent in catalog.intents {
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
            var expressible = true
            for slot in intent.slots where !slot.isTarget {
                guard let values = values(of: slot.type, catalog: catalog, registry: registry), !values.isEmpty else {
                    if slot.optional { continue }
                    expressible = false
                    break
                }
                let field = GrammarExpression.sequence([.literal(" \(slot.name)="), .oneOf(values)])
                parts.append(slot.optional ? .optional(field) : field)
            }
            if expressible { intents.append(.sequence(parts)) }
        }
        return .choice(intents)
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
}
