import Intents
import Speech

/// Commands for measuring the speech path: sampled from the template expander over a home
/// (seeded, so the same every run), in spoken form ("thirty percent"), keeping only sentences
/// whose every word the pronunciation dictionary has. Each keeps its expansion, whose canonical
/// action is what the parser should produce. `hark bench --speech` and the speech tests use it.
public enum SpokenCommands {
    /// A sentence to say and what it means.
    public struct Sample: Sendable, Hashable {
        public var text: String
        public var expansion: Expansion
    }

    public static func sample(catalog: Catalog, registry: Registry, dictionary: PronunciationDictionary, count: Int,
                              seed: UInt64 = 2024) -> [Sample] {
        let expander = TemplateExpander(catalog: catalog, registry: registry)
        var rng = SeededGenerator(seed: seed)
        var out: [Sample] = []
        var seen = Set<String>()
        for _ in 0..<100 where out.count < count {
            for e in expander.sample(count: count, using: &rng) where out.count < count {
                guard let words = SpokenText.words(e.text), words.allSatisfy(dictionary.contains) else { continue }
                let text = words.joined(separator: " ")
                if seen.insert(text).inserted { out.append(Sample(text: text, expansion: e)) }
            }
        }
        return out
    }
}
