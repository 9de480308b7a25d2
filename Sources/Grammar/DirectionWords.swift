import Intents

/// Opposite actions (open and close, lock and unlock, on and off, play and pause) and the words
/// that say which of the two a command asks for. When the model chose one and the command says
/// only the other's words ("can you close up the skylight" → `open_cover`, misled by "up"), the
/// action is the other one, on the same target: doing the opposite of what was said is the worst
/// answer a parser can give.
///
/// The words are those that can mean nothing else: "open" and "close" or "shut", "lock" and
/// "unlock", "play" or "resume" and "pause". "on" says `turn_on` only as the command's last word
/// (polite words after it aside: "pop the kettle on please"), since elsewhere it mostly says where
/// ("the lights on the porch"); "off" says `turn_off` anywhere; "lock" says `lock` only as the
/// command's verb, first after the polite words (it is a noun in "open the lock"). Names are not read: "the open plan
/// lights" says nothing. It assumes lowercased words as `MentionEvidence.words` spells them.
public struct DirectionWords: Sendable {
    /// Each pair of opposite intents with the words that ask for each.
    static let pairs: [(first: String, firstWords: Set<String>, second: String, secondWords: Set<String>)] = [
        ("open_cover", ["open"], "close_cover", ["close", "shut"]),
        ("lock", ["lock"], "unlock", ["unlock"]),
        ("media_play", ["play", "resume", "unpause"], "media_pause", ["pause"]),
        ("turn_on", ["on"], "turn_off", ["off"]),
    ]
    /// Words that may follow a final "on" ("heater on please").
    static let trailing: Set<String> = ["please", "now", "thanks", "thank", "you", "cheers", "for", "me", "again", "too"]

    /// The home's device, area and scene names and the domain words, as words.
    let names: [[String]]

    public init(catalog: Catalog, registry: Registry) {
        names = CapabilityWords.namesAndDomainWords(catalog: catalog, registry: registry)
    }

    /// The intent opposite to `intent` when the command says only the opposite's words, else nil.
    public func opposite(of intent: String, in command: String) -> String? {
        let words = MentionEvidence.words(command)
        let named = MentionEvidence.covered(words, by: names)
        var said = Set(words.indices.filter { !named[$0] }.map { words[$0] })
        // "on" as the last word, polite words aside, asks for on.
        if let last = words.indices.last(where: { !Self.trailing.contains(words[$0]) }), words[last] == "on", !named[last] {
            said.insert("on")
        } else {
            said.remove("on")
        }
        // "lock" is also a noun ("open the lock"): it asks to lock only as the command's verb.
        if words.first(where: { !TrainingPhrasing.wrapperWords.contains($0) }) != "lock" { said.remove("lock") }
        for pair in Self.pairs {
            let saysFirst = !said.isDisjoint(with: pair.firstWords), saysSecond = !said.isDisjoint(with: pair.secondWords)
            if intent == pair.first, saysSecond, !saysFirst { return pair.second }
            if intent == pair.second, saysFirst, !saysSecond { return pair.first }
        }
        return nil
    }
}
