/// One training pair before it is rendered into the parser's prompt: a random home, the site the
/// command is heard at, the command text and the canonical action it means (`none` for "not a
/// command"). `hark export-training-data` turns it into `{"prompt", "completion", "intent"}` with
/// `ParserPrompt`, so training sees exactly the text the parser builds.
public struct TrainingExample: Sendable, Hashable {
    public var registry: Registry
    public var site: String
    public var command: String
    /// Canonical action text (`set_brightness device=bedroom.lamp brightness=30`, `none`).
    public var action: String
    public var intent: String
    /// Where the example came from: `catalog`, `extra` (training-only templates), `indirect`,
    /// `chitchat`, `absent`, `unsupported`, `range`, `injection`, `mismatch`.
    public var source: String
}

/// Generates intent-tuning pairs (DESIGN.md section 4): every home is freshly randomised (3–8 areas
/// from a pool of area names with aliases, 4–30 devices of random types named from per-type pools,
/// 0–3 scenes, a random site), so the model learns to read the registry from the prompt rather than
/// memorise one home. Actions come from the catalog templates (plus training-only templates of the
/// same syntax) through `TemplateExpander`, then the text gets the phrasing variety templates lack:
/// politeness, fillers, verb synonyms, numbers as words and digits, `%`, ASR-style lowercase without
/// punctuation or sentence case, typos and near-homophones. About `noneShare` of the examples are
/// "not a command": chit-chat, commands for devices or areas absent from the home, unsupported
/// requests, out-of-range values, unknown colours, capability mismatches and prompt injections.
///
/// Every non-`none` action is checked with `ActionResolver` on its own registry and site. Output is
/// a pure function of (catalog, seed, index), so a seed reproduces the data set; each example has
/// its own random stream, so generation is order-independent.
public struct TrainingDataGenerator: Sendable {
    public let catalog: Catalog
    /// Fraction of "not a command" examples.
    public var noneShare: Double
    /// Consecutive examples sharing one random home (1: a fresh home per example). Sharing lets the
    /// trainer compute the long prompt prefix once for several commands.
    public var perRegistry: Int
    /// When set, every example uses this home (its site or, when it has none, a random area)
    /// instead of a random one: for held-out sets on a real configuration.
    public var fixedHome: Registry?

    /// Single-intent catalogs (catalog templates; training-only templates), so an expander is built
    /// for one intent at a time.
    private let catalogOnly: [String: Catalog]
    private let extraOnly: [String: Catalog]
    /// Short commands with no area or device, meaning the site's own area ("lights off").
    private let siteOnly: [String: Catalog]
    private let intentWeights: [(String, Double)]

    public init(catalog: Catalog, noneShare: Double = 0.15, perRegistry: Int = 1) {
        self.catalog = catalog
        self.noneShare = noneShare
        self.perRegistry = max(1, perRegistry)
        let rules = catalog.rules.mapValues(\.expanded)
        var catalogOnly: [String: Catalog] = [:], extraOnly: [String: Catalog] = [:], siteOnly: [String: Catalog] = [:]
        var weights: [(String, Double)] = []
        func only(_ intent: Intent, _ sources: [String]?) -> Catalog? {
            let templates = (sources ?? []).compactMap { source -> Template? in
                guard var t = try? Template(parsing: source, location: SourceLocation(file: "training", line: 1, column: 1)) else { return nil }
                t.expanded = t.root.inlining(rules)
                guard Set(t.expanded.slotNames).isSubset(of: Set(intent.slotOrder)) else { return nil }
                return t
            }
            guard !templates.isEmpty else { return nil }
            var withTemplates = intent
            withTemplates.templates = templates
            var c = catalog
            c.intents = [withTemplates]
            return c
        }
        for intent in catalog.intents where intent.name != Catalog.noneIntent {
            var single = catalog
            single.intents = [intent]
            catalogOnly[intent.name] = single
            extraOnly[intent.name] = only(intent, TrainingPools.extraTemplates[intent.name])
            siteOnly[intent.name] = only(intent, TrainingPools.siteTemplates[intent.name])
            let w: Double
            switch intent.name {
            case "turn_on", "turn_off": w = 2.0
            case "set_brightness", "set_temperature": w = 1.5
            default: w = 1.0
            }
            weights.append((intent.name, w))
        }
        self.catalogOnly = catalogOnly
        self.extraOnly = extraOnly
        self.siteOnly = siteOnly
        intentWeights = weights
    }

    /// `count` examples from `seed`.
    public func examples(count: Int, seed: UInt64) -> [TrainingExample] {
        (0..<count).map { example(index: $0, seed: seed) }
    }

    /// Example `index` of the data set for `seed`.
    public func example(index: Int, seed: UInt64) -> TrainingExample {
        let group = index / perRegistry
        var homeRNG = SeededGenerator(seed: mix(seed, UInt64(group), 0x686F_6D65))
        var (registry, site) = fixedHome.map { ($0, $0.site ?? "") } ?? randomHome(using: &homeRNG)
        if site.isEmpty || registry.area(id: site) == nil { site = registry.areas.randomElement(using: &homeRNG)?.id ?? "" }
        var rng = SeededGenerator(seed: mix(seed, UInt64(index), 0x6578_616D))
        let wantNone = Double.random(in: 0..<1, using: &rng) < noneShare
        for _ in 0..<32 {
            if let e = attempt(none: wantNone, registry: registry, site: site, using: &rng) { return e }
        }
        let text = TrainingPools.chitChat.randomElement(using: &rng)!
        return TrainingExample(registry: registry, site: site, command: text, action: Catalog.noneIntent, intent: Catalog.noneIntent, source: "chitchat")
    }

    private func mix(_ a: UInt64, _ b: UInt64, _ c: UInt64) -> UInt64 {
        var g = SeededGenerator(seed: a ^ (b &* 0x9E37_79B9_7F4A_7C15) ^ (c &* 0xC2B2_AE3D_27D4_EB4F))
        _ = g.next()
        return g.next()
    }

    private func attempt<G: RandomNumberGenerator>(none: Bool, registry: Registry, site: String, using rng: inout G) -> TrainingExample? {
        if none {
            guard let (text, source) = noneCommand(registry: registry, site: site, using: &rng) else { return nil }
            return TrainingExample(registry: registry, site: site, command: style(text, using: &rng), action: Catalog.noneIntent,
                                   intent: Catalog.noneIntent, source: source)
        }
        let resolver = ActionResolver(catalog: catalog, registry: registry)
        // Indirect requests ("it's too dark in here") now and then.
        if Double.random(in: 0..<1, using: &rng) < 0.04, let (text, action) = indirect(registry: registry, site: site, using: &rng),
           let resolved = try? resolver.resolve(action, site: site) {
            return TrainingExample(registry: registry, site: site, command: style(text, using: &rng), action: resolved.canonical.description,
                                   intent: action.intent, source: "indirect")
        }
        let intent = weightedIntent(using: &rng)
        // Short site-area commands ("lights off", "set temp to 19") now and then: the catalog's
        // `<target>` reaches them rarely, and "not a command" look-alikes ("garage lights off" in a
        // home without a garage) outnumbered them, so the model learnt to refuse them.
        let useSite = siteOnly[intent] != nil && Double.random(in: 0..<1, using: &rng) < 0.16
        let useExtra = !useSite && extraOnly[intent] != nil && Double.random(in: 0..<1, using: &rng) < 0.5
        guard let single = useSite ? siteOnly[intent] : useExtra ? extraOnly[intent] : catalogOnly[intent] else { return nil }
        let expander = TemplateExpander(catalog: single, registry: registry, site: site)
        guard let expansion = expander.sample(single.intents[0], using: &rng) else { return nil }
        guard let resolved = try? resolver.resolve(expansion.action, site: site) else { return nil }
        let text = vary(expansion.text, intent: intent, using: &rng)
        return TrainingExample(registry: registry, site: site, command: style(text, using: &rng), action: resolved.canonical.description,
                               intent: intent, source: useSite ? "site" : useExtra ? "extra" : "catalog")
    }

    private func weightedIntent<G: RandomNumberGenerator>(using rng: inout G) -> String {
        let total = intentWeights.reduce(0) { $0 + $1.1 }
        var r = Double.random(in: 0..<total, using: &rng)
        for (name, w) in intentWeights {
            if r < w { return name }
            r -= w
        }
        return intentWeights.last!.0
    }

    // MARK: - Random homes

    /// A random registry and site. Names are unique across the home and never read as an area, a
    /// domain word, an area plus a domain word, or a scene (the ambiguity `hark check` warns about).
    public func randomHome<G: RandomNumberGenerator>(using rng: inout G) -> (Registry, String) {
        let domainWords = Set(catalog.domainPhrases.values.flatMap { uniquePhrases($0) })
        var taken = domainWords
        var areas: [Area] = []
        let areaCount = Int.random(in: 3...8, using: &rng)
        for (name, aliases) in TrainingPools.areas.shuffled(using: &rng) where areas.count < areaCount {
            let phrases = [name] + aliases
            if phrases.contains(where: taken.contains) { continue }
            var chosen: [String] = []
            for a in aliases.shuffled(using: &rng) where Double.random(in: 0..<1, using: &rng) < 0.45 { chosen.append(a) }
            var id = Identifier.slug(name)
            if Double.random(in: 0..<1, using: &rng) < 0.12, let first = chosen.first { id = Identifier.slug(first) }
            if Double.random(in: 0..<1, using: &rng) < 0.06 { id += "_\(Int.random(in: 1...3, using: &rng))" }
            if !Identifier.isSimple(id) || areas.contains(where: { $0.id == id }) { id = "area_\(areas.count + 1)" }
            taken.formUnion([name] + chosen)
            areas.append(Area(id: id, name: name, aliases: chosen))
        }
        // Phrases a device may not use: areas, area + domain word, domain words.
        var forbidden = taken
        for area in areas { for p in area.phrases { for w in domainWords { forbidden.insert("\(p) \(w)") } } }

        var scenes: [Scene] = []
        let sceneCount = [0, 0, 1, 1, 2, 2, 3].randomElement(using: &rng)!
        for (name, aliases) in TrainingPools.scenes.shuffled(using: &rng) where scenes.count < sceneCount {
            let phrases = [name] + aliases
            if phrases.contains(where: forbidden.contains) { continue }
            let chosen = aliases.filter { _ in Double.random(in: 0..<1, using: &rng) < 0.4 }
            forbidden.formUnion([name] + chosen)
            scenes.append(Scene(id: Identifier.slug(name), name: name, aliases: chosen, adapter: .homeAssistant(entityID: "scene.\(Identifier.slug(name))")))
        }

        var devices: [Device] = []
        var used = Set<String>()
        // Up to 30 devices: real homes (and the eval homes, 27 devices) are larger than toy ones, and
        // a model trained on short registries answered `none` for devices it failed to find in long ones.
        let deviceCount = Int.random(in: 4...30, using: &rng)
        let totalWeight = TrainingPools.typeWeights.reduce(0) { $0 + $1.1 }
        var tries = 0
        while devices.count < deviceCount && tries < deviceCount * 8 {
            tries += 1
            var r = Int.random(in: 0..<totalWeight, using: &rng)
            var type = DeviceType.light
            for (t, w) in TrainingPools.typeWeights {
                if r < w { type = t; break }
                r -= w
            }
            let area = areas.randomElement(using: &rng)!
            let pool = TrainingPools.deviceNames[type]!
            var name = pool.randomElement(using: &rng)!
            // Sometimes the area's name is part of the device's ("bedroom radio").
            if Double.random(in: 0..<1, using: &rng) < 0.15, !name.hasPrefix(area.name) { name = "\(area.name) \(name)" }
            if forbidden.contains(name) || used.contains(name) { continue }
            var aliases: [String] = []
            if Double.random(in: 0..<1, using: &rng) < 0.3 {
                let alias = pool.randomElement(using: &rng)!
                if alias != name, !forbidden.contains(alias), !used.contains(alias) { aliases.append(alias) }
            }
            var id = idFor(name: name, type: type, area: area.id, index: devices.count, using: &rng)
            if devices.contains(where: { $0.id == id }) || !Identifier.isDotted(id) { id = "\(area.id).device_\(devices.count + 1)" }
            var device = Device(id: id, name: name, aliases: aliases, area: area.id, type: type, adapter: .tasmota(topic: id.replacingDots()))
            if type == .outlet, TrainingPools.heatingOutlets.contains(where: name.hasSuffix), Bool.random(using: &rng) { device.domain = .climate }
            if type == .sensor, Double.random(in: 0..<1, using: &rng) < 0.3 { device.capabilities = [.temperature] }
            used.formUnion([name] + aliases)
            devices.append(device)
        }
        // Registry order: by area, as people write configs, but not always.
        if Bool.random(using: &rng) {
            let order = Dictionary(areas.enumerated().map { ($1.id, $0) }, uniquingKeysWith: { a, _ in a })
            devices = devices.enumerated().sorted { (order[$0.element.area]!, $0.offset) < (order[$1.element.area]!, $1.offset) }.map(\.element)
        }
        // The site: usually an area with devices.
        let withDevices = areas.filter { a in devices.contains { $0.area == a.id } }
        let site = (Double.random(in: 0..<1, using: &rng) < 0.85 ? withDevices.randomElement(using: &rng) : nil) ?? areas.randomElement(using: &rng)!
        return (Registry(site: site.id, areas: areas, devices: devices, scenes: scenes), site.id)
    }

    private func idFor<G: RandomNumberGenerator>(name: String, type: DeviceType, area: String, index: Int, using rng: inout G) -> String {
        var slug = Identifier.slug(name)
        if slug.hasPrefix(area + "_") { slug = String(slug.dropFirst(area.count + 1)) }
        let r = Double.random(in: 0..<1, using: &rng)
        if r < 0.65 { return "\(area).\(slug)" }
        if r < 0.8 {
            let word = ["light", "lamp", "plug", "dev", type.rawValue, type.domain?.rawValue ?? "sensor"].randomElement(using: &rng)!
            return "\(area).\(word)\(index + 1)"
        }
        return slug
    }

    // MARK: - Phrasing variety

    /// Rewrites a template sentence while keeping its meaning: verb synonyms, percent signs, number
    /// spellings, politeness, fillers, dropped articles.
    func vary<G: RandomNumberGenerator>(_ text: String, intent: String, using rng: inout G) -> String {
        var words = text.split(separator: " ").map(String.init)
        func chance(_ p: Double) -> Bool { Double.random(in: 0..<1, using: &rng) < p }
        // Verb synonyms at the start.
        if words.count >= 2 {
            let head = words[0] + " " + words[1]
            let swaps: [String: [String]] = [
                "turn on": ["switch on", "flip on", "power on", "put on"],
                "turn off": ["switch off", "shut off", "flip off", "power off"],
                "switch on": ["turn on"], "switch off": ["turn off"],
            ]
            if let alts = swaps[head], chance(0.3) {
                words.replaceSubrange(0..<2, with: alts.randomElement(using: &rng)!.split(separator: " ").map(String.init))
            }
        }
        // Numbers: "50 percent" → "50%", "twenty one" → "twenty-one", "one hundred" → "a hundred".
        var i = 0
        while i < words.count {
            if words[i].allSatisfy(\.isNumber), i + 1 < words.count, words[i + 1] == "percent", chance(0.4) {
                words[i] += "%"
                words.remove(at: i + 1)
            } else if words[i].first?.isNumber == true, i + 1 < words.count, words[i + 1] == "kelvin", chance(0.4) {
                words[i] += ["k", "K"].randomElement(using: &rng)!
                words.remove(at: i + 1)
            } else if NumberWords.tens.dropFirst(2).contains(words[i]), i + 1 < words.count,
                      NumberWords.ones[1...9].contains(words[i + 1]), chance(0.3) {
                words[i] += "-" + words[i + 1]
                words.remove(at: i + 1)
            } else if words[i] == "one", i + 1 < words.count, words[i + 1] == "hundred", chance(0.4) {
                words[i] = "a"
            } else if words[i] == "degrees", chance(0.15) {
                words[i] = ["degrees celsius", "°", "°c", "degrees c", "celsius", "c"].randomElement(using: &rng)!
                if words[i].hasPrefix("°"), i > 0 { words[i - 1] += words[i]; words.remove(at: i); continue }
            }
            i += 1
        }
        // Dropped articles (terse or ASR-like).
        if chance(0.12) { words.removeAll { $0 == "the" } }
        var out = words.joined(separator: " ")
        // Politeness and fillers.
        let isQuestion = ["is", "are", "what", "what's", "how", "did", "do", "have", "has", "check", "tell"].contains(words.first ?? "")
        let imperative = TrainingPools.gerunds[words.first ?? ""] != nil
        if imperative, chance(0.3) {
            let p = TrainingPools.politePrefixes.randomElement(using: &rng)!
            if p == "would you mind" {
                if let g = TrainingPools.gerunds[words.first ?? ""] { out = "would you mind " + g + out.dropFirst(words[0].count) }
            } else {
                out = p + " " + out
            }
        } else if isQuestion, chance(0.15) {
            out = ["can you tell me", "do you know", "could you tell me", "quick question", "hey"].randomElement(using: &rng)! + " " + out
        }
        if !out.hasSuffix("please"), chance(isQuestion ? 0.05 : 0.18) { out += " " + TrainingPools.politeSuffixes.randomElement(using: &rng)! }
        if chance(0.15) { out = TrainingPools.fillers.randomElement(using: &rng)! + " " + out }
        return out
    }

    /// Final surface form: ASR-style lowercase without punctuation, or typed text with capitals and
    /// punctuation; sometimes a typo or a near-homophone.
    func style<G: RandomNumberGenerator>(_ text: String, using rng: inout G) -> String {
        var words = text.split(separator: " ").map(String.init)
        func chance(_ p: Double) -> Bool { Double.random(in: 0..<1, using: &rng) < p }
        if chance(0.12) {
            let candidates = words.indices.filter { TrainingPools.slips[words[$0]] != nil }
            if let k = candidates.randomElement(using: &rng) { words[k] = TrainingPools.slips[words[k]]!.randomElement(using: &rng)! }
        }
        if chance(0.1) {
            let candidates = words.indices.filter { k in
                words[k].count >= 4 && words[k].allSatisfy(\.isLetter) && NumberWords.parse(words[k]) == nil
            }
            if let k = candidates.randomElement(using: &rng) { words[k] = typo(words[k], using: &rng) }
        }
        var out = words.joined(separator: " ")
        let r = Double.random(in: 0..<1, using: &rng)
        if r < 0.5 { return out }  // ASR: lowercase, no punctuation
        let isQuestion = ["is", "are", "what", "what's", "how", "did", "do", "have", "has", "can", "could", "would", "will"].contains(words.first ?? "")
        if r < 0.85 {
            out = out.prefix(1).uppercased() + out.dropFirst()
            let fillerComma = TrainingPools.fillers.first { out.lowercased().hasPrefix($0 + " ") && $0.count <= 8 }
            if let f = fillerComma, chance(0.6) { out = String(out.prefix(f.count)) + "," + out.dropFirst(f.count) }
            out += isQuestion ? "?" : [".", ".", "", "!"].randomElement(using: &rng)!
        } else if r < 0.93 {
            out += isQuestion ? "?" : ["", ".", "!"].randomElement(using: &rng)!
        } else {
            out = out.split(separator: " ").map { w in chance(0.3) ? w.prefix(1).uppercased() + w.dropFirst() : String(w) }.joined(separator: " ")
        }
        return out
    }

    /// One character dropped, swapped, doubled or replaced by a keyboard neighbour.
    func typo<G: RandomNumberGenerator>(_ word: String, using rng: inout G) -> String {
        var c = Array(word)
        let k = Int.random(in: 1..<c.count, using: &rng)
        switch Int.random(in: 0..<4, using: &rng) {
        case 0: c.remove(at: k)
        case 1: if k + 1 < c.count { c.swapAt(k, k + 1) } else { c.swapAt(k - 1, k) }
        case 2: c.insert(c[k], at: k)
        default:
            let rows = ["qwertyuiop", "asdfghjkl", "zxcvbnm"].map(Array.init)
            for row in rows {
                if let j = row.firstIndex(of: c[k]) {
                    let n = [j - 1, j + 1].filter { row.indices.contains($0) }
                    if let m = n.randomElement(using: &rng) { c[k] = row[m] }
                }
            }
        }
        return String(c)
    }

    // MARK: - Indirect requests

    private func indirect<G: RandomNumberGenerator>(registry: Registry, site: String, using rng: inout G) -> (String, CanonicalAction)? {
        let here = ["in here", "here", ""].randomElement(using: &rng)!
        let area = registry.areas.randomElement(using: &rng)!
        let areaPhrase = area.phrases.randomElement(using: &rng)!
        let inArea = Bool.random(using: &rng)
        func target(_ domain: String) -> SlotValues {
            inArea ? ["area": .id(area.id), "domain": .id(domain)] : ["domain": .id(domain)]
        }
        let place = inArea ? "in the \(areaPhrase)" : here
        switch Int.random(in: 0..<7, using: &rng) {
        case 0:
            let t = ["it's too dark \(place)", "it's so dark \(place)", "i can't see anything \(place)", "it's pitch black \(place)",
                     "we need some light \(place)", "it's really dark \(place)"].randomElement(using: &rng)!
            return (t, CanonicalAction(intent: "turn_on", slots: target("light")))
        case 1:
            let t = ["it's too bright \(place)", "the lights are too bright \(place)", "it's way too bright \(place)",
                     "the light is blinding \(place)"].randomElement(using: &rng)!
            return (t, CanonicalAction(intent: "brightness_down", slots: target("light")))
        case 2:
            let t = ["it's a bit dim \(place)", "it's not bright enough \(place)", "i could use more light \(place)",
                     "it's a little gloomy \(place)"].randomElement(using: &rng)!
            return (t, CanonicalAction(intent: "brightness_up", slots: target("light")))
        case 3:
            let t = ["it's too loud", "that's way too loud", "keep it down", "the music is too loud", "too loud"].randomElement(using: &rng)!
            return (t, CanonicalAction(intent: "volume_down"))
        case 4:
            let t = ["i can't hear it", "it's too quiet", "i can barely hear the music", "i can't hear anything", "too quiet"].randomElement(using: &rng)!
            return (t, CanonicalAction(intent: "volume_up"))
        case 5:
            let t = ["let some daylight in \(place)", "let the sunshine in \(place)", "let some light in \(place)"].randomElement(using: &rng)!
            return (t, CanonicalAction(intent: "open_cover", slots: target("cover")))
        default:
            let t = ["it's too sunny \(place)", "block out the sun \(place)", "i want some privacy \(place)",
                     "the sun is in my eyes"].randomElement(using: &rng)!
            return (t, CanonicalAction(intent: "close_cover", slots: t.hasPrefix("the sun") ? ["domain": .id("cover")] : target("cover")))
        }
    }

    // MARK: - Not a command

    private func noneCommand<G: RandomNumberGenerator>(registry: Registry, site: String, using rng: inout G) -> (String, String)? {
        let r = Double.random(in: 0..<1, using: &rng)
        if r < 0.30 {
            if Double.random(in: 0..<1, using: &rng) < 0.25, let none = catalog.intent(named: Catalog.noneIntent) {
                let expander = TemplateExpander(catalog: Catalog(intents: [none], domainPhrases: catalog.domainPhrases), registry: registry, site: site)
                if let e = expander.sample(none, using: &rng) { return (e.text, "chitchat") }
            }
            // Never a sentence naming something of this home ("good night" when a scene is called that).
            let names = registry.scenes.flatMap(\.phrases) + registry.devices.flatMap(\.phrases)
            for _ in 0..<8 {
                let s = TrainingPools.chitChat.randomElement(using: &rng)!
                if !names.contains(where: { (" " + s + " ").contains(" " + $0 + " ") }) { return (vary(s, intent: "none", using: &rng), "chitchat") }
            }
            return nil
        }
        if r < 0.46 { return absentTarget(registry: registry, using: &rng).map { ($0, "absent") } }
        if r < 0.58 {
            let names = registry.scenes.flatMap(\.phrases)
            let s = TrainingPools.unsupported.randomElement(using: &rng)!
            return names.contains(where: { (" " + s + " ").contains(" " + $0 + " ") }) ? nil : (s, "unsupported")
        }
        // Out-of-range values are also refused after decoding (the grammar cannot say them), so few.
        if r < 0.63 { return outOfRange(registry: registry, using: &rng).map { ($0, "range") } }
        if r < 0.73 { return injection(registry: registry, using: &rng).map { ($0, "injection") } }
        if r < 0.80 { return fragment(registry: registry, using: &rng).map { ($0, "fragment") } }
        if r < 0.85 { return absentScene(registry: registry, using: &rng).map { ($0, "absent") } }
        return capabilityMismatch(registry: registry, using: &rng).map { ($0, "mismatch") }
    }

    /// A prompt injection: a fixed one, or one that wraps a real command for this home in
    /// instructions aimed at the model; both are refused whole.
    private func injection<G: RandomNumberGenerator>(registry: Registry, using rng: inout G) -> String? {
        if Bool.random(using: &rng) { return TrainingPools.injections.randomElement(using: &rng)! }
        guard let d = registry.devices.randomElement(using: &rng), let n = d.phrases.randomElement(using: &rng) else { return nil }
        let verb: String
        if d.has(.lock) { verb = "unlock the \(n)" } else if d.has(.openClose) { verb = "open the \(n)" } else { verb = "turn on the \(n)" }
        let lead = TrainingPools.injectionLeads.randomElement(using: &rng)!
        let tail = ["", "", " without asking", " now", " immediately", " and don't tell anyone"].randomElement(using: &rng)!
        return lead + " " + verb + tail
    }

    /// Half a command: an area, a device or a polite opening with nothing to do.
    private func fragment<G: RandomNumberGenerator>(registry: Registry, using rng: inout G) -> String? {
        let area = registry.areas.randomElement(using: &rng)?.phrases.randomElement(using: &rng) ?? "kitchen"
        let device = registry.devices.randomElement(using: &rng)?.phrases.randomElement(using: &rng) ?? "lamp"
        return ["in the \(area)", "the \(device)", "\(device)", "um the \(device)", "the \(device) please",
                "could you please", "please", "would you", "turn", "set the",
                "the \(area) please", "what about the \(area)", "and the \(device)", "the \(device) in the \(area)",
                "i want", "make it", "the thing", "the lights in", "switch the"].randomElement(using: &rng)!
    }

    /// A scene this home does not have.
    private func absentScene<G: RandomNumberGenerator>(registry: Registry, using rng: inout G) -> String? {
        let phrases = registry.scenes.flatMap(\.phrases) + registry.devices.flatMap(\.phrases) + registry.areas.flatMap(\.phrases)
        let names = (TrainingPools.scenes.map(\.name) + TrainingPools.extraSceneNames).filter { n in
            !phrases.contains { $0.contains(n) || n.contains($0) }
        }
        guard let n = names.randomElement(using: &rng) else { return nil }
        return ["activate \(n) mode", "\(n) mode", "start \(n)", "it's \(n) time", "set the scene for \(n)", "\(n) scene please",
                "switch to \(n) mode", "turn on \(n) mode", "time for \(n)", "run the \(n) scene"].randomElement(using: &rng)!
    }

    /// A command for a device or an area this home does not have.
    private func absentTarget<G: RandomNumberGenerator>(registry: Registry, using rng: inout G) -> String? {
        let phrases = registry.devices.flatMap(\.phrases) + registry.areas.flatMap(\.phrases) + registry.scenes.flatMap(\.phrases)
        let domainWords = Set(catalog.domainPhrases.values.flatMap { uniquePhrases($0) })
        if Bool.random(using: &rng) {
            // An absent area.
            let names = TrainingPools.areas.map(\.name).filter { n in !phrases.contains { $0.contains(n) || n.contains($0) } }
            guard let a = names.randomElement(using: &rng) else { return nil }
            let frames = ["turn on the lights in the \(a)", "switch off the \(a) lights", "turn off everything in the \(a)",
                          "dim the lights in the \(a) to 30 percent", "close the blinds in the \(a)", "what's the temperature in the \(a)",
                          "set the \(a) to 21 degrees", "lock the doors in the \(a)", "is the light on in the \(a)",
                          "\(a) lights off", "play music in the \(a)", "turn up the heating in the \(a)", "open the \(a) curtains"]
            return frames.randomElement(using: &rng)!
        }
        // An absent device: a pool name far from every phrase of this home, not ending in a domain word.
        let all = TrainingPools.deviceNames.values.flatMap { $0 }
        for _ in 0..<20 {
            let n = all.randomElement(using: &rng)!
            if domainWords.contains(where: { n.hasSuffix(" " + $0) || n == $0 }) { continue }
            if phrases.contains(where: { editDistance($0, n) < 4 || $0.contains(n) || n.contains($0) }) { continue }
            let frames = ["turn on the \(n)", "switch off the \(n)", "turn the \(n) off", "dim the \(n) to 40 percent",
                          "set the \(n) to blue", "open the \(n)", "lock the \(n)", "is the \(n) on", "\(n) on",
                          "turn off the \(n) please", "set the \(n) to 20 degrees", "unlock the \(n)", "pause the \(n)",
                          "\(n) off", "make the \(n) brighter", "set the \(n) to high"]
            return frames.randomElement(using: &rng)!
        }
        return nil
    }

    /// A value outside the slot's range ("set the thermostat to 90"), or a colour the catalog lacks.
    private func outOfRange<G: RandomNumberGenerator>(registry: Registry, using rng: inout G) -> String? {
        func name(_ cap: Capability) -> String? {
            registry.devices(with: cap).randomElement(using: &rng).flatMap { $0.phrases.randomElement(using: &rng) }
        }
        switch Int.random(in: 0..<5, using: &rng) {
        case 0:
            let t = [Int.random(in: 31...99, using: &rng), Int.random(in: 0...9, using: &rng), Int.random(in: 35...120, using: &rng)].randomElement(using: &rng)!
            let n = Bool.random(using: &rng) ? "\(t)" : (NumberWords.words(t) ?? "\(t)")
            if let d = name(.setpoint), Bool.random(using: &rng) { return "set the \(d) to \(n) degrees" }
            return ["set the temperature to \(n) degrees", "set the thermostat to \(n)", "make it \(n) degrees",
                    "heat the house to \(n) degrees", "i want it \(n) degrees"].randomElement(using: &rng)!
        case 1:
            let v = Int.random(in: 101...500, using: &rng)
            let n = Bool.random(using: &rng) ? "\(v)" : (NumberWords.words(v) ?? "\(v)")
            if let d = name(.brightness) { return "set the \(d) to \(n) percent" }
            return "set the lights to \(n) percent"
        case 2:
            let v = Int.random(in: 101...300, using: &rng)
            return ["set the volume to \(v) percent", "volume \(v)", "turn the volume up to \(v) percent"].randomElement(using: &rng)!
        case 3:
            let c = TrainingPools.unknownColors.randomElement(using: &rng)!
            if let d = name(.color) { return ["turn the \(d) \(c)", "set the \(d) to \(c)", "make the \(d) \(c)"].randomElement(using: &rng)! }
            return "make the lights \(c)"
        default:
            let k = [Int.random(in: 7000...12000, using: &rng), Int.random(in: 500...1900, using: &rng)].randomElement(using: &rng)! / 100 * 100
            if let d = name(.colorTemp) { return "set the \(d) to \(k) kelvin" }
            return "set the lights to \(k) kelvin"
        }
    }

    /// Asking a device for something it cannot do ("set the kettle to blue", "dim the porch light"
    /// when it only switches), or a room for something no device measures ("how humid is it").
    private func capabilityMismatch<G: RandomNumberGenerator>(registry: Registry, using rng: inout G) -> String? {
        if Double.random(in: 0..<1, using: &rng) < 0.2 {
            let a = registry.areas.randomElement(using: &rng)!.phrases.randomElement(using: &rng)!
            return ["humidity level in the \(a)", "what's the humidity reading for the \(a)", "is the \(a) damp",
                    "what's the air quality in the \(a)", "is there any co2 in the \(a)", "how much power is the \(a) using",
                    "is anyone in the \(a)", "is there motion in the \(a)", "how noisy is the \(a)",
                    "set the humidity in the \(a) to 40 percent"].randomElement(using: &rng)!
        }
        let d = registry.devices.randomElement(using: &rng)!
        let n = d.phrases.randomElement(using: &rng)!
        var frames: [String] = []
        if !d.has(.color) {
            frames += ["set the \(n) to red", "make the \(n) blue", "turn the \(n) green", "\(n) violet please", "change the \(n) to pink"]
        }
        if !d.has(.brightness) {
            frames += ["dim the \(n) to 30 percent", "make the \(n) brighter", "dim the \(n) down a bit", "turn the brightness of the \(n) down", "\(n) to 50 percent brightness"]
        }
        if !d.has(.colorTemp) && d.domain == .light { frames += ["make the \(n) warm white", "set the \(n) to 3000 kelvin", "\(n) daylight"] }
        if !d.has(.lock) && d.domain != .lock { frames += ["lock the \(n)", "unlock the \(n)"] }
        if !d.has(.openClose) && d.domain != .cover && !d.has(.lock) { frames += ["open the \(n)", "close the \(n) halfway"] }
        if !d.has(.fanSpeed) { frames += ["set the \(n) to high speed"] }
        if d.has(.fanSpeed) {
            frames += ["switch the \(n) to oscillation", "make the \(n) rotate", "set the \(n) timer to an hour", "give the \(n) a breeze mode",
                       "set the \(n) to sleep mode", "\(n) to natural wind", "warm the \(n) to 22", "make the \(n) glow blue"]
        }
        if !d.has(.setpoint) { frames += ["set the \(n) to 21 degrees", "warm the \(n) up to 20"] }
        if !d.has(.volume) && !d.has(.onOff) { frames += ["turn up the volume on the \(n)", "turn on the \(n)"] }
        if d.has(.volume) { frames += ["set the \(n) to channel four", "switch the \(n) to bluetooth", "change the \(n) input to hdmi"] }
        return frames.randomElement(using: &rng)
    }
}

extension Identifier {
    /// `living room` → `living_room`; apostrophes dropped, other non-id characters become `_`.
    static func slug(_ name: String) -> String {
        var out = ""
        for ch in name.lowercased() {
            if ch == "'" { continue }
            if ch.isASCII && (ch.isLetter || ch.isNumber) { out.append(ch) } else if !out.hasSuffix("_") { out.append("_") }
        }
        while out.hasSuffix("_") { out.removeLast() }
        if let f = out.first, !f.isLetter { out = "x" + out }
        return out.isEmpty ? "x" : out
    }
}

private extension String {
    func replacingDots() -> String { String(map { $0 == "." ? "_" : $0 }) }
}
