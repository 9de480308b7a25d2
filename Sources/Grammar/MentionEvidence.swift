import Foundation
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
/// k content words found in full scores k (a fuzzy word ¾; +0.5 when the words are adjacent and in
/// order); a partial match scores 0. `area + domain` needs the area named (and scores half the area's
/// score when the domain is not named); a domain alone scores its words.
public struct MentionEvidence: Sendable {
    /// Action prefixes (intent name + target text, or `activate_scene scene=<id>`) that the
    /// command gives positive evidence for.
    public private(set) var scored: [(text: [UInt8], score: Float)]
    /// How many of `scored` (the first ones) weigh in while the intent is still open: named
    /// devices and scenes, domain words the site's own area has devices for ("lights off" in a
    /// room with lights), and a named area with a domain it has ("the lounge blinds"). An area
    /// alone or a domain no area named has ("the den", "lock the car") does not argue against
    /// `none`.
    public private(set) var specificCount = 0
    /// The intent names the options begin with.
    let intents: Set<[UInt8]>
    /// Numbers the command says, canonically spelt (`40`, `18.5`), digits or words.
    public let numbers: [String]
    /// The command's words.
    let commandWords: Set<String>
    /// Names of the catalog's numeric slots (`brightness`, `step`, …).
    let numericSlots: [[UInt8]]
    /// Devices the command names, with their scores.
    public private(set) var namedDevices: [(id: String, score: Float)] = []
    /// Areas the command names outside device names, with their scores.
    public private(set) var namedAreas: [(id: String, score: Float)] = []
    /// Slot values the command names (colours, white tones, enum values such as fan speeds), with
    /// the slot's key as the grammar spells it (` color=`), the value (`blue`) and the score. Words
    /// that name a device are not read again as values ("the night light blue" is blue).
    public private(set) var namedValues: [(key: [UInt8], value: [UInt8], score: Float)] = []
    /// Of `namedValues`, those with a phrase the command says word for word ("blue lights" says
    /// blue, not light blue).
    public private(set) var saidValues: [(key: [UInt8], value: [UInt8], score: Float)] = []
    /// The catalog's domain words that are no word of a named value ("lights", but not the "light"
    /// of light blue): never read as a value.
    public static func domainWordsNotValues(_ catalog: Catalog) -> Set<String> {
        var valuePhrases = catalog.colors.flatMap(\.phrases) + catalog.colorTemperatures.flatMap(\.phrases)
        for intent in catalog.intents {
            for slot in intent.slots { if case .enumeration(let list) = slot.type { valuePhrases += list.flatMap(\.phrases) } }
        }
        return Set(catalog.domainPhrases.values.joined().flatMap(MentionEvidence.words))
            .subtracting(valuePhrases.flatMap(MentionEvidence.words))
    }

    /// The areas the command names by every word of one of their names, outside device names.
    public var fullyNamedAreas: [String] { namedAreas.filter { $0.score >= 1 }.map(\.id) }
    /// The strongest of `saidValues` as a slot name (`speed`) and the canonical field that sets it
    /// (`speed=high`), or nil when the command says no value word for word.
    public var strongestSaidValue: (slot: String, field: String)? {
        saidValues.max { $0.score < $1.score }.map { value in
            (String(decoding: value.key.dropFirst().dropLast(), as: UTF8.self), String(decoding: value.key.dropFirst() + value.value, as: UTF8.self))
        }
    }
    /// The command's words that no device name took (where slot values are looked for).
    let valueWords: [String]
    /// Intents with a slot whose value the command names, with the best such score.
    public private(set) var valueIntents: [(intent: [UInt8], score: Float)] = []
    public let weight: Float
    /// The weight while the intent is open (against `none`).
    public let intentWeight: Float

    /// Evidence for `command` against the grammar's target options (`ActionGrammar.targetOptions`).
    /// `domainWordsNotValues` is `domainWordsNotValues(catalog)`, passed in by a caller that
    /// builds evidence for many commands on one catalog (computed here when nil).
    public init(command: String, options: [ActionGrammar.TargetOption], registry: Registry, catalog: Catalog, weight: Float,
                intentWeight: Float? = nil, domainWordsNotValues: Set<String>? = nil) {
        self.weight = weight
        self.intentWeight = intentWeight ?? weight
        numbers = MentionEvidence.numbers(in: command)
        intents = Set(options.map { Array($0.text.prefix { $0 != " " }.utf8) })
        var slotNames = Set<String>()
        for intent in catalog.intents { for slot in intent.slots where slot.type.numericRange != nil { slotNames.insert(slot.name) } }
        numericSlots = slotNames.sorted().map { Array(" \($0)=".utf8) }
        let words = MentionEvidence.words(command)
        commandWords = Set(words)
        var cache: [String: (score: Float, positions: [Int])] = [:]
        func best(_ phrases: [String]) -> (score: Float, positions: [Int]) {
            phrases.map { phrase in
                if let m = cache[phrase] { return m }
                let m = MentionEvidence.match(phrase: MentionEvidence.words(phrase), in: words) ?? (0, [])
                cache[phrase] = m
                return m
            }.max { $0.score < $1.score } ?? (0, [])
        }
        func phraseScore(_ phrases: [String]) -> Float { best(phrases).score }
        var deviceScore: [String: Float] = [:]
        var deviceWords: [Set<Int>] = []
        for device in registry.devices {
            let m = best(device.phrases)
            deviceScore[device.id] = m.score
            if m.score > 0 {
                deviceWords.append(Set(m.positions))
                namedDevices.append((device.id, m.score))
            }
        }
        // Named slot values, on the words no device took and no domain word that is not itself a
        // word of a value ("the living room lights blue" is blue: "lights" is no value's word,
        // though it stems to light blue's "light").
        var taken = deviceWords.reduce(into: Set<Int>()) { $0.formUnion($1) }
        let notValues = domainWordsNotValues ?? Self.domainWordsNotValues(catalog)
        for (i, word) in words.enumerated() where notValues.contains(word) { taken.insert(i) }
        let rest = words.indices.filter { !taken.contains($0) }.map { words[$0] }
        valueWords = rest
        var valueCache: [String: Float] = [:]
        func valueScore(_ phrases: [String]) -> Float {
            phrases.map { phrase in
                if let v = valueCache[phrase] { return v }
                let v = MentionEvidence.score(phrase: MentionEvidence.words(phrase), in: rest)
                valueCache[phrase] = v
                return v
            }.max() ?? 0
        }
        for intent in catalog.intents {
            var intentBest: Float = 0
            for slot in intent.slots {
                let key = Array(" \(slot.name)=".utf8)
                var values: [(String, [String])] = []
                switch slot.type {
                case .color: values = catalog.colors.map { ($0.id, $0.phrases + [$0.id]) }
                case .colorTemp: values = catalog.colorTemperatures.map { (String($0.kelvin), $0.phrases) }
                case .enumeration(let list): values = list.map { ($0.id, $0.phrases + [$0.id]) }
                default: continue
                }
                for (value, phrases) in values {
                    let score = valueScore(phrases)
                    guard score > 0 else { continue }
                    intentBest = max(intentBest, score)
                    if !namedValues.contains(where: { $0.key == key && $0.value == Array(value.utf8) }) {
                        namedValues.append((key, Array(value.utf8), score))
                    }
                    let said = phrases.contains { !MentionEvidence.starts(of: MentionEvidence.words($0), in: rest).isEmpty }
                    if said, !saidValues.contains(where: { $0.key == key && $0.value == Array(value.utf8) }) {
                        saidValues.append((key, Array(value.utf8), score))
                    }
                }
            }
            if intentBest > 0 { valueIntents.append((Array(intent.name.utf8), intentBest)) }
        }

        // An area named only inside a named device's name ("the living room speaker") is that
        // device's, not a target of its own: it counts a quarter.
        var areaScore: [String: Float] = [:]
        for area in registry.areas {
            let m = best(area.phrases + [area.id])
            let inside = deviceWords.contains { Set(m.positions).isSubset(of: $0) && $0.count > m.positions.count }
            areaScore[area.id] = inside ? m.score / 4 : m.score
            if !inside, m.score > 0 { namedAreas.append((area.id, m.score)) }
        }
        var sceneScore: [String: Float] = [:]
        for scene in registry.scenes { sceneScore[scene.id] = phraseScore(scene.phrases + [scene.id]) }
        // Domain words are matched exactly and count half: they are common words ("lock the car"),
        // and they only choose between the domains of an area, not between things.
        var domainScore: [Domain: Float] = [:]
        for (domain, phrases) in catalog.domainPhrases {
            let exact: Float = phrases.map { p -> Float in
                let pw = MentionEvidence.words(p)
                return !pw.isEmpty && words.indices.contains { words[$0...].starts(with: pw) } ? Float(pw.count) : Float(0)
            }.max() ?? 0
            domainScore[domain] = exact / 2
        }
        // "here" names the site's own area: the target-free and domain-only options.
        let here: Float = words.contains("here") ? 0.5 : 0

        scored = []
        guard weight > 0 else { return }
        var siteDomains: [(text: [UInt8], score: Float)] = []
        var general: [(text: [UInt8], score: Float)] = []
        for option in options {
            let score: Float
            switch option.target {
            case .device(let id): score = deviceScore[id] ?? 0
            case .area(let id): score = areaScore[id] ?? 0
            case .areaDomain(let id, let domain):
                // The area must be named; an unnamed domain makes it weaker than the area alone.
                let a = areaScore[id] ?? 0, d = domainScore[domain] ?? 0
                score = a > 0 ? (d > 0 ? a + d : a / 2) : 0
            case .domain(let domain): score = (domainScore[domain] ?? 0) + here
            case .scene(let id): score = sceneScore[id] ?? 0
            case .none: score = here
            }
            guard score > 0 else { continue }
            switch option.target {
            case .device, .scene: scored.append((Array(option.text.utf8), score))
            case .domain where score > here: siteDomains.append((Array(option.text.utf8), score))
            case .areaDomain(_, let domain) where (domainScore[domain] ?? 0) > 0: siteDomains.append((Array(option.text.utf8), score))
            default: general.append((Array(option.text.utf8), score))
            }
        }
        scored += siteDomains
        specificCount = scored.count
        scored += general
    }

    /// A reason to refuse `action` when the command says none of the catalog's words for one of
    /// its named values (a colour, a white tone, a fan speed), not even misspelt ("hifh"; "lite
    /// blue" says blue, and so light blue), nor the value as a number: the grammar makes the model
    /// pick one of the values even when the command asks for something else ("set the fan to eco
    /// mode" is not `high`). Nil when every value is said.
    public func unsaidValue(of action: CanonicalAction, catalog: Catalog) -> String? {
        guard let intent = catalog.intent(named: action.intent) else { return nil }
        for slot in intent.slots {
            guard let value = action.slots[slot.name] else { continue }
            let phrases: [String]
            switch slot.type {
            case .color: phrases = catalog.colors.first { $0.id == value.description }.map { $0.phrases + [$0.id] } ?? []
            case .colorTemp: phrases = catalog.colorTemperatures.first { SlotValue.int($0.kelvin) == value }?.phrases ?? []
            case .enumeration(let list): phrases = list.first { $0.id == value.description }.map { $0.phrases + [$0.id] } ?? []
            default: continue
            }
            if case .number(let n) = value, numbers.contains(n.description) { continue }
            // Every word of one of its phrases, or the last ("lite blue") outside the devices' names;
            // slips read as what they stand for ("candle lite").
            func said(_ w: String, among words: some Sequence<String>) -> Bool {
                words.contains { Self.resembles($0, w) || TrainingPhrasing.unslipped($0) == w }
            }
            let isSaid = phrases.contains { phrase in
                let content = MentionEvidence.words(phrase).filter { !Self.fillers.contains($0) }
                guard let head = content.last else { return false }
                return content.allSatisfy { said($0, among: commandWords) } || said(head, among: valueWords)
            }
            if !isSaid { return "the command names no \(slot.name) the catalog knows (the model chose '\(value)'); nothing done" }
        }
        return nil
    }

    /// `same`, or one edit apart with the same first letter, for words of three letters or more:
    /// looser than `same`, for telling whether a command says a value at all.
    static func resembles(_ a: String, _ b: String) -> Bool {
        if same(a, b) { return true }
        let x = Array(a.utf8), y = Array(b.utf8)
        return min(x.count, y.count) >= 3 && abs(x.count - y.count) <= 1 && x[0] == y[0] && withinOneEdit(x, y)
    }

    /// True when the command names nothing of the registry, no slot value and no number.
    public var isEmpty: Bool { scored.isEmpty && numbers.isEmpty && namedValues.isEmpty }

    /// Logit offsets for the candidate continuations `pieces` of `output` (one per candidate;
    /// an empty piece stands for ending the output), or nil when they would all be equal.
    public func bias(output: [UInt8], pieces: [[UInt8]]) -> [Float]? {
        var total = [Float](repeating: 0, count: pieces.count)
        for part in [valueBias(output: output, pieces: pieces), targetBias(output: output, pieces: pieces),
                     namedValueBias(output: output, pieces: pieces)] {
            guard let part else { continue }
            for i in total.indices { total[i] += part[i] }
        }
        // Only differences matter (softmax); the least favoured choice gets 0.
        guard let low = total.min(), total.contains(where: { $0 != low }) else { return nil }
        return total.map { $0 - low }
    }

    /// The rest of the best-scoring action prefix that `output` begins and does not complete,
    /// once the intent is chosen (the decoder drafts it); nil while the intent is open or when no
    /// named target continues the output.
    ///
    /// While the intent is half spelt ("turn" of `turn_on` and `turn_off`), the draft begins with
    /// the one intent of those whose name has the most words the command says, when one has more
    /// than the others ("turn the lights off": `turn_off`), then its best target.
    public func draftTarget(output: [UInt8]) -> [UInt8]? {
        var output = output, guess: [UInt8] = []
        if !output.contains(UInt8(ascii: " ")) && !intents.contains(output) {
            guard let intent = guessIntent(startingWith: output) else { return nil }
            guess = Array(intent[output.count...])
            output = intent
        }
        var best: (text: [UInt8], score: Float)?
        for (text, score) in scored where score > (best?.score ?? 0) && text.count > output.count && text.starts(with: output) {
            best = (text, score)
        }
        let rest = best.map { Array($0.text[output.count...]) } ?? []
        return guess.isEmpty && rest.isEmpty ? nil : guess + rest
    }

    /// The intent beginning with `prefix` whose name has strictly the most words of the command
    /// (none when no intent name has any, or two tie).
    func guessIntent(startingWith prefix: [UInt8]) -> [UInt8]? {
        var best: [UInt8]?, bestScore = 0, tie = false
        for intent in intents where intent.count > prefix.count && intent.starts(with: prefix) {
            let score = intent.split(separator: UInt8(ascii: "_")).filter { commandWords.contains(String(decoding: $0, as: UTF8.self)) }.count
            if score > bestScore { (best, bestScore, tie) = (intent, score, false) } else if score == bestScore { tie = true }
        }
        return tie || bestScore == 0 ? nil : best
    }

    /// Where `output` has just opened a numeric slot (`… brightness=`): the first number the
    /// command says that the output has not used yet, as the grammar spells it; else nil.
    public func draftValue(output: [UInt8]) -> [UInt8]? {
        guard output.last == UInt8(ascii: "="),
              numericSlots.contains(where: { output.reversed().starts(with: $0.reversed()) }) else { return nil }
        let text = String(decoding: output, as: UTF8.self)
        return numbers.first { !text.contains("=\($0) ") && !text.hasSuffix("=\($0)") }.map { Array($0.utf8) }
    }

    /// Towards the targets (and scenes) the command names.
    ///
    /// While the intent is open, named devices and scenes count as they do later. The weaker
    /// evidence (an area alone, a domain word) only ranks the intents among themselves: an intent
    /// that can act on what the command names gains over one that cannot ("bring down everything in
    /// the study" is not `volume_down` when the study has no speaker), and `none` is scored as
    /// the best of them, so this evidence never argues against `none`.
    func targetBias(output: [UInt8], pieces: [[UInt8]]) -> [Float]? {
        guard !scored.isEmpty else { return nil }
        let open = !output.contains(UInt8(ascii: " ")) && !intents.contains(output)
        func best(_ text: [UInt8], ended: Bool, in candidates: ArraySlice<(text: [UInt8], score: Float)>) -> Float {
            var best: Float = 0
            for (prefix, score) in candidates where score > best && Self.consistent(text, with: prefix, ended: ended) { best = score }
            return best
        }
        guard open else { return pieces.map { best(output + $0, ended: $0.isEmpty, in: scored[...]) * weight } }
        let specific = scored.prefix(specificCount), general = scored.dropFirst(specificCount)
        let generalScores = pieces.map { best(output + $0, ended: $0.isEmpty, in: general) }
        let generalTop = generalScores.max() ?? 0
        let none = Array(Catalog.noneIntent.utf8)
        return pieces.indices.map { i in
            let text = output + pieces[i]
            let towardsNone = Self.consistent(text, with: none, ended: pieces[i].isEmpty)
            let generalScore = towardsNone ? generalTop : generalScores[i]
            return (best(text, ended: pieces[i].isEmpty, in: specific) + generalScore) * intentWeight
        }
    }

    /// Towards the intents with a slot whose value the command names ("red" → `set_color`, "warm
    /// white" → `set_color_temp`), once the output has begun (so never for or against `none`), and
    /// inside such a slot towards the named value.
    func namedValueBias(output: [UInt8], pieces: [[UInt8]]) -> [Float]? {
        guard !namedValues.isEmpty, !output.isEmpty else { return nil }
        let space = UInt8(ascii: " "), equals = UInt8(ascii: "=")
        var result = [Float](repeating: 0, count: pieces.count)
        if !output.contains(space) {
            // Spelling the intent.
            for (i, piece) in pieces.enumerated() {
                let text = output + piece
                var best: Float = 0
                for (intent, score) in valueIntents where score > best {
                    let fits = piece.isEmpty ? text == intent
                        : (text.count <= intent.count ? intent.starts(with: text) : text.starts(with: intent) && text[intent.count] == space)
                    if fits { best = score }
                }
                result[i] = best * weight
            }
            return result
        }
        guard let eq = output.lastIndex(of: equals), !output[eq...].contains(space),
              let keyStart = output[..<eq].lastIndex(of: space) else { return nil }
        let key = Array(output[keyStart...eq])
        let named = namedValues.filter { $0.key == key }
        guard !named.isEmpty else { return nil }
        let sofar = Array(output[(eq + 1)...])
        for (i, piece) in pieces.enumerated() {
            let ends = piece.isEmpty || piece[0] == space
            let value = sofar + (ends ? [] : Array(piece.prefix { $0 != space }))
            let hit = named.filter { ends || piece.contains(space) ? $0.value == value : $0.value.starts(with: value) }
            result[i] = (hit.map(\.score).max() ?? 0) * weight
        }
        return result
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

    /// Inside a numeric value (after `brightness=`): the digits of a number the command says gain
    /// twice `weight` (a number said is firmer evidence than a name half matched: with `weight`,
    /// "halfway" still became `position=0` on the dev set and eval home B). Where an optional
    /// numeric slot may follow: starting it gains twice `weight` when the command says a number
    /// the output has not used, and loses `weight` when it says none.
    func valueBias(output: [UInt8], pieces: [[UInt8]]) -> [Float]? {
        let equals = UInt8(ascii: "="), space = UInt8(ascii: " ")
        func isNumeric(_ b: UInt8) -> Bool { (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(b) || b == UInt8(ascii: ".") || b == UInt8(ascii: "-") }
        var result = [Float](repeating: 0, count: pieces.count)
        if let eq = output.lastIndex(of: equals), !output[eq...].contains(space),
           numericSlots.contains(where: { output[..<(eq + 1)].reversed().starts(with: $0.reversed()) }) {
            // In a numeric value.
            guard !numbers.isEmpty else { return nil }
            let sofar = Array(output[(eq + 1)...])
            for (i, piece) in pieces.enumerated() {
                let ends = piece.isEmpty || piece[0] == space
                let digits = ends ? [] : Array(piece.prefix { isNumeric($0) })
                if !ends && digits.count < piece.count { continue }
                let value = sofar + digits
                let hit = numbers.contains { n in ends ? Array(n.utf8) == value : Array(n.utf8).starts(with: value) }
                if hit { result[i] = 2 * weight }
            }
        } else if !output.isEmpty, pieces.contains(where: \.isEmpty) {
            // Where an optional slot may begin: only numeric ones are judged.
            let used = numbers.filter { n in
                output.indices.contains { output[$0] == equals && output[($0 + 1)...].starts(with: Array(n.utf8)) }
            }
            let unused = numbers.count > used.count
            var any = false
            for (i, key) in pieces.enumerated() where !key.isEmpty && key[0] == space {
                guard numericSlots.contains(where: { $0.starts(with: key) || key.starts(with: $0) }),
                      !Self.targetKeys.contains(where: { $0.starts(with: key) }) else { continue }
                // A number said and not yet used is strong evidence for the slot that takes it.
                result[i] = unused ? 2 * weight : -weight
                any = true
            }
            if !any { return nil }
        } else {
            return nil
        }
        return result.contains(where: { $0 != result[0] }) ? result : nil
    }

    /// Numbers in a command, canonically spelt: digits (`21`, `19.5`, `30%`) and number words
    /// ("seventy five", "eighteen and a half", "a hundred"); kelvin written `4400K` is 4400; and
    /// levels said as fractions, in per cent (`fraction`): "halfway" and "half brightness" are 50.
    public static func numbers(in command: String) -> [String] {
        let raw = command.lowercased().split(whereSeparator: { $0.isWhitespace || $0 == "-" }).map { word -> String in
            let w = word.trimmingCharacters(in: CharacterSet.alphanumerics.inverted)
            return w.count >= 5 && w.hasSuffix("k") && w.dropLast().allSatisfy(\.isNumber) ? String(w.dropLast()) : w
        }.filter { !$0.isEmpty }
        var out: [String] = []
        var i = 0
        while i < raw.count {
            if let (percent, length) = fraction(raw, at: i) {
                if !out.contains(percent) { out.append(percent) }
                i += length
                continue
            }
            var found: (Int, SlotNumber)?
            for j in stride(from: min(raw.count, i + 8), to: i, by: -1) {
                let span = raw[i..<j]
                if span.count == 1, span.first == "a" || span.first == "half" { continue }
                if span.first == "a" && span.count == 2 && span.last == "half" { continue }
                if span.first == "and" { continue }
                if let n = Self.number(Array(span)) { found = (j, n); break }
            }
            if let (j, n) = found {
                if !out.contains(n.description) { out.append(n.description) }
                i = j
            } else {
                i += 1
            }
        }
        return out
    }

    /// Whether a number is said in the `within` words before `words[index]` (its unit: "forty
    /// percent", "thirty seconds").
    static func saysNumber(before index: Int, in words: [String], within: Int) -> Bool {
        !numbers(in: words[..<index].suffix(within).joined(separator: " ")).isEmpty
    }

    /// What a level said as a fraction is of, right after it ("half brightness").
    static let fractionLevels: Set<String> = ["brightness", "volume", "power", "blast", "way", "open", "closed", "shut", "up", "down"]
    /// Words that set a level before a fraction ("at half").
    static let fractionSetters: Set<String> = ["at", "to", "on"]

    /// A level said as a fraction at `raw[i]`, in per cent, and how many words it takes: "halfway",
    /// "half way", "half brightness", "at half" (50); "a quarter (of the way)", "to quarter" (25);
    /// "three quarters" (75); "full volume", "on full" (100). Not a fraction: "eighteen and a
    /// half", "half an hour", "a quarter past", "full of", "fully".
    static func fraction(_ raw: [String], at i: Int) -> (String, Int)? {
        let word = raw[i]
        let previous = i > 0 ? raw[i - 1] : nil
        func after(_ k: Int) -> String? { i + k < raw.count ? raw[i + k] : nil }
        let levels = fractionLevels, setting = fractionSetters
        func endsOrLevel(_ next: String?) -> Bool { next == nil || next == "please" || levels.contains(next!) }
        switch word {
        case "halfway": return ("50", 1)
        case "half":
            guard previous != "and", previous != "a" else { return nil }
            if levels.contains(after(1) ?? "") { return ("50", after(1) == "way" ? 2 : 1) }
            if let previous, setting.contains(previous), endsOrLevel(after(1)) { return ("50", 1) }
        case "three" where after(1) == "quarters":
            return ("75", 2)
        case "a" where after(1) == "quarter", "one" where after(1) == "quarter":
            if ["past", "to", "hour"].contains(after(2) ?? "") || (after(2) == "of" && ["an", "a", "hour"].contains(after(3) ?? "")) { return nil }
            return ("25", 2)
        case "quarter":
            if let previous, setting.contains(previous), endsOrLevel(after(1)) || after(1) == "of" && after(3) == "way" { return ("25", 1) }
        case "full":
            if ["brightness", "volume", "power", "blast"].contains(after(1) ?? "") { return ("100", 1) }
            if let previous, setting.contains(previous), after(1) == nil || after(1) == "please" { return ("100", 1) }
        default: break
        }
        return nil
    }

    /// A number in words or digits, with thousands ("three thousand four hundred" → 3400), which
    /// `NumberWords` leaves out because no slot but colour temperature needs them.
    static func number(_ words: [String]) -> SlotNumber? {
        if let k = words.firstIndex(of: "thousand") {
            let head = words[..<k], tail = words[(k + 1)...].filter { $0 != "and" }
            let thousands: Int
            if head.isEmpty || head == ["a"] { thousands = 1 } else if let n = NumberWords.parse(head.joined(separator: " ")), n.tenths % 10 == 0, n.tenths > 0 { thousands = n.tenths / 10 } else { return nil }
            var rest = 0
            if !tail.isEmpty {
                guard let n = NumberWords.parse(tail.joined(separator: " ")), n.tenths % 10 == 0, n.tenths < 10_000 else { return nil }
                rest = n.tenths / 10
            }
            return SlotNumber(thousands * 1000 + rest)
        }
        return NumberWords.parse(words.joined(separator: " "))
    }

    private static let targetKeys: [[UInt8]] = [Array(" domain=".utf8), Array(" area=".utf8)]

    // MARK: - Words

    /// Where `phrase` (a run of words) starts in `words`, every occurrence.
    static func starts(of phrase: [String], in words: [String]) -> [Int] {
        guard !phrase.isEmpty, phrase.count <= words.count else { return [] }
        return (0...(words.count - phrase.count)).filter { words[$0..<($0 + phrase.count)].elementsEqual(phrase) }
    }

    /// Which of `words` are inside an occurrence of one of `phrases`.
    static func covered(_ words: [String], by phrases: [[String]]) -> [Bool] {
        var covered = [Bool](repeating: false, count: words.count)
        for phrase in phrases {
            for start in starts(of: phrase, in: words) { covered.replaceSubrange(start..<(start + phrase.count), with: repeatElement(true, count: phrase.count)) }
        }
        return covered
    }

    /// The registry's device, area and scene names and aliases, as words.
    static func nameWords(_ registry: Registry) -> Set<[String]> {
        var names = Set<[String]>()
        for phrases in registry.devices.map(\.phrases) + registry.areas.map(\.phrases) + registry.scenes.map(\.phrases) {
            for phrase in phrases { names.insert(words(phrase)) }
        }
        names.remove([])
        return names
    }

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

    /// The evidence that `words` (a command's) name `phrase` (its words).
    public static func score(phrase: [String], in words: [String]) -> Float {
        match(phrase: phrase, in: words)?.score ?? 0
    }

    /// The score and the positions of the command's words that name `phrase`; nil when some
    /// content word of the phrase is missing.
    static func match(phrase: [String], in words: [String]) -> (score: Float, positions: [Int])? {
        let content = phrase.filter { !fillers.contains($0) }
        guard !content.isEmpty else { return nil }
        var positions: [Int] = []
        var total: Float = 0
        for w in content {
            // Each word of the command stands for one word of the phrase; exact matches first.
            let free = words.indices.filter { !positions.contains($0) }
            if let at = free.first(where: { words[$0] == w || Self.stem(words[$0]) == Self.stem(w) }) {
                positions.append(at)
                total += 1
            } else if let at = free.first(where: { same(words[$0], w) }) {
                positions.append(at)
                total += 0.75
            } else {
                return nil
            }
        }
        let adjacent = content.count > 1 && zip(positions, positions.dropFirst()).allSatisfy { $1 == $0 + 1 }
        return (total + (adjacent ? 0.5 : 0), positions)
    }

    /// A word without its plural ending (`lights` → `light`, `switches` → `switch`).
    static func stem(_ word: String) -> Substring {
        let w = Array(word.utf8)
        if w.count > 3, w.last == UInt8(ascii: "s") {
            if w.count > 4, w[w.count - 2] == UInt8(ascii: "e"), "hxs".utf8.contains(w[w.count - 3]) { return word.dropLast(2) }
            return word.dropLast()
        }
        return word[...]
    }

    /// Equal words up to a plural ending, a swap of neighbouring letters or one inserted or
    /// deleted letter (five letters or more: "raeding", "livin") or one replaced letter (six or
    /// more: "kitchon"). Shorter words differ by one letter too often ("light", "night") to allow
    /// it. Fuzzy matches count three quarters of an exact one in `score`.
    public static func same(_ a: String, _ b: String) -> Bool {
        if a == b || stem(a) == stem(b) { return true }
        let x = Array(a.utf8), y = Array(b.utf8)
        let shorter = min(x.count, y.count)
        guard shorter >= 5, abs(x.count - y.count) <= 1 else { return false }
        if shorter < 6 {
            // A swap of neighbours, or one letter more or less; not a replaced letter.
            guard x.count == y.count else { return withinOneEdit(x, y) }
            var i = 0
            while i < x.count && x[i] == y[i] { i += 1 }
            return i + 1 < x.count && x[i] == y[i + 1] && x[i + 1] == y[i] && x[(i + 2)...] == y[(i + 2)...]
        }
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
