import Intents

/// A word the speech grammar had to leave out, and where it came from.
public struct SpeechGrammarWarning: Sendable, Hashable, CustomStringConvertible {
    /// The word (or text) that cannot be said; nil for problems not about one word.
    public var word: String?
    /// Where it came from: "device living_room.speaker alias 'sonos'", "media.yaml:8:9 (media_play template 1)".
    public var origin: String
    /// What was done about it.
    public var message: String

    public var description: String {
        if let word { return "\(origin): '\(word)' is not in the pronunciation dictionary; \(message)" }
        return "\(origin): \(message)"
    }
}

/// The command language as a grammar for PocketSphinx, generated from the intent catalog's
/// templates and the registry's names, so the recogniser hears exactly what the parser understands.
/// It is written as JSGF (`jsgf`, for reading and for other tools); the recogniser searches its
/// minimal word graph (`wordGraph`), which PocketSphinx holds in half the memory.
///
/// The grammar follows the template trees: `(a|b)` becomes `( a | b )`, `[x]` becomes `[ x ]`,
/// `<rule>` a JSGF rule, and each `{slot}` a rule listing the slot's spoken values from the same
/// `SlotVocabulary` the template expander uses (device names and aliases with the capability, the
/// target's areas and domains as `TargetChoices` allows them, scenes, colours, numbers as words).
/// It accepts every sentence the expander produces (in spoken form) and somewhat more: area and
/// domain are not paired, and a path the expander cannot fill (a domain the site lacks) stays in.
///
/// Every word is checked against the pronunciation dictionary. PocketSphinx 5prealpha has no
/// letter-to-sound rules, so a word the dictionary lacks cannot be recognised: the phrase or template
/// alternative holding it is left out, with a warning naming the word and its origin; a device
/// whose every phrase is left out cannot be addressed by voice (text commands still reach it).
public struct SpeechGrammar: Sendable {
    /// The name of the public rule a decoder searches.
    public static let publicRule = "command"

    /// The grammar in JSGF (`#JSGF V1.0;` … `public <command> = …;`).
    public let jsgf: String
    /// Every word the grammar uses, sorted.
    public let words: [String]
    /// Words left out because the dictionary lacks them, and other problems, in generation order.
    public let warnings: [SpeechGrammarWarning]
    /// Intents that have at least one template in the grammar.
    public let intents: [String]

    private let rules: [String: GrammarNode]
    private let top: GrammarNode

    /// Builds the grammar for `catalog` and `registry`, checking words against `dictionary`.
    /// `optionalPrefix` (e.g. the wake phrase) may precede any command.
    public init(catalog: Catalog, registry: Registry, dictionary: PronunciationDictionary, optionalPrefix: String? = nil) {
        var builder = GrammarBuilder(catalog: catalog, registry: registry, dictionary: dictionary)
        var intentRules: [GrammarNode] = []
        var intents: [String] = []
        for intent in catalog.intents {
            if case .void = builder.intentRule(intent) { continue }
            intentRules.append(.rule(GrammarBuilder.intentRuleName(intent.name)))
            intents.append(intent.name)
        }
        var top = GrammarNode.alternatives(intentRules).simplified
        if let optionalPrefix {
            let prefix = builder.phrase(optionalPrefix, origin: "optional prefix '\(optionalPrefix)'")
            top = GrammarNode.sequence([.optional(prefix), top]).simplified
        }
        rules = builder.rules
        self.top = top
        self.intents = intents
        warnings = builder.warnings
        var used = Set<String>()
        top.collectWords(into: &used)
        for (_, body) in builder.rules { body.collectWords(into: &used) }
        words = used.sorted()

        var text = "#JSGF V1.0;\n\ngrammar hark;\n\n"
        text += "public <\(Self.publicRule)> = \(top.jsgf);\n\n"
        for name in builder.ruleOrder { text += "<\(name)> = \(builder.rules[name]!.jsgf);\n" }
        jsgf = text
    }

    /// The grammar as its minimal word graph (`WordGraph`), which the recogniser searches; nil
    /// when the grammar accepts no sentence.
    var wordGraph: WordGraph? { WordGraph(top: top, rules: rules) }

    /// True when the grammar accepts `sentence` (any text; compared in its spoken form).
    public func accepts(_ sentence: String) -> Bool { judge(sentence).accepted }

    /// Words that may follow `sentence` in a longer sentence of the grammar (empty when none does):
    /// "turn on the lights" may go on ("in", "please"), "set the lamp to fifty" may ("percent").
    public func continuations(of sentence: String) -> Set<String> { judge(sentence).next }

    /// Both in one walk of the grammar: whether it accepts `sentence`, and the words that may follow it.
    public func judge(_ sentence: String) -> (accepted: Bool, next: Set<String>) {
        guard let words = SpokenText.words(sentence) else { return (false, []) }
        let (ends, next) = top.match(words, from: [0], rules: rules)
        return (ends.contains(words.count), next)
    }

    /// The dictionary a decoder needs for this grammar (and `extraWords`, e.g. a wake phrase), in
    /// Sphinx format: every pronunciation of every word, nothing else. Loads in milliseconds where
    /// the full CMU dictionary takes most of a second.
    public func dictionaryText(from dictionary: PronunciationDictionary, extraWords: [String] = []) -> String {
        dictionary.subsetText(for: words + extraWords)
    }
}

/// One node of a JSGF rule expansion. `void` matches nothing (a part that lost all its words);
/// `empty` matches the empty string.
indirect enum GrammarNode: Sendable, Hashable {
    case word(String)
    case sequence([GrammarNode])
    case alternatives([GrammarNode])
    case optional(GrammarNode)
    case rule(String)
    case empty
    case void

    /// The node with `void` propagated (a sequence holding one is void, an alternative that is void
    /// is dropped), `empty` removed, single-item groups unwrapped and duplicate alternatives merged.
    var simplified: GrammarNode {
        switch self {
        case .word, .rule, .empty, .void: return self
        case let .optional(inner):
            switch inner.simplified {
            case .void, .empty: return .empty
            case let .optional(x): return .optional(x)
            case let x: return .optional(x)
            }
        case let .sequence(items):
            var out: [GrammarNode] = []
            for item in items {
                switch item.simplified {
                case .void: return .void
                case .empty: continue
                case let .sequence(inner): out += inner
                case let x: out.append(x)
                }
            }
            return out.isEmpty ? .empty : out.count == 1 ? out[0] : .sequence(out)
        case let .alternatives(items):
            var out: [GrammarNode] = []
            var canBeEmpty = false
            for item in items {
                switch item.simplified {
                case .void: continue
                case .empty: canBeEmpty = true
                case let .optional(x): canBeEmpty = true; if !out.contains(x) { out.append(x) }
                case let .alternatives(inner): for x in inner where !out.contains(x) { out.append(x) }
                case let x: if !out.contains(x) { out.append(x) }
                }
            }
            if out.isEmpty { return canBeEmpty ? .empty : .void }
            let body = out.count == 1 ? out[0] : .alternatives(out)
            return canBeEmpty ? .optional(body) : body
        }
    }

    /// JSGF text of the expansion.
    var jsgf: String {
        switch self {
        case let .word(w): return w
        case let .sequence(items): return items.map(\.jsgf).joined(separator: " ")
        case let .alternatives(items): return "( " + items.map(\.jsgf).joined(separator: " | ") + " )"
        case let .optional(inner): return "[ " + inner.jsgf + " ]"
        case let .rule(name): return "<\(name)>"
        case .empty: return "<NULL>"
        case .void: return "<VOID>"
        }
    }

    func collectWords(into set: inout Set<String>) {
        switch self {
        case let .word(w): set.insert(w)
        case let .sequence(items), let .alternatives(items): for i in items { i.collectWords(into: &set) }
        case let .optional(inner): inner.collectWords(into: &set)
        case .rule, .empty, .void: break
        }
    }

    /// The positions in `words` where a match of this node can end, starting at any of `starts`,
    /// and the words it may read next when a match has consumed all of `words` (the grammar's
    /// continuations of them).
    func match(_ words: [String], from starts: Set<Int>, rules: [String: GrammarNode]) -> (ends: Set<Int>, next: Set<String>) {
        if starts.isEmpty { return ([], []) }
        switch self {
        case let .word(w):
            return (Set(starts.filter { $0 < words.count && words[$0] == w }.map { $0 + 1 }), starts.contains(words.count) ? [w] : [])
        case let .sequence(items):
            var at = starts, next = Set<String>()
            for item in items {
                let (e, n) = item.match(words, from: at, rules: rules)
                at = e
                next.formUnion(n)
            }
            return (at, next)
        case let .alternatives(items):
            var ends = Set<Int>(), next = Set<String>()
            for item in items {
                let (e, n) = item.match(words, from: starts, rules: rules)
                ends.formUnion(e)
                next.formUnion(n)
            }
            return (ends, next)
        case let .optional(inner):
            let (e, n) = inner.match(words, from: starts, rules: rules)
            return (starts.union(e), n)
        case let .rule(name): return rules[name]?.match(words, from: starts, rules: rules) ?? ([], [])
        case .empty: return (starts, [])
        case .void: return ([], [])
        }
    }
}

/// Turns templates and slot vocabularies into named grammar rules, checking words as it goes.
struct GrammarBuilder {
    let catalog: Catalog
    let registry: Registry
    let dictionary: PronunciationDictionary
    let vocabulary: SlotVocabulary
    private(set) var rules: [String: GrammarNode] = [:]
    /// Rule names in the order they were first defined (slot and catalog rules before the intents using them).
    private(set) var ruleOrder: [String] = []
    private(set) var warnings: [SpeechGrammarWarning] = []
    /// Counts every word as sayable: a probe telling a template void for its words from one void
    /// because this home has nothing for a slot.
    private var everyWordSayable = false
    /// Rules known to be void (every alternative lost), so references to them are void too.
    private var voidRules: Set<String> = []

    init(catalog: Catalog, registry: Registry, dictionary: PronunciationDictionary) {
        self.catalog = catalog
        self.registry = registry
        self.dictionary = dictionary
        vocabulary = SlotVocabulary(catalog: catalog, registry: registry)
    }

    static func intentRuleName(_ intent: String) -> String { "intent_" + sanitize(intent) }

    /// `lights.yaml:12:9`: a location with the file's name only (catalog files live deep in the bundle).
    static func short(_ location: SourceLocation) -> String {
        let file = location.file.split(separator: "/").last.map(String.init) ?? location.file
        return "\(file):\(location.line):\(location.column)"
    }

    static func sanitize(_ s: String) -> String {
        String(s.lowercased().map { $0.isASCII && ($0.isLetter || $0.isNumber) ? $0 : "_" })
    }

    /// The rule of one intent: its templates as alternatives. Void when no template survives.
    mutating func intentRule(_ intent: Intent) -> GrammarNode {
        // An intent that needs a target no device of this home can be (no covers, no locks) is
        // left out without a warning: nothing is wrong, there is just nothing to say it to.
        if let target = intent.target, !target.optional, registry.devices(with: target.capability).isEmpty { return .void }
        let name = Self.intentRuleName(intent.name)
        var alternatives: [GrammarNode] = []
        var unsayable = false
        for (i, template) in intent.templates.enumerated() {
            let origin = "\(Self.short(template.location)) (\(intent.name) template \(i + 1))"
            if gluesWords(template.root) {
                warnings.append(SpeechGrammarWarning(word: nil, origin: origin,
                                                     message: "a word is glued to a group or slot ('\(template.source)'); the speech grammar cannot say it, so the template is left out"))
                continue
            }
            let before = warnings.count
            let node = convert(template.root, intent: intent, origin: origin).simplified
            if case .void = node {
                // Void because a word could not be said (warned just now): say which template
                // went. Void only because this home has nothing for a slot (no scenes, no
                // thermostat): nothing is wrong, so no warning.
                var probe = self
                probe.everyWordSayable = true
                if warnings.count > before, probe.convert(template.root, intent: intent, origin: origin).simplified != .void {
                    warnings.append(SpeechGrammarWarning(word: nil, origin: origin, message: "template '\(template.source)' has no sayable sentence left; it is left out"))
                    unsayable = true
                }
                continue
            }
            alternatives.append(node)
        }
        let body = GrammarNode.alternatives(alternatives).simplified
        if case .void = body {
            if unsayable {
                warnings.append(SpeechGrammarWarning(word: nil, origin: "\(Self.short(intent.location)) (intent \(intent.name))",
                                                     message: "no template left; the intent cannot be spoken"))
            }
        } else {
            define(name, body)
        }
        return body
    }

    /// The words of `text` as a sequence, void when one is not in the dictionary (warned with `origin`).
    mutating func phrase(_ text: String, origin: String) -> GrammarNode {
        guard let variants = SpokenText.variants(text) else {
            warnings.append(SpeechGrammarWarning(word: nil, origin: origin, message: "'\(text)' has a number the grammar cannot say; left out"))
            return .void
        }
        var items: [GrammarNode] = []
        for forms in variants {
            var alts: [GrammarNode] = []
            for form in forms {
                var seq: [GrammarNode] = []
                for word in form {
                    if everyWordSayable || dictionary.contains(word) {
                        seq.append(.word(word))
                    } else {
                        if !warnings.contains(where: { $0.word == word && $0.origin == origin }) {
                            warnings.append(SpeechGrammarWarning(word: word, origin: origin, message: "'\(text)' is left out of the speech grammar"))
                        }
                        seq.append(.void)
                    }
                }
                alts.append(.sequence(seq))
            }
            items.append(.alternatives(alts))
        }
        return GrammarNode.sequence(items).simplified
    }

    private mutating func convert(_ node: TemplateNode, intent: Intent, origin: String) -> GrammarNode {
        switch node {
        case let .text(t): return phrase(t, origin: origin)
        case let .sequence(items): return .sequence(items.map { convert($0, intent: intent, origin: origin) })
        case let .alternatives(items): return .alternatives(items.map { convert($0, intent: intent, origin: origin) })
        case let .optional(inner): return .optional(convert(inner, intent: intent, origin: origin))
        case let .slot(name): return slotReference(name, intent: intent, origin: origin)
        case let .rule(name): return catalogRuleReference(name, intent: intent, origin: origin)
        }
    }

    private mutating func define(_ name: String, _ body: GrammarNode) {
        if rules[name] == nil { ruleOrder.append(name) }
        rules[name] = body
        if case .void = body { voidRules.insert(name) }
    }

    /// A reference to rule `name` defined by `body()` on first use; void when the rule is void.
    private mutating func reference(_ name: String, _ body: (inout GrammarBuilder) -> GrammarNode) -> GrammarNode {
        if rules[name] == nil && !voidRules.contains(name) {
            let b = body(&self).simplified
            if case .void = b { voidRules.insert(name); return .void }
            if case .empty = b { return .empty }
            define(name, b)
        }
        return voidRules.contains(name) ? .void : .rule(name)
    }

    /// A catalog rule (`<target>`, `<please>`). Rules using the target slots are made once per
    /// capability (`rule_target_on_off`), rules using other slots once per intent, the rest once.
    private mutating func catalogRuleReference(_ name: String, intent: Intent, origin: String) -> GrammarNode {
        guard let template = catalog.rules[name] else {
            warnings.append(SpeechGrammarWarning(word: nil, origin: origin, message: "unknown rule <\(name)>; left out"))
            return .void
        }
        let slots = slotNames(ofRule: name, seen: [])
        var key = "rule_" + Self.sanitize(name)
        if !slots.isEmpty {
            if let target = intent.target, slots.isSubset(of: Set(TargetSpec.slotNames)) {
                key += "_" + target.capability.rawValue
            } else {
                key += "_" + Self.sanitize(intent.name)
            }
        }
        let ruleOrigin = "\(Self.short(template.location)) (rule <\(name)>)"
        return reference(key) { b in b.convert(template.root, intent: intent, origin: ruleOrigin) }
    }

    private func slotNames(ofRule name: String, seen: Set<String>) -> Set<String> {
        guard let t = catalog.rules[name], !seen.contains(name) else { return [] }
        var out = Set(t.root.slotNames)
        for r in t.root.ruleNames { out.formUnion(slotNames(ofRule: r, seen: seen.union([name]))) }
        return out
    }

    /// A `{slot}`: a rule listing the slot's spoken values.
    private mutating func slotReference(_ name: String, intent: Intent, origin: String) -> GrammarNode {
        guard let slot = intent.slot(named: name) else {
            warnings.append(SpeechGrammarWarning(word: nil, origin: origin, message: "slot {\(name)} is not declared by \(intent.name); left out"))
            return .void
        }
        let targetChoices = intent.target.map { TargetChoices(target: $0, registry: registry, site: registry.site) }
        switch slot.type {
        case let .device(capability):
            return reference("slot_device_" + capability.rawValue) { b in
                let values = b.vocabulary.values(for: slot.type)
                return .alternatives(values.flatMap { v in v.phrases.map { p in b.phrase(p, origin: b.registryOrigin("device", v.value, p)) } })
            }
        case .area:
            let allowed = targetChoices.map { Set($0.areas) }
            let key = "slot_area" + (intent.target.map { "_" + $0.capability.rawValue } ?? "")
            return reference(key) { b in
                let values = b.vocabulary.values(for: .area).filter { allowed == nil || allowed!.contains($0.value.id ?? "") }
                return .alternatives(values.flatMap { v in v.phrases.map { p in b.phrase(p, origin: b.registryOrigin("area", v.value, p)) } })
            }
        case .domain:
            let allowed = targetChoices.map { Set($0.areaDomains.map(\.domain.rawValue) + $0.domains.map(\.rawValue)) }
            let key = "slot_domain" + (intent.target.map { "_" + $0.capability.rawValue } ?? "")
            return reference(key) { b in
                let values = b.vocabulary.values(for: .domain).filter { allowed == nil || allowed!.contains($0.value.id ?? "") }
                return .alternatives(values.flatMap { v in v.phrases.map { p in b.phrase(p, origin: "catalog domain \(v.value) word '\(p)'") } })
            }
        case .scene:
            return reference("slot_scene") { b in
                .alternatives(b.vocabulary.values(for: .scene).flatMap { v in v.phrases.map { p in b.phrase(p, origin: b.registryOrigin("scene", v.value, p)) } })
            }
        case .color:
            return reference("slot_color") { b in
                .alternatives(b.vocabulary.values(for: .color).flatMap { v in v.phrases.map { p in b.phrase(p, origin: "catalog colour \(v.value) phrase '\(p)'") } })
            }
        case .enumeration:
            return reference("slot_" + Self.sanitize(intent.name) + "_" + Self.sanitize(name)) { b in
                .alternatives(b.vocabulary.values(for: slot.type).flatMap { v in
                    v.phrases.map { p in b.phrase(p, origin: "\(Self.short(slot.location)) (\(intent.name) {\(name)} value \(v.value) phrase '\(p)')") }
                })
            }
        case .percent, .temperature, .colorTemp, .duration, .number:
            let range = slot.type.numericRange!
            let key = "slot_\(slot.type.name)_\(Self.sanitize(range.min.description))_\(Self.sanitize(range.max.description))"
                + (range.step.tenths == 10 ? "" : "_step_" + Self.sanitize(range.step.description))
            return reference(key) { b in
                .alternatives(b.vocabulary.values(for: slot.type).flatMap { v in
                    v.phrases.map { p in b.phrase(p, origin: "catalog \(slot.type.name) value \(v.value) phrase '\(p)'") }
                })
            }
        }
    }

    /// "device living_room.speaker alias 'sonos'" / "area bedroom name 'bedroom'".
    private func registryOrigin(_ kind: String, _ value: SlotValue, _ phrase: String) -> String {
        let id = value.id ?? value.description
        let name: String?
        switch kind {
        case "device": name = registry.device(id: id)?.name
        case "area": name = registry.area(id: id)?.name
        default: name = registry.scene(id: id)?.name
        }
        let isName = name.map { $0.lowercased().split(whereSeparator: \.isWhitespace).joined(separator: " ") == phrase } ?? false
        return "\(kind) \(id) \(isName ? "name" : "alias") '\(phrase)'"
    }

    /// True when some text piece is glued to a neighbouring group, slot or rule without a space
    /// and both sides end in letters ("light[s]"), which a word grammar cannot express.
    private func gluesWords(_ node: TemplateNode) -> Bool {
        switch node {
        case .text, .slot, .rule: return false
        case let .alternatives(items): return items.contains(where: gluesWords)
        case let .optional(inner): return gluesWords(inner)
        case let .sequence(items):
            if items.contains(where: gluesWords) { return true }
            for (a, b) in zip(items, items.dropFirst()) where Self.mayEndInLetter(a) && Self.mayStartWithLetter(b) { return true }
            return false
        }
    }

    private static func mayStartWithLetter(_ node: TemplateNode) -> Bool {
        switch node {
        case let .text(t): return t.first.map { $0.isLetter || $0.isNumber } ?? false
        case .slot, .rule: return true
        case let .sequence(items): return items.first.map(mayStartWithLetter) ?? false
        case let .alternatives(items): return items.contains(where: mayStartWithLetter)
        case let .optional(inner): return mayStartWithLetter(inner)
        }
    }

    private static func mayEndInLetter(_ node: TemplateNode) -> Bool {
        switch node {
        case let .text(t): return t.last.map { $0.isLetter || $0.isNumber } ?? false
        case .slot, .rule: return true
        case let .sequence(items): return items.last.map(mayEndInLetter) ?? false
        case let .alternatives(items): return items.contains(where: mayEndInLetter)
        case let .optional(inner): return mayEndInLetter(inner)
        }
    }
}
