import Intents

/// Reads which kinds of device (domains) a command names in the catalog's domain words ("the
/// heater", "lights", "the music") outside the home's own names, and finds an action on an area or
/// a domain that reaches no device of those kinds. "turn the cabin heater on" in a home whose cabin has a fan
/// and no heater is not a command for the cabin's fan; the grammar lets the model pick only
/// domains an area has, so without this check it would choose the nearest one.
///
/// A domain word inside a device's or area's name ("patio heater", "light room") names that thing
/// and says no domain. A domain word names a kind of device only where a target stands: first in
/// the command, or after a determiner or an area's name ("the heater", "cabin heater", "lights
/// off"); "let some light in" asks for daylight, not lights. It assumes lowercased words as
/// `MentionEvidence.words` spells them.
public struct DomainWords: Sendable {
    /// Each domain word or phrase, as words, with its domain.
    let phrases: [(words: [String], domain: Domain)]
    /// The home's device, area and scene names, as words.
    let names: [[String]]
    /// Words of the home's area names.
    let areaWords: Set<String>

    /// Words before a domain word that make it a target.
    static let determiners: Set<String> = ["the", "my", "our", "all", "these", "those", "every", "both", "your"]

    public init(catalog: Catalog, registry: Registry) {
        phrases = catalog.domainPhrases.flatMap { domain, list in list.map { (MentionEvidence.words($0), domain) } }
            .filter { !$0.words.isEmpty }
            .sorted { ($0.words.count, $0.words.joined(separator: " ")) > ($1.words.count, $1.words.joined(separator: " ")) }
        names = Array(MentionEvidence.nameWords(registry))
        areaWords = Set(registry.areas.flatMap { ($0.phrases + [$0.id]).flatMap(MentionEvidence.words) })
    }

    /// The domains the command names outside the home's names, in the command's order, with the
    /// words that name them.
    public func said(in command: String) -> [(domain: Domain, words: String)] {
        let words = MentionEvidence.words(command)
        let named = MentionEvidence.covered(words, by: names)
        var found: [(at: Int, domain: Domain, words: String)] = []
        for phrase in phrases where !found.contains(where: { $0.domain == phrase.domain }) {
            let at = MentionEvidence.starts(of: phrase.words, in: words).first { start in
                !named[start..<(start + phrase.words.count)].contains(true)
                    && (start == 0 || Self.determiners.contains(words[start - 1]) || areaWords.contains(words[start - 1]))
            }
            if let at { found.append((at, phrase.domain, phrase.words.joined(separator: " "))) }
        }
        return found.sorted { $0.at < $1.at }.map { ($0.domain, $0.words) }
    }

    /// Why `action`, aimed at an area or a domain rather than at a device, is not what `command`
    /// asks, or nil: the command names one or more domains in their words and none of the devices
    /// the action reaches (`devices`) is of them ("the cabin heater" is not `domain=fan`, "the boot
    /// room lights" are not the boot room's dryer).
    public func mismatch(command: String, action: CanonicalAction, devices: [Device]) -> String? {
        guard action.slots["device"] == nil, action.slots["scene"] == nil, !devices.isEmpty else { return nil }
        let named = said(in: command)
        guard let first = named.first, !devices.contains(where: { device in named.contains { $0.domain == device.domain } }) else { return nil }
        let reached = action.slots["domain"]?.id.map { "the \($0) devices" } ?? "devices of other kinds"
        return "the command asks for the \(first.words), and \(action.intent) would reach \(reached); nothing done"
    }
}
