import Intents

/// Finds a command that asks for two things at once ("close the garage door and lock the front
/// door", "turn on the floor lamp and the desk lamp", "switch off the desk lamp, then the bedside
/// lamp"). An action is one intent on one target, so such a command could only be half done; it is
/// refused with the second request named, never half carried out.
///
/// Two things are asked when something the home has (a device, area or scene name, or a domain
/// word) stands before an "and" or "then" and another request follows it: an action verb or
/// another target. "close and lock the front door", "go ahead and turn it off", "oh and the
/// lights", "eighteen and a half" and names with "and" in them ("rise and shine") ask for one.
/// It assumes lowercased words as `MentionEvidence.words` spells them.
public struct CompoundWords: Sendable {
    /// The home's device, area and scene names and the catalog's domain words, as words.
    let targets: [[String]]

    /// Words that join two requests.
    static let joins: Set<String> = ["and", "then"]
    /// Verbs that open a request of their own.
    static let verbs: Set<String> = ["turn", "switch", "lock", "unlock", "open", "close", "shut", "set", "dim", "brighten",
                                     "play", "pause", "resume", "start", "stop", "put", "make", "raise", "lower", "activate",
                                     "run", "kill", "increase", "decrease", "change", "is", "are"]

    public init(catalog: Catalog, registry: Registry) {
        targets = CapabilityWords.namesAndDomainWords(catalog: catalog, registry: registry)
    }

    /// The words of the second request when the command asks for two things, else nil.
    public func secondRequest(in command: String) -> String? {
        let words = MentionEvidence.words(command)
        let named = MentionEvidence.covered(words, by: targets)
        for i in words.indices where Self.joins.contains(words[i]) && !named[i] {
            // "computer, do me a favour and …" is a polite opening, even where "computer" is a name.
            guard named[..<i].contains(true), !words[..<i].allSatisfy(TrainingPhrasing.wrapperWords.contains) else { continue }
            let after = words.indices.dropFirst(i + 1)
            if after.contains(where: { named[$0] || Self.verbs.contains(words[$0]) }) {
                return after.map { words[$0] }.joined(separator: " ")
            }
        }
        return nil
    }
}
