/// One sentence produced from a template, paired with the canonical action it means.
public struct Expansion: Sendable, Hashable {
    public var intent: String
    /// Lowercase text with single spaces, as a user or ASR would produce it.
    public var text: String
    /// The meaning, slots in canonical order.
    public var action: CanonicalAction
    /// The site the sentence is meant to be said at (domain-only targets depend on it).
    public var site: String?
    /// Index of the template in its intent.
    public var templateIndex: Int
}

/// A small deterministic random number generator (SplitMix64), so sampled training data and tests
/// are reproducible from a seed.
public struct SeededGenerator: RandomNumberGenerator, Sendable {
    private var state: UInt64
    public init(seed: UInt64) { state = seed }
    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// Expands catalog templates into sentences with their canonical actions, over a registry and a site.
/// One implementation for the speech grammar, the training data and the tests.
///
/// Slots are filled from `SlotVocabulary`. Targets are filled jointly so every expansion resolves:
/// `{device}` only with devices having the intent's capability, `{area} {domain}` only with pairs that
/// have such a device, `{domain}` alone (and no target) only when the site's area has one. So the
/// counts are exact counts of (sentence, action) pairs, and every expansion passes `ActionResolver`.
/// Assumes a catalog and registry from the validating loaders (every slot reference declared, one
/// slot per sentence). Building one precomputes every template path; reuse it.
public struct TemplateExpander: Sendable {
    public let catalog: Catalog
    public let registry: Registry
    /// The area domain-only and target-less expansions act in.
    public let site: String?
    public let vocabulary: SlotVocabulary
    private let tables: [String: IntentTables]

    public init(catalog: Catalog, registry: Registry, site: String? = nil) {
        self.catalog = catalog
        self.registry = registry
        self.site = site ?? registry.site
        vocabulary = SlotVocabulary(catalog: catalog, registry: registry)
        var tables: [String: IntentTables] = [:]
        for intent in catalog.intents { tables[intent.name] = IntentTables(intent, vocabulary, site: self.site) }
        self.tables = tables
    }

    // MARK: - Counting

    /// Number of (sentence, action) expansions of one template of `intent`.
    public func count(_ intent: Intent, templateAt index: Int) -> Int {
        guard let t = tables[intent.name] else { return 0 }
        return t.templates[index].reduce(0) { saturatingAdd($0, t.weight($1.mask)) }
    }

    /// Number of expansions of all templates of `intent`.
    public func count(_ intent: Intent) -> Int {
        intent.templates.indices.reduce(0) { saturatingAdd($0, count(intent, templateAt: $1)) }
    }

    /// Number of expansions of a template tree for `intent` (a tree not in the catalog, e.g. in tests or tools).
    public func count(_ node: TemplateNode, for intent: Intent) -> Int {
        guard let t = tables[intent.name] else { return 0 }
        return TemplateShapes(node, slotIndex: t.slotIndex).counts.reduce(0) { saturatingAdd($0, saturatingMultiply($1.value, t.weight($1.key))) }
    }

    // MARK: - Enumeration

    /// Calls `body` with every expansion of `intent` in a fixed order (templates, paths, values,
    /// phrases) until it returns false.
    public func forEachExpansion(of intent: Intent, _ body: (Expansion) -> Bool) {
        guard let t = tables[intent.name] else { return }
        for (ti, paths) in t.templates.enumerated() {
            for path in paths {
                let choices = t.choices(for: path.mask)
                var index = [Int](repeating: 0, count: choices.count)
                if choices.contains(where: \.isEmpty) { continue }
                while true {
                    let picks = zip(choices, index).map { $0[$1] }
                    if !body(t.expansion(path, picks, templateIndex: ti, site: site)) { return }
                    var k = choices.count - 1
                    while k >= 0 {
                        index[k] += 1
                        if index[k] < choices[k].count { break }
                        index[k] = 0
                        k -= 1
                    }
                    if k < 0 { break }
                }
            }
        }
    }

    /// The first `limit` expansions of `intent`.
    public func expansions(of intent: Intent, limit: Int = Int.max) -> [Expansion] {
        var out: [Expansion] = []
        if limit <= 0 { return out }
        forEachExpansion(of: intent) { out.append($0); return out.count < limit }
        return out
    }

    // MARK: - Sampling

    /// A random expansion of `intent`: a template uniformly among those with expansions; a path through
    /// it choosing uniformly at each `(a|b)` and `[x]` (so "a device" and "an area" are as likely as
    /// each other however many ways each can be phrased), redrawn when it cannot be filled; then the
    /// target, values and phrases uniformly. Nil when the intent has no expansion here.
    public func sample<G: RandomNumberGenerator>(_ intent: Intent, using rng: inout G) -> Expansion? {
        guard let t = tables[intent.name] else { return nil }
        let usable = t.templates.indices.filter { i in t.templates[i].contains { t.weight($0.mask) > 0 } }
        guard let ti = usable.randomElement(using: &rng) else { return nil }
        var path: IntentTables.Path?
        for _ in 0..<64 {
            let p = t.randomPath(intent.templates[ti].expanded, using: &rng)
            if t.weight(p.mask) > 0 { path = p; break }
        }
        if path == nil { path = t.templates[ti].filter { t.weight($0.mask) > 0 }.randomElement(using: &rng) }
        guard let path else { return nil }
        let picks = t.choices(for: path.mask).map { $0.randomElement(using: &rng)! }
        return t.expansion(path, picks, templateIndex: ti, site: site)
    }

    /// `count` random expansions, each of an intent drawn uniformly among the intents that have expansions.
    public func sample<G: RandomNumberGenerator>(count: Int, using rng: inout G) -> [Expansion] {
        let intents = catalog.intents.filter { self.count($0) > 0 }
        guard !intents.isEmpty else { return [] }
        return (0..<count).compactMap { _ in sample(intents.randomElement(using: &rng)!, using: &rng) }
    }
}

/// Precomputed expansion tables of one intent.
struct IntentTables: Sendable {
    enum Piece: Sendable { case text(String), slot(Int) }
    struct Path: Sendable { var mask: UInt64; var pieces: [Piece] }
    /// One choice of a slot-group: the (slot index, value, phrase) it fills.
    typealias Fill = [(slot: Int, value: SlotValue, phrase: String)]

    let intent: Intent
    let slotIndex: [String: Int]
    let templates: [[Path]]
    let targetMask: UInt64
    /// Per non-target slot: one fill per (value, phrase).
    let independent: [Int: [Fill]]
    /// Per target sub-mask: the joint fills (each a tuple of target slot values with one phrase each).
    let targetFills: [UInt64: [Fill]]

    init(_ intent: Intent, _ vocabulary: SlotVocabulary, site: String?) {
        self.intent = intent
        var index: [String: Int] = [:]
        for (i, s) in intent.slots.enumerated() { index[s.name] = i }
        slotIndex = index
        templates = intent.templates.map { Self.paths($0.expanded, index) }
        var independent: [Int: [Fill]] = [:]
        for (i, s) in intent.slots.enumerated() where !s.isTarget {
            independent[i] = vocabulary.values(for: s.type).flatMap { v in v.phrases.map { [(i, v.value, $0)] } }
        }
        self.independent = independent
        var fills: [UInt64: [Fill]] = [:]
        var tmask: UInt64 = 0
        if let target = intent.target, let d = index["device"], let a = index["area"], let m = index["domain"] {
            let (bd, ba, bm) = (UInt64(1) << UInt64(d), UInt64(1) << UInt64(a), UInt64(1) << UInt64(m))
            tmask = bd | ba | bm
            let registry = vocabulary.registry
            let valid = TargetChoices(target: target, registry: registry, site: site)
            var domainPhrases: [Domain: [String]] = [:]
            for v in vocabulary.values(for: .domain) { domainPhrases[Domain(rawValue: v.value.id!)!] = v.phrases }
            let areaPhrases = Dictionary(registry.areas.map { ($0.id, $0.phrases) }, uniquingKeysWith: { x, _ in x })
            fills[bd] = valid.devices.flatMap { id in registry.device(id: id)!.phrases.map { [(d, SlotValue.id(id), $0)] } }
            fills[ba] = valid.areas.flatMap { id in areaPhrases[id]!.map { [(a, SlotValue.id(id), $0)] } }
            fills[ba | bm] = valid.areaDomains.flatMap { pair in
                areaPhrases[pair.area]!.flatMap { ap in
                    (domainPhrases[pair.domain] ?? []).map { dp in [(a, SlotValue.id(pair.area), ap), (m, SlotValue.id(pair.domain.rawValue), dp)] }
                }
            }
            fills[bm] = valid.domains.flatMap { dom in (domainPhrases[dom] ?? []).map { [(m, SlotValue.id(dom.rawValue), $0)] } }
            fills[0] = valid.allowsNone ? [[]] : []
        }
        targetMask = tmask
        targetFills = fills
    }

    /// The choice lists a path with this slot mask draws from: the target group first (when the intent
    /// has a target), then one list per non-target slot present.
    func choices(for mask: UInt64) -> [[Fill]] {
        var out: [[Fill]] = []
        if intent.target != nil { out.append(targetFills[mask & targetMask] ?? []) }
        for i in 0..<intent.slots.count where mask >> UInt64(i) & 1 == 1 && targetMask >> UInt64(i) & 1 == 0 {
            out.append(independent[i] ?? [])
        }
        return out
    }

    /// Number of ways to fill a path with this slot mask (0 when it cannot be filled).
    func weight(_ mask: UInt64) -> Int {
        var w = intent.target != nil ? (targetFills[mask & targetMask]?.count ?? 0) : 1
        for i in 0..<intent.slots.count where mask >> UInt64(i) & 1 == 1 && targetMask >> UInt64(i) & 1 == 0 {
            w = saturatingMultiply(w, independent[i]?.count ?? 0)
        }
        return w
    }

    func expansion(_ path: Path, _ picks: [Fill], templateIndex: Int, site: String?) -> Expansion {
        var filled: [Int: (value: SlotValue, phrase: String)] = [:]
        for fill in picks { for f in fill { filled[f.slot] = (f.value, f.phrase) } }
        var text = ""
        for piece in path.pieces {
            switch piece {
            case let .text(s): text += s
            case let .slot(i): text += " \(filled[i]?.phrase ?? "") "
            }
        }
        let slots = SlotValues(filled.keys.sorted().map { (name: intent.slots[$0].name, value: filled[$0]!.value) })
        return Expansion(intent: intent.name, text: normalizePhrase(text), action: CanonicalAction(intent: intent.name, slots: slots),
                         site: site, templateIndex: templateIndex)
    }

    /// One path through a template tree, choosing uniformly at each alternative and optional part.
    func randomPath<G: RandomNumberGenerator>(_ node: TemplateNode, using rng: inout G) -> Path {
        switch node {
        case let .text(s): return Path(mask: 0, pieces: [.text(s)])
        case .rule: return Path(mask: 0, pieces: [])
        case let .slot(name):
            guard let i = slotIndex[name] else { return Path(mask: 0, pieces: []) }
            return Path(mask: UInt64(1) << UInt64(i), pieces: [.slot(i)])
        case let .optional(inner): return Bool.random(using: &rng) ? randomPath(inner, using: &rng) : Path(mask: 0, pieces: [])
        case let .alternatives(items): return items.isEmpty ? Path(mask: 0, pieces: []) : randomPath(items.randomElement(using: &rng)!, using: &rng)
        case let .sequence(items):
            var out = Path(mask: 0, pieces: [])
            for item in items {
                let p = randomPath(item, using: &rng)
                out.mask |= p.mask  // catalog validation rules out a slot repeated on one path
                out.pieces += p.pieces
            }
            return out
        }
    }

    /// Every structural path through a template tree (paths repeating a slot are dropped).
    static func paths(_ node: TemplateNode, _ index: [String: Int]) -> [Path] {
        switch node {
        case let .text(s): return [Path(mask: 0, pieces: [.text(s)])]
        case .rule: return [Path(mask: 0, pieces: [])]
        case let .slot(name):
            guard let i = index[name] else { return [Path(mask: 0, pieces: [])] }
            return [Path(mask: UInt64(1) << UInt64(i), pieces: [.slot(i)])]
        case let .optional(inner): return paths(inner, index) + [Path(mask: 0, pieces: [])]
        case let .alternatives(items): return items.flatMap { paths($0, index) }
        case let .sequence(items):
            var acc = [Path(mask: 0, pieces: [])]
            for item in items {
                let next = paths(item, index)
                var out: [Path] = []
                out.reserveCapacity(acc.count * next.count)
                for a in acc { for b in next where a.mask & b.mask == 0 { out.append(Path(mask: a.mask | b.mask, pieces: a.pieces + b.pieces)) } }
                acc = out
            }
            return acc
        }
    }
}
