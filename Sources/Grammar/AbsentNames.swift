import Intents

/// Finds a common room or device name (`CommonNames`) in a command that this home has no such
/// thing for, outside the home's own names: "unlock the front door" in a home whose only lock is
/// the shed lock is not a command for the shed lock. The model, made to pick a valid action,
/// would otherwise act on the nearest device it knows.
public struct AbsentNames: Sendable {
    /// Common names that are not, and are not inside, any name of this home, nor a domain word
    /// (as words).
    let absent: [[String]]
    /// The home's device, area and scene names, as words (longest first). A common name that
    /// overlaps one of them in a command ("master bedroom" where the home has a "bedroom") is
    /// taken as that name, not as something absent; domain words ("music" in "music room") do not
    /// count.
    let present: [[String]]

    public init(catalog: Catalog, registry: Registry) {
        var present = Set<[String]>()
        for phrases in registry.devices.map(\.phrases) + registry.areas.map(\.phrases) + registry.scenes.map(\.phrases) {
            for phrase in phrases { present.insert(MentionEvidence.words(phrase)) }
        }
        present.remove([])
        self.present = present.sorted { $0.count > $1.count }
        let domainWords = Set(catalog.domainPhrases.values.flatMap { $0.map(MentionEvidence.words) })
        var absent = Set<[String]>()
        for name in CommonNames.areas + CommonNames.devices {
            let words = MentionEvidence.words(name)
            guard !words.isEmpty, !domainWords.contains(words),
                  !present.contains(where: { Self.range(of: words, in: $0) != nil }) else { continue }
            absent.insert(words)
        }
        self.absent = absent.sorted { ($0.count, $0.joined()) > ($1.count, $1.joined()) }
    }

    /// Where `phrase` first occurs in `words`, or nil.
    static func range(of phrase: [String], in words: [String]) -> Range<Int>? {
        guard !phrase.isEmpty, phrase.count <= words.count else { return nil }
        for start in 0...(words.count - phrase.count) where Array(words[start..<(start + phrase.count)]) == phrase {
            return start..<(start + phrase.count)
        }
        return nil
    }

    /// Which of `words` are inside an occurrence of one of `names` (each a run of words).
    static func covered(_ words: [String], by names: [[String]]) -> [Bool] {
        var covered = [Bool](repeating: false, count: words.count)
        for name in names where !name.isEmpty && name.count <= words.count {
            for start in 0...(words.count - name.count) where Array(words[start..<(start + name.count)]) == name {
                for i in start..<(start + name.count) { covered[i] = true }
            }
        }
        return covered
    }

    /// The first common name in `command` that this home lacks, outside the home's own names.
    public func absentName(in command: String) -> String? {
        let words = MentionEvidence.words(command)
        let named = Self.covered(words, by: present)
        for name in absent where name.count <= words.count {
            for start in 0...(words.count - name.count) where Array(words[start..<(start + name.count)]) == name
                && !named[start..<(start + name.count)].contains(true) {
                return name.joined(separator: " ")
            }
        }
        return nil
    }
}
