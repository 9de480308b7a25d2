import Foundation
import Intents

/// Words that ask for what only some devices can do, from the catalog: each intent's `keywords`
/// ("dim", "louder", "degrees") and its colour names and "kelvin" ask for the intent's capability.
/// The grammar only lets the model choose actions the target can do, so "dim the porch light" on
/// an on/off light can only come out as something else (`turn_off`); this check refuses such an
/// action when the command says a word that asks for another capability and no word that asks
/// for the chosen one (any word of the chosen intent's templates, keywords, values or answer).
///
/// Words inside the registry's names and the domain words never count ("dimmer switch", "play
/// room"), nor do general words (`generalWords`) or the on/off intents' words.
public struct CapabilityWords: Sendable {
    /// What an intent needs: its target's capability, or the intent itself when it has none.
    public typealias Need = String

    /// Words that ask for these needs and argue against an action of any other.
    public let asking: [String: Set<Need>]
    /// Words that argue for an action of these needs (never against one).
    public let supporting: [String: Set<Need>]
    /// The registry's device, area and scene names and the domain words, as words: a command's
    /// words inside one of them never count.
    let names: [[String]]
    /// What each intent of the catalog needs (`none` left out).
    let intentNeeds: [String: Need]
    /// The queries (intents with a spoken response), with the words that say their topic: the
    /// words of every intent of the same need (catalog and training phrasings), less general
    /// words; for on/off queries, `stateWords`. "how humid is the loft" says none for
    /// `query_temperature`.
    let queryWords: [String: Set<String>]
    /// The capabilities whose actions take a percentage (brightness, position, volume): what a
    /// percentage said asks a named device for ("set the floodlight to forty percent").
    let percentCapabilities: Set<Capability>

    /// Closed-class words and verbs that apply to any device ("start", "set"): never a request
    /// for one capability, whatever templates they appear in.
    static let generalWords: Set<String> = [
        "a", "an", "the", "this", "that", "these", "those", "it", "its", "i", "me", "my", "you", "your",
        "we", "our", "us", "he", "she", "they", "them", "someone", "something", "what", "whats", "how", "who",
        "when", "where", "which", "is", "are", "be", "was", "were", "do", "does", "did", "can", "could", "would",
        "will", "should", "may", "might", "must", "want", "need", "like", "please", "to", "at", "in", "on", "of",
        "for", "by", "with", "from", "into", "onto", "through", "and", "or", "but", "so", "now",
        "all", "every", "everything", "some", "any", "time", "mode", "start", "stop", "run", "go", "get", "set",
        "make", "change", "put", "bring", "adjust", "keep", "let", "show", "say", "read", "sure", "enable",
        "activate", "turn", "switch",
    ]

    /// Words that ask whether something is on ("is the pump running", "status of the fan").
    static let stateWords: Set<String> = ["on", "off", "running", "run", "status", "state", "switched", "going", "powered",
                                          "left", "leave", "active"]

    /// General verbs that still say a query's topic when its phrasings use them ("what does the
    /// den say" asks what its thermometer reads).
    static let readingVerbs: Set<String> = ["say", "read", "show"]

    public init(catalog: Catalog, registry: Registry) {
        var asking: [String: Set<Need>] = [:]
        var supporting: [String: Set<Need>] = [:]
        var neutral = Self.generalWords
        var intentNeeds: [String: Need] = [:]
        var queryNeeds: [String: Need] = [:]
        var phrasing: [Need: Set<String>] = [:]
        for intent in catalog.intents where intent.name != Catalog.noneIntent {
            let need = Self.need(of: intent)
            intentNeeds[intent.name] = need
            if intent.response != nil, need != Capability.onOff.rawValue { queryNeeds[intent.name] = need }
            phrasing[need, default: []].formUnion(TrainingPhrasing.words(of: intent.name))
            var asks = Set(intent.keywords)
            var words = asks
            for template in intent.templates { Self.collectWords(template.root, into: &words) }
            // What a query answers with is its topic ("It is {temperature} degrees").
            if let response = intent.response {
                words.formUnion(MentionEvidence.words(response.source.replacing(/\{[^}]*\}/, with: " ")))
            }
            for slot in intent.slots {
                switch slot.type {
                case .color:
                    asks.formUnion(catalog.colors.flatMap { $0.phrases.flatMap(MentionEvidence.words) })
                case .colorTemp:
                    // Named tones only argue for ("let some daylight in" opens blinds); kelvin asks.
                    asks.insert("kelvin")
                    words.formUnion(catalog.colorTemperatures.flatMap { $0.phrases.flatMap(MentionEvidence.words) })
                default: break
                }
            }
            words.formUnion(asks)
            if need == Capability.onOff.rawValue { neutral.formUnion(words.subtracting(asks)) }
            for word in asks { asking[word, default: []].insert(need) }
            for word in words { supporting[word, default: []].insert(need) }
        }
        // Training-only phrasings argue for their intents too ("close the blinds to 20 percent").
        for (need, words) in phrasing where need != Capability.onOff.rawValue {
            for word in words { supporting[word, default: []].insert(need) }
        }
        for word in neutral { supporting[word] = nil }
        for word in Self.generalWords { asking[word] = nil }
        self.asking = asking
        self.supporting = supporting
        self.intentNeeds = intentNeeds
        percentCapabilities = Set(catalog.intents.filter { intent in
            intent.slots.contains { if case .percent = $0.type { return true } else { return false } }
        }.compactMap { Capability(rawValue: Self.need(of: $0)) })
        var queryWords = queryNeeds.mapValues { need in
            var words = phrasing[need, default: []]
            for (word, needs) in supporting where needs.contains(need) { words.insert(word) }
            return words.subtracting(Self.generalWords.subtracting(Self.readingVerbs))
        }
        // An on/off query's topic is said in general words ("on", "off", "running"), so it gets
        // its own list; it is read only when the command has words no action is asked with ("is
        // the desk lamp connected").
        for intent in catalog.intents where intent.response != nil && Self.need(of: intent) == Capability.onOff.rawValue {
            queryWords[intent.name] = Self.stateWords
        }
        self.queryWords = queryWords
        names = Self.namesAndDomainWords(catalog: catalog, registry: registry)
    }

    /// The registry's device, area and scene names and the catalog's domain words, as words: the
    /// parts of a command that name what it acts on rather than what it asks.
    static func namesAndDomainWords(catalog: Catalog, registry: Registry) -> [[String]] {
        let domainWords = catalog.domainPhrases.values.flatMap { $0.map(MentionEvidence.words) }
        return Array(MentionEvidence.nameWords(registry).union(domainWords.filter { !$0.isEmpty }))
    }

    /// The literal words of a template (not of the rules it references, nor slot values).
    static func collectWords(_ node: TemplateNode, into words: inout Set<String>) {
        switch node {
        case let .text(text): words.formUnion(MentionEvidence.words(text))
        case let .sequence(items), let .alternatives(items): for item in items { collectWords(item, into: &words) }
        case let .optional(item): collectWords(item, into: &words)
        case .slot, .rule: break
        }
    }

    /// What `intent` needs of its target.
    static func need(of intent: Intent) -> Need {
        if let target = intent.target { return target.capability.rawValue }
        for slot in intent.slots {
            if case .device(let capability) = slot.type { return capability.rawValue }
        }
        return "intent:\(intent.name)"
    }

    /// The command's words outside the home's names and domain words.
    func requestWords(_ command: String) -> [String] {
        let words = MentionEvidence.words(command)
        let named = MentionEvidence.covered(words, by: names)
        return words.indices.filter { !named[$0] }.map { words[$0] }
    }

    /// The capabilities the command's keywords ask for ("set the ecobee to 20 degrees": setpoint).
    /// A percentage said ("forty percent", "30%") asks for the capabilities that take one.
    public func askedCapabilities(_ command: String) -> Set<Capability> {
        var asked = Set(requestWords(command).flatMap { asking[$0] ?? [] }.compactMap(Capability.init(rawValue:)))
        if Self.saysPercentage(command) { asked.formUnion(percentCapabilities) }
        return asked
    }

    /// Whether the command says a number as a percentage: "%" or "percent" ("per cent") after it.
    static func saysPercentage(_ command: String) -> Bool {
        let words = MentionEvidence.words(command.replacing("%", with: " percent "))
        return words.indices.dropFirst().contains { i in
            let unit = words[i] == "percent" || (words[i] == "per" && i + 1 < words.count && words[i + 1] == "cent")
            return unit && MentionEvidence.saysNumber(before: i, in: words, within: 4)
        }
    }

    /// Verbs that, opening a command, ask to work a device however it works ("start the
    /// extractor", "stop the dryer"): general words, so they ask for no one capability, but they do
    /// ask the named device to do something.
    static let operatingVerbs: Set<String> = ["start", "stop", "run"]
    /// Verbs that switch something with "on" or "off" ("turn the dehumidifier on").
    static let switchingVerbs: Set<String> = ["turn", "switch", "power", "shut"]

    /// Verbs that work a device with "up" or "down" after them ("power up the record player",
    /// "warm up the towel rail", "shut down the treadmill").
    static let phrasalVerbs: Set<String> = ["power", "fire", "boot", "warm", "heat", "shut", "wind"]

    /// Whether the command asks a device to work or stop without a capability's keyword: it opens
    /// with "start", "stop" or "run"; with "turn", "switch", "power" or "shut" and says "on" or
    /// "off"; or with "power up", "warm up", "shut down" and the like.
    public func asksToOperate(_ command: String) -> Bool {
        let words = MentionEvidence.words(command).drop(while: { TrainingPhrasing.wrapperWords.contains($0) && !Self.operatingVerbs.contains($0) })
        guard let first = words.first else { return false }
        let second = words.dropFirst().first
        return Self.operatingVerbs.contains(first) || (Self.switchingVerbs.contains(first) && (words.contains("on") || words.contains("off")))
            || (Self.phrasalVerbs.contains(first) && (second == "up" || second == "down"))
    }

    /// Why `action` does not do what `command` asks, or nil: the command says a word that asks
    /// for another capability and none that argues for the action's.
    public func mismatch(command: String, action: CanonicalAction) -> String? {
        guard let need = intentNeeds[action.intent] else { return nil }
        var against: (word: String, needs: Set<Need>)?
        for word in requestWords(command) {
            if supporting[word]?.contains(need) == true { return nil }
            if against == nil, let needs = asking[word] { against = (word, needs) }
        }
        guard let against else { return nil }
        let wanted = against.needs.sorted().joined(separator: " or ")
        return "'\(against.word)' asks for \(wanted), which \(action.intent) does not do; nothing done"
    }

    /// Why `action`, a query, does not answer `command`, or nil: the command says no word of the
    /// query's topic (`queryWords`: "warm", "temp", "locked"; misspelt too) and does not name the
    /// device or the kind of device it asks ("the den thermostat"). The grammar makes the model
    /// choose among the queries the catalog has, so "how humid is the loft" would otherwise read
    /// the temperature.
    ///
    /// A query on a device or a domain the command names answers what that kind of device reads
    /// ("what does the weather station say"), unless the command also has words that no action is
    /// asked with (`unexplained`: "is the weather station battery low").
    public func unaskedQuery(command: String, action: CanonicalAction, unexplained: [String] = []) -> String? {
        guard let words = queryWords[action.intent] else { return nil }
        if action.slots["device"] != nil || action.slots["domain"] != nil, unexplained.isEmpty { return nil }
        // Misspelt topic words count ("tempp"), but not short words one letter apart ("how", "hot").
        func says(_ w: String) -> Bool { words.contains(w) || words.contains { max(w.count, $0.count) >= 4 && MentionEvidence.resembles(w, $0) } }
        if requestWords(command).contains(where: { (!Self.generalWords.contains($0) || Self.readingVerbs.contains($0) || Self.stateWords.contains($0)) && says($0) }) {
            return nil
        }
        let topic = intentNeeds[action.intent].map { $0.replacing("_", with: " ") } ?? action.intent
        return "the command does not ask about \(topic), which \(action.intent) answers; nothing done"
    }
}
