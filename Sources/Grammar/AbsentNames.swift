import Intents

/// Finds a common room or device name (`CommonNames`) in a command that this home has no such
/// thing for, outside the home's own names: "unlock the front door" in a home whose only lock is
/// the shed lock is not a command for the shed lock. The model, made to pick a valid action,
/// would otherwise act on the nearest device it knows.
///
/// It also reads where a name must stand: the word after "in the" names a place, and the word
/// before "scene" or "mode" names a scene. When that word is in none of the home's names ("the
/// lights in the milking parlour", "the harvest scene"), the command is for something the home
/// does not have, whatever list it is in.
public struct AbsentNames: Sendable {
    /// Common names that are not, and are not inside, any name of this home, nor a domain word
    /// (as words).
    let absent: [[String]]
    /// The home's device, area and scene names, as words. A common name that
    /// overlaps one of them in a command ("master bedroom" where the home has a "bedroom") is
    /// taken as that name, not as something absent; domain words ("music" in "music room") do not
    /// count.
    let present: [[String]]
    /// Words of the home's area and device names and of the domain words.
    let placeWords: Set<String>
    /// Words of the home's scene, area and device names and of the catalog's named values ("high
    /// mode" is a fan speed).
    let sceneWords: Set<String>

    /// Words after "in the" that are not a room's name: the whole home, times, manners.
    static let notPlaces: Set<String> = ["house", "home", "flat", "apartment", "place", "building", "room", "rooms", "whole",
                                         "entire", "other", "same", "next", "morning", "afternoon", "evening", "night",
                                         "daytime", "dark", "meantime", "middle", "background", "end", "way", "mood"]
    /// Words before "scene" or "mode" that are not a scene's name.
    static let notScenes: Set<String> = ["the", "a", "an", "this", "that", "my", "our", "your", "new", "current", "same",
                                         "next", "last", "previous", "which", "what", "any", "another", "one", "whatever",
                                         "scene", "mode", "to", "in", "on", "of", "into", "for",
                                         // words that open a sentence ("okay, scene guests over")
                                         "ok", "okay", "so", "hey", "hi", "yeah", "yes", "um", "uh", "er", "oh", "well", "now",
                                         "right", "please", "and", "then", "just", "teh", "da", "th"]

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
        let things = (registry.areas.map(\.phrases) + registry.devices.map(\.phrases)).flatMap { $0.flatMap(MentionEvidence.words) }
        placeWords = Set(things).union(domainWords.flatMap { $0 })
        var values = catalog.colors.flatMap(\.phrases) + catalog.colorTemperatures.flatMap(\.phrases)
        for intent in catalog.intents {
            for slot in intent.slots { if case .enumeration(let list) = slot.type { values += list.flatMap(\.phrases) } }
        }
        sceneWords = Set(things).union(registry.scenes.flatMap { $0.phrases.flatMap(MentionEvidence.words) })
            .union(values.flatMap(MentionEvidence.words))
    }

    /// A place ("in the milking parlour") or a scene ("the harvest scene") the command names by
    /// where the word stands, when no name of this home has that word (typos allowed); else nil.
    public func unknownName(in command: String) -> String? {
        let words = MentionEvidence.words(command)
        func known(_ word: String, in names: Set<String>) -> Bool { names.contains(word) || names.contains { MentionEvidence.resembles(word, $0) } }
        for i in words.indices.dropLast(2) where words[i] == "in" && ["the", "our"].contains(words[i + 1]) {
            let word = words[i + 2]
            if Self.notPlaces.contains(word) || word.allSatisfy(\.isNumber) || known(word, in: placeWords) { continue }
            // A name written in two words ("the bed room").
            if i + 3 < words.count, known(word + words[i + 3], in: placeWords) { continue }
            return words[(i + 2)..<min(words.count, i + 4)].joined(separator: " ")
        }
        for i in words.indices.dropFirst() where words[i] == "scene" || words[i] == "mode" {
            let word = words[i - 1]
            if Self.notScenes.contains(word) || known(word, in: sceneWords) { continue }
            // The name comes after it ("set scene to dinner", "hark scene bath time").
            if i + 1 < words.count, ["to", "for", "of"].contains(words[i + 1]) || known(words[i + 1], in: sceneWords) { continue }
            return "\(word) \(words[i])"
        }
        return nil
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
