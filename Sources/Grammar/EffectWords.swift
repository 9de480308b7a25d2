import Intents

/// Reads what a command asks its target to do or become, where the words of that request stand
/// ("make the rope light twinkle", "put the lights on a rainbow cycle", "put on some abba", "turn
/// on subtitles on the projector"), and finds when none of them is a word any action of the
/// catalog is asked with. Such effects, settings and media content are features real devices have
/// and the catalog lacks; the grammar makes the model choose some action the device can do, so
/// without this check such a command brightens the light or turns the projector on.
///
/// The words that count as asking for an action are the literal words of every intent's (queries too)
/// catalog templates, keywords and named values (colours, tones, speeds) and of its training-only
/// phrasings ("make it cosier"), with their "-ing" forms. A number in the request is a value to
/// set, so such commands are left alone. Words that apply to anything (`CapabilityWords`'s general
/// words: "go", "be", "like") and the polite words and fillers around a command ("cheers") say
/// nothing either way. It assumes lowercased words as `MentionEvidence.words` spells them.
public struct EffectWords: Sendable {
    /// Words some intent is asked with, queries included (lowercased, apostrophes dropped).
    let actionWords: Set<String>
    /// The home's device, area and scene names and the domain words, as words.
    let names: [[String]]
    /// The home's device names and aliases, as words.
    let deviceNames: [[String]]
    /// Words of the home's names and the domain words, which a misspelt word may stand for.
    let nameWords: [String]
    /// The polite words and fillers around a command, which a misspelt word may stand for.
    let politeWords: [String]

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
        words.formUnion(TrainingPhrasing.gerundWords)
        words.formUnion((catalog.colors.flatMap(\.phrases) + catalog.colorTemperatures.flatMap(\.phrases)).flatMap(MentionEvidence.words))
        actionWords = words
        names = CapabilityWords.namesAndDomainWords(catalog: catalog, registry: registry)
        deviceNames = registry.devices.flatMap { $0.phrases.map(MentionEvidence.words) }.filter { !$0.isEmpty }
        nameWords = Array(Set(names.flatMap { $0 })).sorted()
        politeWords = TrainingPhrasing.wrapperWords.filter { $0.count >= 4 }.sorted()
    }

    /// What a command asks its target to become or play when none of those words asks for an
    /// action of the catalog (misspellings of such words allowed), else nil:
    /// - "make <target> <effect>": "make the rope light twinkle";
    /// - "(put|set|turn|switch) <target> (on|to|into) <setting>": "put the lights on a rainbow
    ///   cycle", "set the heater to eco", and the same without the verb ("desk fan on eco");
    /// - "play <content>", "put on <content>": "put on some abba on the jukebox";
    /// - "<request> (on|of|from|for|with) the <device>": "turn on subtitles on the projector",
    ///   "next station on the radio", "what's the air pressure on the barometer".
    /// A number in an effect or setting is a value to set ("make it 21", "make the lamp 4000k"),
    /// so such commands are left alone, as are commands with no target after the verb ("make
    /// sure", "make coffee") or nothing after the target.
    public func unknownEffect(in command: String) -> String? {
        let words = MentionEvidence.words(command)
        let named = MentionEvidence.covered(words, by: names)
        // A command may open with its target and leave the verb out ("desk fan on eco"): the
        // target then starts at the first word, as if after "set".
        let verbs = words.indices.filter { Self.settingVerbs.contains(words[$0]) } + (named.first == true ? [-1] : [])
        for verb in verbs {
            var end = verb + 1
            var target = false
            while end < words.count, named[end] || Self.targetWords.contains(words[end]) {
                if named[end] || ["it", "them", "everything"].contains(words[end]) { target = true }
                end += 1
            }
            guard target, end < words.count else { continue }
            if verb < 0 || words[verb] != "make" {
                guard ["on", "to", "into", "onto"].contains(words[end]) else { continue }
                end += 1
                // "on for the tomatoes", "on so i can see": a purpose, not a setting.
                if end < words.count, Self.purposeWords.contains(words[end]) { continue }
            }
            if words[end...].contains(where: Self.isNumber) { continue }
            if let effect = unknownWords(words, named: named, from: end) { return effect }
        }
        for verb in words.indices where words[verb] == "play" || (words[verb] == "put" && words.dropFirst(verb + 1).first == "on") {
            if let content = unknownWords(words, named: named, from: verb + (words[verb] == "play" ? 1 : 2)) { return content }
        }
        // "<request> on the <device>": what is asked of the device stands before it.
        for at in words.indices.dropFirst() where Self.ofDevice.contains(words[at]) {
            var next = at + 1
            while next < words.count, ["the", "my", "our"].contains(words[next]) { next += 1 }
            guard next < words.count, deviceNames.contains(where: { Array(words.dropFirst(next).prefix($0.count)) == $0 }) else { continue }
            if words[..<at].contains(where: Self.isNumber) { continue }
            if let request = unknownWords(Array(words[..<at]), named: Array(named[..<at]), from: 0) { return request }
        }
        return nil
    }

    /// Operations that players, fans and alarms commonly have, in the words people ask for them
    /// with: skipping and seeking, changing channel, shuffling, recording, snoozing, oscillating. A
    /// command that asks for one ("skip this song on the soundbar", "snooze the clock radio") gets
    /// no action unless the catalog has an action asked with that word.
    static let deviceOperations: Set<String> = [
        "skip", "rewind", "forward", "previous", "channel", "mute", "unmute", "shuffle", "repeat", "snooze", "record",
        "recording", "oscillate", "oscillating", "oscillation", "swivel", "rotate", "rotating", "cancel", "undo",
    ]

    /// A word of `deviceOperations` the command says outside the home's names when no action of
    /// the catalog is asked with it, else nil. "next" is one ("next song on the radio") unless a
    /// place follows it ("the lamp next to the bed"); so is a number of seconds ("go back thirty
    /// seconds"), which no action takes.
    public func unsupportedOperation(in command: String) -> String? {
        let words = MentionEvidence.words(command)
        let named = MentionEvidence.covered(words, by: names)
        func asksOperation(_ i: Int) -> Bool {
            words[i] == "next" ? i + 1 < words.count && words[i + 1] != "to" : Self.deviceOperations.contains(words[i])
        }
        if let operation = words.indices.first(where: { !named[$0] && asksOperation($0) && !actionWords.contains(words[$0]) }) {
            return words[operation]
        }
        if let unit = words.indices.dropFirst().first(where: { ["seconds", "secs"].contains(words[$0]) }),
           MentionEvidence.saysNumber(before: unit, in: words, within: 3) {
            return words[max(0, unit - 1)...unit].joined(separator: " ")
        }
        return nil
    }

    /// Words that join a request to the device it is made of ("next station on the radio").
    static let ofDevice: Set<String> = ["on", "of", "from", "for", "with"]

    /// Words that, after "on" or "off", say why rather than what ("switch the pump on for the
    /// tomatoes").
    static let purposeWords: Set<String> = ["for", "so", "because", "while", "as", "since", "please"]

    /// Verbs that take a target and then what it should become.
    static let settingVerbs: Set<String> = ["make", "put", "set", "turn", "switch"]

    /// The words of `words[from...]` outside the home's names, general words and polite words,
    /// joined, when there are some and none of them asks for an action; else nil.
    func unknownWords(_ words: [String], named: [Bool], from: Int) -> String? {
        guard from < words.count else { return nil }
        let rest = words.indices[from...].filter { !named[$0] }.map { words[$0] }.filter(isContentWord)
        guard !rest.isEmpty, !rest.contains(where: explained) else { return nil }
        return rest.joined(separator: " ")
    }

    /// The command's words that are outside the home's names, general words and polite words and
    /// ask for no action of the catalog ("much energy using" in "how much energy is the slow cooker
    /// using"), in order; empty when every word is accounted for.
    public func unexplainedWords(in command: String) -> [String] {
        let words = MentionEvidence.words(command)
        let named = MentionEvidence.covered(words, by: names)
        return words.indices.filter { !named[$0] }.map { words[$0] }.filter { isContentWord($0) && !explained($0) }
    }

    /// Whether a word outside the names may say something: not a general or polite word.
    private func isContentWord(_ word: String) -> Bool {
        !CapabilityWords.generalWords.contains(word) && !TrainingPhrasing.wrapperWords.contains(word)
    }

    /// Whether a word asks for an action, is a number, or is a misspelling of an action word
    /// ("brigter"), a name ("kitchin") or a polite word ("harkk"). A word of a name said without
    /// the rest of the name ("air" of "air conditioning") is not explained by it; a misspelt name
    /// is only taken as one when the word is long enough not to be another word one letter away
    /// ("blink" is not "blind").
    private func explained(_ word: String) -> Bool {
        if actionWords.contains(word) || Self.isNumber(word) { return true }
        if actionWords.contains(where: { $0.count >= 4 && MentionEvidence.resembles(word, $0) })
            || politeWords.contains(where: { MentionEvidence.resembles(word, $0) }) { return true }
        return word.count >= 6 && nameWords.contains { $0 != word && MentionEvidence.resembles(word, $0) }
    }
}
