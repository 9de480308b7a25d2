import Intents

/// Finds a common room or device name (`CommonNames`) in a command that this home has no such
/// thing for, outside the home's own names: "unlock the front door" in a home whose only lock is
/// the shed lock is not a command for the shed lock. The model, made to pick a valid action,
/// would otherwise act on the nearest device it knows.
public struct AbsentNames: Sendable {
    /// Common names that are not, and are not inside, any name of this home, nor a domain word
    /// (as words).
    let absent: [[String]]
    /// The home's device, area and scene names, as words. A common name that
    /// overlaps one of them in a command ("master bedroom" where the home has a "bedroom") is
    /// taken as that name, not as something absent; domain words ("music" in "music room") do not
    /// count.
    let present: [[String]]

    public init(catalog: Catalog, registry: Registry) {
        let present = MentionEvidence.nameWords(registry)
        self.present = Array(present)
        let domainWords = Set(catalog.domainPhrases.values.flatMap { $0.map(MentionEvidence.words) })
        var absent = Set<[String]>()
        for name in CommonNames.areas + CommonNames.devices {
            let words = MentionEvidence.words(name)
            guard !words.isEmpty, !domainWords.contains(words),
                  !present.contains(where: { !MentionEvidence.starts(of: words, in: $0).isEmpty }) else { continue }
            absent.insert(words)
        }
        self.absent = absent.sorted { ($0.count, $0.joined()) > ($1.count, $1.joined()) }
    }

    /// The first common name in `command` that this home lacks, outside the home's own names.
    public func absentName(in command: String) -> String? {
        let words = MentionEvidence.words(command)
        let named = MentionEvidence.covered(words, by: present)
        for name in absent where MentionEvidence.starts(of: name, in: words).contains(where: { !named[$0..<($0 + name.count)].contains(true) }) {
            return name.joined(separator: " ")
        }
        return nil
    }
}
