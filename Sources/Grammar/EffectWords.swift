import Intents

/// Reads what a "make <target> <effect>" command asks its target to do ("make the rope light
/// twinkle", "make the desk lamp blink twice"), and finds when no word of that effect is a word
/// any action of the catalog is asked with. Lights that dance, twinkle or shimmer are features
/// real devices have and the catalog lacks; the grammar makes the model choose some action the
/// light can do, so without this check such a command brightens the light.
///
/// The words that count as asking for an action are the literal words of every acting intent's
/// catalog templates, keywords and named values (colours, tones, speeds), of its training-only
/// phrasings ("make it cosier"). A number after the target is a value to set, so such commands
/// are left alone. Words that apply to anything (`CapabilityWords`'s general words: "go", "be",
/// "like") and the polite words and fillers around a command ("cheers") say nothing either way.
public struct EffectWords: Sendable {
    /// Words some acting intent is asked with (lowercased, apostrophes dropped).
    let actionWords: Set<String>
    /// The home's device, area and scene names and the domain words, as words.
    let names: [[String]]

    /// Words between "make" and its target's name, or standing for the target.
    static let targetWords: Set<String> = ["the", "my", "our", "your", "this", "that", "these", "those", "all", "both",
                                           "of", "in", "it", "them", "everything", "a"]

    /// Digits ("21", "4000k") and number words ("twenty", "half").
    static func isNumber(_ word: String) -> Bool {
        word.first?.isNumber == true || numberWords.contains(word)
    }

    static let numberWords: Set<String> = {
        var words: Set<String> = ["hundred", "half", "quarter"]
        for n in 0...100 { words.formUnion(NumberWords.words(n).map(MentionEvidence.words) ?? []) }
        return words
    }()

    public init(catalog: Catalog, registry: Registry) {
        var words = Set<String>()
        for intent in catalog.intents where intent.name != Catalog.noneIntent {
            words.formUnion(intent.keywords)
            for template in intent.templates { CapabilityWords.collectWords(template.root, into: &words) }
            words.formUnion(TrainingPhrasing.words(of: intent.name))
            for slot in intent.slots {
                if case .enumeration(let values) = slot.type { words.formUnion(values.flatMap { $0.phrases.flatMap(MentionEvidence.words) }) }
            }
        }
        words.formUnion((catalog.colors.flatMap(\.phrases) + catalog.colorTemperatures.flatMap(\.phrases)).flatMap(MentionEvidence.words))
        actionWords = words
        let domainWords = catalog.domainPhrases.values.flatMap { $0.map(MentionEvidence.words) }
        names = Array(MentionEvidence.nameWords(registry).union(domainWords.filter { !$0.isEmpty }))
    }

    /// What a command asks its target to become or play when none of those words asks for an
    /// action of the catalog (misspellings of such words allowed), else nil:
    /// - "make <target> <effect>": "make the rope light twinkle";
    /// - "(put|set|turn|switch) <target> (on|to|into) <setting>": "put the lights on a rainbow
    ///   cycle", "set the heater to eco";
    /// - "play <content>", "put on <content>": "put on some abba on the jukebox".
    /// A number in an effect or setting is a value to set ("make it 21", "make the lamp 4000k"),
    /// so such commands are left alone, as are commands with no target after the verb ("make
    /// sure", "make coffee") or nothing after the target.
    public func unknownEffect(in command: String) -> String? {
        let words = MentionEvidence.words(command)
        let named = MentionEvidence.covered(words, by: names)
        for verb in words.indices where Self.settingVerbs.contains(words[verb]) {
            var end = verb + 1
            var target = false
            while end < words.count, named[end] || Self.targetWords.contains(words[end]) {
                if named[end] || ["it", "them", "everything"].contains(words[end]) { target = true }
                end += 1
            }
            guard target, end < words.count else { continue }
            if words[verb] != "make" {
                guard ["on", "to", "into", "onto"].contains(words[end]) else { continue }
                end += 1
            }
            if words[end...].contains(where: Self.isNumber) { continue }
            if let effect = unknownWords(words, named: named, from: end) { return effect }
        }
        for verb in words.indices where words[verb] == "play" || (words[verb] == "put" && words.dropFirst(verb + 1).first == "on") {
            if let content = unknownWords(words, named: named, from: verb + (words[verb] == "play" ? 1 : 2)) { return content }
        }
        return nil
    }

    /// Verbs that take a target and then what it should become.
    static let settingVerbs: Set<String> = ["make", "put", "set", "turn", "switch"]

    /// The words of `words[from...]` outside the home's names, general words and polite words,
    /// joined, when there are some and none of them asks for an action; else nil.
    func unknownWords(_ words: [String], named: [Bool], from: Int) -> String? {
        guard from < words.count else { return nil }
        let rest = words.indices[from...].filter { !named[$0] }.map { words[$0] }
            .filter { !CapabilityWords.generalWords.contains($0) && !TrainingPhrasing.wrapperWords.contains($0) }
        func asksForAction(_ word: String) -> Bool {
            actionWords.contains(word) || Self.isNumber(word)
                || (word.count >= 4 && actionWords.contains { $0.count >= 4 && MentionEvidence.resembles(word, $0) })
        }
        guard !rest.isEmpty, !rest.contains(where: asksForAction) else { return nil }
        return rest.joined(separator: " ")
    }
}
