/// A canonical action checked against the catalog and registry, with its target expanded to devices.
/// Only values of this type should reach device adapters.
public struct ResolvedAction: Sendable, Hashable {
    public var intent: String
    /// Slots in canonical order.
    public var slots: SlotValues
    /// Device ids reached, in registry order, without duplicates.
    public var devices: [String]
    /// The site (area id) the action was resolved for.
    public var site: String?
    /// True when a reached device's policy asks for confirmation of voice commands.
    public var needsConfirmation: Bool

    public var canonical: CanonicalAction { CanonicalAction(intent: intent, slots: slots) }

    /// The `Action` record for this resolution (DESIGN.md section 3). `site` defaults to the resolved site.
    public func action(id: String, text: String, confidence: Double, source: ActionSource, ms: StageTimings = StageTimings(), site: String? = nil) -> Action {
        Action(id: id, site: site ?? self.site ?? "", text: text, intent: intent, slots: slots, devices: devices,
               confidence: confidence, source: source, ms: ms)
    }
}

/// Why an action was rejected. Each case names the slot, value or device at fault.
public enum ResolutionError: Error, Sendable, Hashable, CustomStringConvertible {
    case syntax(CanonicalActionError)
    case unknownIntent(String, known: [String])
    case unknownSlot(intent: String, slot: String, declared: [String])
    case duplicateSlot(String)
    case missingSlot(intent: String, slot: String)
    case wrongValueKind(slot: String, value: String, expected: String)
    case notWhole(slot: String, value: String)
    case outOfRange(slot: String, value: String, min: String, max: String)
    case offStep(slot: String, value: String, step: String)
    case unknownValue(slot: String, value: String, kind: String, known: [String])
    case unknownDevice(String)
    case lacksCapability(device: String, capability: Capability, has: [Capability])
    case unknownArea(String, known: [String])
    case unknownDomain(String)
    case targetConflict(intent: String)
    case missingTarget(intent: String)
    case emptyTarget(String)
    case noSite(intent: String, site: String?)
    case nestedScene(String)

    public var description: String {
        switch self {
        case let .syntax(e): return e.description
        case let .unknownIntent(n, known): return "unknown intent '\(n)' (known: \(known.joined(separator: ", ")))"
        case let .unknownSlot(i, s, declared):
            return "intent '\(i)' has no slot '\(s)' (its slots: \(declared.isEmpty ? "none" : declared.joined(separator: ", ")))"
        case let .duplicateSlot(s): return "slot '\(s)' appears twice"
        case let .missingSlot(i, s): return "intent '\(i)' needs slot '\(s)'"
        case let .wrongValueKind(s, v, expected): return "slot '\(s)' expects \(expected), got '\(v)'"
        case let .notWhole(s, v): return "slot '\(s)' expects a whole number, got \(v)"
        case let .outOfRange(s, v, lo, hi): return "slot '\(s)' value \(v) is outside \(lo)...\(hi)"
        case let .offStep(s, v, step): return "slot '\(s)' value \(v) is not a multiple of \(step)"
        case let .unknownValue(s, v, kind, known):
            return "slot '\(s)': unknown \(kind) '\(v)' (known: \(known.isEmpty ? "none" : known.joined(separator: ", ")))"
        case let .unknownDevice(d): return "unknown device '\(d)'"
        case let .lacksCapability(d, c, has):
            return "device '\(d)' lacks capability '\(c.rawValue)' (it has: \(has.map(\.rawValue).joined(separator: ", ")))"
        case let .unknownArea(a, known): return "unknown area '\(a)' (known: \(known.joined(separator: ", ")))"
        case let .unknownDomain(d): return "unknown domain '\(d)' (known: \(Domain.names.joined(separator: ", ")))"
        case let .targetConflict(i): return "intent '\(i)': name a device, or an area with an optional domain, not both"
        case let .missingTarget(i): return "intent '\(i)' needs a target: a device, an area or a domain"
        case let .emptyTarget(what): return "no device matches: \(what)"
        case let .noSite(i, site):
            if let site { return "intent '\(i)' names no area and the site '\(site)' is not a known area" }
            return "intent '\(i)' names no area and no site is configured"
        case let .nestedScene(s): return "scene '\(s)' cannot activate another scene"
        }
    }
}

/// Turns a canonical action into a `ResolvedAction`: checks every slot against its type (ranges,
/// steps, known ids), checks device capabilities, and expands the target through the registry
/// (device → itself; area + optional domain → its devices with the capability; domain only or no
/// target → the site's area). This is the last safety net before devices: anything invalid throws.
///
/// Assumes the catalog and registry were loaded by their validating loaders.
public struct ActionResolver: Sendable {
    public let catalog: Catalog
    public let registry: Registry

    public init(catalog: Catalog, registry: Registry) {
        self.catalog = catalog
        self.registry = registry
    }

    /// Parses canonical text and resolves it.
    public func resolve(text: String, site: String? = nil) throws(ResolutionError) -> ResolvedAction {
        let action: CanonicalAction
        do { action = try CanonicalAction(parsing: text) } catch { throw .syntax(error) }
        return try resolve(action, site: site)
    }

    /// Resolves `action` for a command heard at `site` (an area id; nil: the registry's site).
    /// Slot order in `action` does not matter; the result is in canonical order.
    public func resolve(_ action: CanonicalAction, site: String? = nil) throws(ResolutionError) -> ResolvedAction {
        let site = site ?? registry.site
        guard let intent = catalog.intent(named: action.intent) else {
            throw .unknownIntent(action.intent, known: catalog.intentNames)
        }
        var seen = Set<String>()
        for (name, value) in action.slots {
            guard seen.insert(name).inserted else { throw .duplicateSlot(name) }
            guard let slot = intent.slot(named: name) else {
                throw .unknownSlot(intent: intent.name, slot: name, declared: intent.slotOrder)
            }
            try check(value, for: slot)
        }
        for slot in intent.slots where !slot.optional && !slot.isTarget && action.slots[slot.name] == nil {
            throw .missingSlot(intent: intent.name, slot: slot.name)
        }
        let slots = action.slots.ordered(by: intent.slotOrder)
        var devices: [Device] = []
        if let target = intent.target {
            devices = try expandTarget(target, slots, intent: intent.name, site: site)
        }
        for slot in intent.slots where !slot.isTarget {
            guard let value = slots[slot.name]?.id else { continue }
            if case .device = slot.type, let d = registry.device(id: value) { devices.append(d) }
            if case .scene = slot.type, let scene = registry.scene(id: value) {
                devices += try sceneDevices(scene, site: site)
            }
        }
        var ids: [String] = [], unique = Set<String>()
        for d in devices where unique.insert(d.id).inserted { ids.append(d.id) }
        let order = Dictionary(registry.devices.enumerated().map { ($1.id, $0) }, uniquingKeysWith: { a, _ in a })
        ids.sort { order[$0, default: 0] < order[$1, default: 0] }
        let confirm = ids.contains { registry.device(id: $0)?.policy.confirm == true }
        return ResolvedAction(intent: intent.name, slots: slots, devices: ids, site: site, needsConfirmation: confirm)
    }

    /// `action` as the parser would report it at `site`: slots in canonical order and, when it
    /// resolves, its target in its one spelling (`canonicalTarget`). For comparing expected actions
    /// with parsed ones.
    public func canonicalForm(_ action: CanonicalAction, site: String? = nil) -> CanonicalAction {
        guard let resolved = try? resolve(action, site: site) else { return catalog.canonicalize(action) }
        return canonicalTarget(resolved).canonical
    }

    /// The one spelling of `resolved`'s target among those that reach the same devices: an area that
    /// is the site's own is left out when the target may be omitted (no target means the site), and
    /// a domain is left out when every device in the home with the intent's capability is in it
    /// ("volume_down area=nursery domain=media" → "volume_down area=nursery"). The devices reached
    /// never change; a spelling the resolver would refuse is never produced.
    public func canonicalTarget(_ resolved: ResolvedAction) -> ResolvedAction {
        guard let intent = catalog.intent(named: resolved.intent), let target = intent.target,
              resolved.slots["device"] == nil else { return resolved }
        var out = resolved
        func tryDropping(_ slot: String) {
            var slots = out.slots
            slots[slot] = nil
            guard let r = try? resolve(CanonicalAction(intent: resolved.intent, slots: slots), site: resolved.site),
                  r.devices == resolved.devices else { return }
            out.slots = r.slots
        }
        if let area = out.slots["area"]?.id, area == resolved.site { tryDropping("area") }
        if let d = out.slots["domain"]?.id.flatMap(Domain.init(rawValue:)),
           registry.devices(with: target.capability).allSatisfy({ $0.domain == d }) {
            tryDropping("domain")
        }
        return out
    }

    private func sceneDevices(_ scene: Scene, site: String?) throws(ResolutionError) -> [Device] {
        var out: [Device] = []
        for a in scene.actions {
            if let intent = catalog.intent(named: a.intent), intent.slots.contains(where: { $0.type == .scene }) {
                throw .nestedScene(scene.id)
            }
            let r = try resolve(a, site: scene.area ?? site)
            out += r.devices.compactMap { registry.device(id: $0) }
        }
        return out
    }

    private func expandTarget(_ target: TargetSpec, _ slots: SlotValues, intent: String, site: String?) throws(ResolutionError) -> [Device] {
        let cap = target.capability
        let device = slots["device"]?.id, area = slots["area"]?.id
        let domain = slots["domain"]?.id.flatMap(Domain.init(rawValue:))
        if let device {
            guard area == nil, slots["domain"] == nil else { throw .targetConflict(intent: intent) }
            return [registry.device(id: device)!]  // existence and capability checked by `check`
        }
        let where_: String
        let areaID: String
        if let area {
            areaID = area
            where_ = "area '\(area)'"
        } else {
            guard domain != nil || target.optional else { throw .missingTarget(intent: intent) }
            guard let site, registry.area(id: site) != nil else { throw .noSite(intent: intent, site: site) }
            areaID = site
            where_ = "the site's area '\(site)'"
        }
        let found = registry.devices(with: cap, in: areaID, domain: domain)
        if found.isEmpty {
            let dom = domain.map { " in domain '\($0.rawValue)'" } ?? ""
            throw .emptyTarget("nothing\(dom) in \(where_) has capability '\(cap.rawValue)'")
        }
        return found
    }

    /// Checks one value against its slot type.
    func check(_ value: SlotValue, for slot: SlotDefinition) throws(ResolutionError) {
        let name = slot.name
        if let (lo, hi, step) = slot.type.numericRange {
            guard let n = value.number else { throw .wrongValueKind(slot: name, value: value.description, expected: "a number") }
            if step.tenths % 10 == 0, !n.isInteger { throw .notWhole(slot: name, value: n.description) }
            guard n >= lo, n <= hi else { throw .outOfRange(slot: name, value: n.description, min: lo.description, max: hi.description) }
            if (n.tenths - lo.tenths) % step.tenths != 0 { throw .offStep(slot: name, value: n.description, step: step.description) }
            return
        }
        guard let id = value.id else { throw .wrongValueKind(slot: name, value: value.description, expected: "an id") }
        switch slot.type {
        case let .device(capability):
            guard let d = registry.device(id: id) else { throw .unknownDevice(id) }
            guard d.has(capability) else { throw .lacksCapability(device: id, capability: capability, has: d.capabilities) }
        case .area:
            guard registry.area(id: id) != nil else { throw .unknownArea(id, known: registry.areas.map(\.id)) }
        case .domain:
            guard Domain(rawValue: id) != nil else { throw .unknownDomain(id) }
        case .color:
            guard catalog.color(id: id) != nil else { throw .unknownValue(slot: name, value: id, kind: "colour", known: catalog.colors.map(\.id)) }
        case .scene:
            guard registry.scene(id: id) != nil else { throw .unknownValue(slot: name, value: id, kind: "scene", known: registry.scenes.map(\.id)) }
        case let .enumeration(values):
            guard values.contains(where: { $0.id == id }) else { throw .unknownValue(slot: name, value: id, kind: "value", known: values.map(\.id)) }
        case .percent, .temperature, .colorTemp, .duration, .number:
            break  // handled above
        }
    }
}

/// Every target a command of one intent can name over a registry at a site, exactly as the resolver
/// accepts them: what the action grammar should admit after `<intent>` (device ids having the
/// capability, areas with such a device, area+domain pairs with such a device, domains with such a
/// device in the site's area, and no target at all when the target is optional and the site has one).
public struct TargetChoices: Sendable, Hashable {
    public var devices: [String]
    public var areas: [String]
    public var areaDomains: [AreaDomain]
    /// Domains that a domain-only command can name at this site.
    public var domains: [Domain]
    /// True when the intent's target is optional and the site's area has a device with the capability.
    public var allowsNone: Bool

    /// An area id with a domain.
    public struct AreaDomain: Sendable, Hashable {
        public var area: String
        public var domain: Domain
    }

    public init(target: TargetSpec, registry: Registry, site: String?) {
        let cap = target.capability
        devices = registry.devices(with: cap).map(\.id)
        areas = registry.areas.map(\.id).filter { !registry.devices(with: cap, in: $0).isEmpty }
        areaDomains = areas.flatMap { area in
            Domain.allCases.filter { !registry.devices(with: cap, in: area, domain: $0).isEmpty }.map { AreaDomain(area: area, domain: $0) }
        }
        if let site, registry.area(id: site) != nil {
            domains = Domain.allCases.filter { !registry.devices(with: cap, in: site, domain: $0).isEmpty }
            allowsNone = target.optional && !registry.devices(with: cap, in: site).isEmpty
        } else {
            domains = []
            allowsNone = false
        }
    }
}
