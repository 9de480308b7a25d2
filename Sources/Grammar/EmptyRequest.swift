import Intents

/// Finds a command that asks nothing, or names nothing to act on: a device or room named alone
/// ("the floor lamp", "floor lamp please"), or "on", "off" and "turn it off" with no target. The
/// model still picks an action (the lamp on; the site's plugs off), but the command gives no reason
/// for it, so it is refused. A scene named alone is a command ("movie night") and is not read here;
/// nor is a kind of device named alone ("lights please"), whose word may be a verb ("light the fire").
/// It assumes lowercased words as `MentionEvidence.words` spells them.
public struct EmptyRequest: Sendable {
    /// The home's device and area names, as words (not scenes).
    let names: [[String]]
    /// The names and the catalog's domain words ("lights"), as words.
    let targets: [[String]]
    /// The catalog's acting intents that switch something on or off (`turn_on`, `turn_off`).
    let switchingIntents: Set<String>

    /// Words that ask nothing: polite openings and endings, fillers, determiners.
    static let emptyWords: Set<String> = TrainingPhrasing.wrapperWords.union(["the", "a", "an", "my", "our", "your", "all"])
    /// Words of switching something on or off, and the pronouns that stand for a target.
    static let switchingWords: Set<String> = ["turn", "switch", "power", "shut", "on", "off", "it", "that", "this", "them",
                                              "everything", "stuff", "things", "back"]

    public init(catalog: Catalog, registry: Registry) {
        let phrases = Set((registry.devices.map(\.phrases) + registry.areas.map(\.phrases)).joined().map(MentionEvidence.words))
        names = Array(phrases).filter { !$0.isEmpty }
        targets = Array(phrases.union(catalog.domainPhrases.values.joined().map(MentionEvidence.words))).filter { !$0.isEmpty }
        switchingIntents = Set(catalog.intents.filter { $0.response == nil && $0.target?.capability == .onOff }.map(\.name))
    }

    /// Why `action` is not asked for by `command`, or nil: the command names a device, room or
    /// kind of device and says nothing else; or `action` switches a kind of device on or off and the
    /// command says no more than "turn it on".
    public func reason(command: String, action: CanonicalAction) -> String? {
        guard action.slots["scene"] == nil else { return nil }
        let words = MentionEvidence.words(command)
        let named = MentionEvidence.covered(words, by: names)
        // One name said once: "bolt the bolt" said as "bolt bolt" says a verb too.
        let namedWords = words.indices.filter { named[$0] }.map { words[$0] }
        if names.contains(namedWords), words.indices.allSatisfy({ named[$0] || Self.emptyWords.contains(words[$0]) }) {
            return "the command names \(namedWords.joined(separator: " ")) and asks nothing of it; nothing done"
        }
        // A domain word ("lights on") says what to switch; a word that sounds like one as a verb
        // ("light the beacon") is a name above.
        let targeted = MentionEvidence.covered(words, by: targets)
        if switchingIntents.contains(action.intent), action.slots["device"] == nil, action.slots["area"] == nil,
           !targeted.contains(true), words.allSatisfy({ Self.emptyWords.contains($0) || Self.switchingWords.contains($0) }) {
            return "the command does not say what to switch; nothing done"
        }
        return nil
    }
}
