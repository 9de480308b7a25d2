import Intents

/// What a command names, by its words: which devices, areas, domains and scenes of the registry
/// appear in it (names and aliases, allowing plural forms and one-edit typos such as "raeding
/// lamp"). The decoder turns it into a bias: at each decision, a legal token gains
/// `weight × score` of the best-scoring action prefix it keeps possible, so a device the user
/// named outweighs one the model half-recalls from a long registry, and an intent that can act on
/// the named device outweighs `none`.
///
/// The model still makes every decision; evidence only re-ranks what the grammar already allows,
/// and it is silent (no bias) when the command names nothing of the registry. Scores: a phrase of
/// k content words found in full scores k (+0.5 when its words are adjacent and in order); a
/// partial match scores 0. `area + domain` needs the area named (and scores half the area's
/// score when the domain is not named); a domain alone scores its words.
public struct MentionEvidence: Sendable {
    /// Action prefixes (intent name + target text, or `activate_scene scene=<id>`) that the
    /// command gives positive evidence for.
    public private(set) var scored: [(text: [UInt8], score: Float)]
    public let weight: Float

    /// Evidence for `command` against the grammar's target options (`ActionGrammar.targetOptions`).
    public init(command: String, options: [ActionGrammar.TargetOption], registry: Registry, catalog: Catalog, weight: Float) {
        self.weight = weight
        let words = MentionEvidence.words(command)
        var cache: [String: Float] = [:]
        func phraseScore(_ phrases: [String]) -> Float {
            phrases.map { phrase in
                if let s = cache[phrase] { return s }
                let s = MentionEvidence.score(phrase: MentionEvidence.words(phrase), in: words)
                cache[phrase] = s
                return s
            }.max() ?? 0
        }
        var deviceScore: [String: Float] = [:]
        for device in registry.devices { deviceScore[device.id] = phraseScore(device.phrases) }
        var areaScore: [String: Float] = [:]
        for area in registry.areas { areaScore[area.id] = phraseScore(area.phrases + [area.id]) }
        var sceneScore: [String: Float] = [:]
        for scene in registry.scenes { sceneScore[scene.id] = phraseScore(scene.phrases + [scene.id]) }
        var domainScore: [Domain: Float] = [:]
        for (domain, phrases) in catalog.domainPhrases { domainScore[domain] = phraseScore(phrases) }

        scored = []
        guard weight > 0 else { return }
        for option in options {
            let score: Float
            switch option.target {
            case .device(let id): score = deviceScore[id] ?? 0
            case .area(let id): score = areaScore[id] ?? 0
            case .areaDomain(let id, let domain):
                // The area must be named; an unnamed domain makes it weaker than the area alone.
                let a = areaScore[id] ?? 0, d = domainScore[domain] ?? 0
                score = a > 0 ? (d > 0 ? a + d : a / 2) : 0
            case .domain(let domain): score = domainScore[domain] ?? 0
            case .scene(let id): score = sceneScore[id] ?? 0
            case .none: score = 0
            }
            if score > 0 { scored.append((Array(option.text.utf8), score)) }
        }
    }

    /// True when the command names something of the registry.
    public var isEmpty: Bool { scored.isEmpty }

    /// Logit offsets for the candidate continuations `pieces` of `output` (one per candidate;
    /// an empty piece stands for ending the output), or nil when they would all be equal.
    public func bias(output: [UInt8], pieces: [[UInt8]]) -> [Float]? {
        guard !scored.isEmpty else { return nil }
        var result = [Float](repeating: 0, count: pieces.count)
        var varies = false
        for (i, piece) in pieces.enumerated() {
            let text = output + piece
            var best: Float = 0
            for (prefix, score) in scored where score > best && Self.consistent(text, with: prefix, ended: piece.isEmpty) {
                best = score
            }
            result[i] = best * weight
            if i > 0 && result[i] != result[0] { varies = true }
        }
        return varies || pieces.count == 1 ? result : nil
    }

    /// Whether `text` can still become an action that starts with `prefix`: it is a prefix of it,
    /// or it goes on past it with something other than more target (` domain=`, ` area=`).
    public static func consistent(_ text: [UInt8], with prefix: [UInt8], ended: Bool) -> Bool {
        if text.count <= prefix.count {
            if ended { return text.count == prefix.count && text.elementsEqual(prefix) }
            return prefix.starts(with: text)
        }
        guard text.starts(with: prefix), text[prefix.count] == UInt8(ascii: " ") else { return false }
        // Text past the prefix that starts another target key (` domain=…` after ` area=x`) belongs
        // to a longer target; a lone space could start anything.
        let rest = Array(text[prefix.count...])
        guard rest.count >= 2 else { return true }
        return !targetKeys.contains { $0.starts(with: rest) || rest.starts(with: $0) }
    }

    private static let targetKeys: [[UInt8]] = [Array(" domain=".utf8), Array(" area=".utf8)]

    // MARK: - Words

    /// Lowercased words of letters and digits (apostrophes dropped: "baby's" → "babys").
    static func words(_ text: String) -> [String] {
        var out: [String] = []
        var current = ""
        for ch in text.lowercased() {
            if ch.isLetter || ch.isNumber {
                current.append(ch)
            } else if ch == "'" || ch == "’" {
                continue
            } else if !current.isEmpty {
                out.append(current)
                current = ""
            }
        }
        if !current.isEmpty { out.append(current) }
        return out
    }

    /// Words that name nothing on their own.
    static let fillers: Set<String> = ["the", "a", "an", "my", "our", "of", "in", "on", "at", "to", "and"]

    static func score(phrase: [String], in words: [String]) -> Float {
        let content = phrase.filter { !fillers.contains($0) }
        guard !content.isEmpty else { return 0 }
        var positions: [Int] = []
        for w in content {
            guard let at = words.firstIndex(where: { same($0, w) }) else { return 0 }
            positions.append(at)
        }
        let adjacent = content.count > 1 && zip(positions, positions.dropFirst()).allSatisfy { $1 == $0 + 1 }
        return Float(content.count) + (adjacent ? 0.5 : 0)
    }

    /// Equal words up to a plural `s`/`es` ending or, for words of five letters or more, one
    /// edit (insertion, deletion, substitution or swap of neighbours); shorter words differ in
    /// one letter too often ("lamp", "camp") to allow it.
    public static func same(_ a: String, _ b: String) -> Bool {
        if a == b { return true }
        let x = Array(a.utf8), y = Array(b.utf8)
        func stem(_ w: [UInt8]) -> ArraySlice<UInt8> {
            if w.count > 3, w.last == UInt8(ascii: "s") {
                if w.count > 4, w[w.count - 2] == UInt8(ascii: "e"), [UInt8(ascii: "h"), UInt8(ascii: "x"), UInt8(ascii: "s")].contains(w[w.count - 3]) {
                    return w[..<(w.count - 2)]
                }
                return w[..<(w.count - 1)]
            }
            return w[...]
        }
        if stem(x) == stem(y) { return true }
        guard min(x.count, y.count) >= 5, abs(x.count - y.count) <= 1 else { return false }
        return withinOneEdit(x, y)
    }

    static func withinOneEdit(_ x: [UInt8], _ y: [UInt8]) -> Bool {
        var i = 0
        while i < x.count && i < y.count && x[i] == y[i] { i += 1 }
        if x.count == y.count {
            if i == x.count { return true }
            // substitution, or a swap of neighbours
            if x[(i + 1)...] == y[(i + 1)...] { return true }
            return i + 1 < x.count && x[i] == y[i + 1] && x[i + 1] == y[i] && x[(i + 2)...] == y[(i + 2)...]
        }
        let (long, short) = x.count > y.count ? (x, y) : (y, x)
        return long[(i + 1)...] == short[i...]
    }
}
