import Foundation
import Intents
import Speech
import XCTest

final class SpeechGrammarTests: XCTestCase {
    func testExampleHomeGrammarIsAcceptedByPocketSphinxAndNamesTheDevices() throws {
        let g = exampleGrammar
        XCTAssertTrue(g.jsgf.hasPrefix("#JSGF V1.0;"))
        XCTAssertTrue(g.jsgf.contains("public <command> = "), g.jsgf)
        // Every device name and alias of the registry is in the grammar, except the one the
        // dictionary cannot say ("sonos", warned below).
        for device in exampleHome.registry.devices {
            for phrase in device.phrases where phrase != "sonos" {
                XCTAssertTrue(g.jsgf.contains(phrase), "device \(device.id) phrase '\(phrase)' missing from the grammar")
            }
        }
        for phrase in ["lounge", "master bedroom", "movie night", "cinema", "bedtime", "away mode"] {
            XCTAssertTrue(g.jsgf.contains(phrase), phrase)
        }
        // Structural: slots are rules, alternatives stay groups, numbers are words.
        XCTAssertTrue(g.jsgf.contains("<slot_percent_0_100> = "), "percent slot as a rule")
        XCTAssertTrue(g.jsgf.contains("( turn | switch | put ) on"), "template alternatives kept as a group")
        XCTAssertTrue(g.jsgf.contains("twenty one point five"))
        let body = g.jsgf.split(separator: "\n").dropFirst().joined(separator: "\n")  // after "#JSGF V1.0;"
        XCTAssertFalse(body.replacingOccurrences(of: "<[^>]*>", with: "", options: .regularExpression).contains(where: \.isNumber),
                       "numbers are spoken words; digits appear only in rule names")
        XCTAssertLessThan(g.jsgf.utf8.count, 200_000, "the grammar is structural, not an enumeration of sentences")
        XCTAssertTrue(g.words.allSatisfy { cmuDictionary.contains($0) })
        XCTAssertEqual(Set(g.intents), Set(exampleHome.catalog.intentNames))

        // PocketSphinx parses it, builds the search and finds every word in the dictionary subset.
        let t0 = Date()
        _ = try SpeechRecognizer(model: speechModel, grammar: g, dictionary: cmuDictionary)
        print("grammar: \(g.jsgf.utf8.count) bytes, \(g.words.count) words; recogniser ready in \(String(format: "%.2f", Date().timeIntervalSince(t0))) s")
    }

    func testExampleHomeWarnsAboutWordsTheDictionaryLacks() {
        let text = exampleGrammar.warnings.map(\.description)
        XCTAssertTrue(text.contains { $0.contains("device living_room.speaker alias 'sonos'") && $0.contains("'sonos'") }, text.joined(separator: "\n"))
        XCTAssertTrue(text.contains { $0.contains("media.yaml") && $0.contains("'unpause'") }, text.joined(separator: "\n"))
        XCTAssertFalse(exampleGrammar.accepts("turn on the sonos"))
        XCTAssertTrue(exampleGrammar.accepts("turn on the living room speaker"))
        XCTAssertFalse(exampleGrammar.accepts("unpause the music"))
        XCTAssertTrue(exampleGrammar.accepts("resume the music"))
    }

    /// Words the dictionary lacks can be added (`speech.pronunciations`); Hark's own catalog words
    /// come with the dictionary; a phone the model does not have is refused by name.
    func testAddedPronunciationsMakeWordsSayable() throws {
        let dictionary = try PronunciationDictionary.load(model: speechModel, added: ["sonos": ["S OW N OW S"], "hark": ["HH AA R K", "HH AH R K"]])
        XCTAssertEqual(dictionary.pronunciations(of: "sonos"), ["S OW N OW S"])
        XCTAssertEqual(dictionary.pronunciations(of: "unpause"), ["AH N P AO Z"])
        XCTAssertEqual(dictionary.pronunciations(of: "hark"), ["HH AA R K", "HH AH R K"], "added pronunciations replace the dictionary's")
        XCTAssertEqual(dictionary.pronunciations(of: "lamp"), cmuDictionary.pronunciations(of: "lamp"))
        XCTAssertEqual(dictionary.count, cmuDictionary.count + 2)
        let grammar = SpeechGrammar(catalog: exampleHome.catalog, registry: exampleHome.registry, dictionary: dictionary)
        XCTAssertEqual(grammar.warnings.map(\.description).filter { $0.contains("sonos") || $0.contains("unpause") }, [])
        XCTAssertTrue(grammar.accepts("turn on the sonos"))
        XCTAssertTrue(grammar.accepts("unpause the music"))
        _ = try SpeechRecognizer(model: speechModel, grammar: grammar, dictionary: dictionary)
        XCTAssertThrowsError(try PronunciationDictionary.load(model: speechModel, added: ["tado": ["T AA D OW Q"]])) { error in
            guard case let .unknownPhone(word, phone, known) = error as? SpeechError else { return XCTFail("\(error)") }
            XCTAssertEqual(word, "tado")
            XCTAssertEqual(phone, "Q")
            XCTAssertTrue(known.contains("AA") && known.contains("ZH") && known.count < 50, "\(known)")
        }
    }

    /// Every sentence the template expander produces (in spoken form) is in the grammar, unless it
    /// holds a word the dictionary lacks; and things outside the command language are not.
    /// A home without covers, locks or scenes leaves those intents out quietly: a warning there
    /// would be noise on every start of a small home.
    func testNothingToSayToIsNoWarning() {
        var registry = exampleHome.registry
        registry.devices = registry.devices.filter { $0.domain == .light }
        registry.scenes = []
        let g = SpeechGrammar(catalog: exampleHome.catalog, registry: registry, dictionary: cmuDictionary)
        let noisy = g.warnings.map(\.description).filter { $0.contains("no sayable sentence") || $0.contains("cannot be spoken") }
        // "(play|resume|unpause|start) <target>" is void here for want of a media player, not
        // because 'unpause' is missing from the dictionary: that word is warned, the template is not.
        XCTAssertEqual(noisy, [])
        XCTAssertTrue(g.warnings.contains { $0.word == "unpause" })
        XCTAssertFalse(g.intents.contains("activate_scene"))
        XCTAssertTrue(g.accepts("turn on the ceiling light"))
    }

    /// A template whose words cannot be said, for devices the home has, is warned about.
    func testUnsayableTemplatesAreWarned() {
        var entries: [String: [String]] = [:]
        for word in ["turn", "on", "off", "the", "ceiling", "light", "lights", "front", "door", "lock"] {
            entries[word] = cmuDictionary.pronunciations(of: word)
        }
        let g = SpeechGrammar(catalog: exampleHome.catalog, registry: exampleHome.registry, dictionary: PronunciationDictionary(entries: entries))
        let messages = g.warnings.map(\.description)
        XCTAssertTrue(messages.contains { $0.contains("(unlock template") && $0.contains("no sayable sentence left") }, messages.joined(separator: "\n"))
        XCTAssertTrue(messages.contains { $0.contains("intent unlock") && $0.contains("cannot be spoken") })
        XCTAssertTrue(g.accepts("turn on the ceiling light"))
    }

    /// What may follow a sentence: the early endpoint waits less after one nothing extends.
    func testContinuationsOfSentences() {
        let g = exampleGrammar
        XCTAssertTrue(g.accepts("turn on the ceiling light"))
        XCTAssertTrue(g.continuations(of: "turn on the ceiling light").isSubset(of: ["please"]), "\(g.continuations(of: "turn on the ceiling light"))")
        XCTAssertTrue(g.continuations(of: "turn on the lights").contains("in"), "the lights in an area")
        let number = g.continuations(of: "set the desk lamp to fifty")
        XCTAssertTrue(number.contains("percent") && number.contains("five"), "\(number)")
        XCTAssertTrue(g.continuations(of: "turn on the").contains("ceiling"))
        XCTAssertEqual(g.continuations(of: "turn on the ceiling light banana"), [])
    }

    func testGrammarAcceptsExpanderSentences() {
        let expander = TemplateExpander(catalog: exampleHome.catalog, registry: exampleHome.registry)
        var rng = SeededGenerator(seed: 6)
        var checked = 0
        for e in expander.sample(count: 1500, using: &rng) {
            guard let spoken = SpokenText.words(e.text), spoken.allSatisfy(cmuDictionary.contains) else { continue }
            checked += 1
            XCTAssertTrue(exampleGrammar.accepts(e.text), "'\(e.text)' (\(e.intent)) not in the grammar")
        }
        XCTAssertGreaterThan(checked, 1300)
        for text in ["turn on the toaster", "set the ceiling light to two hundred percent", "please please turn on the floor lamp",
                     "turn on", "lights the kitchen", "set the temperature to thirty five degrees"] {
            XCTAssertFalse(exampleGrammar.accepts(text), text)
        }
        XCTAssertTrue(exampleGrammar.accepts("set the color temperature of the floor lamp to 2700 kelvin"))
        XCTAssertTrue(exampleGrammar.accepts("set the color temperature of the floor lamp to twenty seven hundred kelvin"))
    }

    func testDeviceWithAWordMissingFromTheDictionaryIsWarnedAndLeftOut() throws {
        var registry = exampleHome.registry
        registry.devices.append(Device(id: "office.zorblax", name: "zorblax lamp", aliases: ["desk light"], area: "office",
                                       type: .dimmableLight, adapter: .tasmota(topic: "zorblax")))
        registry.devices.append(Device(id: "office.qwxl", name: "qwxl", area: "office", type: .outlet, adapter: .tasmota(topic: "qwxl")))
        let g = SpeechGrammar(catalog: exampleHome.catalog, registry: registry, dictionary: cmuDictionary)
        let zorblax = g.warnings.filter { $0.word == "zorblax" }
        XCTAssertEqual(zorblax.count, 1, g.warnings.map(\.description).joined(separator: "\n"))
        XCTAssertEqual(zorblax.first?.origin, "device office.zorblax name 'zorblax lamp'")
        XCTAssertTrue(zorblax.first?.description.contains("'zorblax' is not in the pronunciation dictionary") == true)
        XCTAssertEqual(g.warnings.filter { $0.word == "qwxl" }.map(\.origin), ["device office.qwxl name 'qwxl'"])
        XCTAssertFalse(g.jsgf.contains("zorblax"))
        XCTAssertFalse(g.accepts("turn on the zorblax lamp"))
        XCTAssertTrue(g.accepts("turn on the desk light"), "the alias the dictionary knows stays")
        XCTAssertTrue(g.accepts("dim the desk light to forty percent"))
        _ = try SpeechRecognizer(model: speechModel, grammar: g, dictionary: cmuDictionary)
    }

    func testOptionalPrefix() {
        let g = SpeechGrammar(catalog: exampleHome.catalog, registry: exampleHome.registry, dictionary: cmuDictionary,
                              optionalPrefix: WakePhraseSpotter.defaultPhrase)
        XCTAssertTrue(g.accepts("hey hark house turn off the lights"))
        XCTAssertTrue(g.accepts("turn off the lights"))
        XCTAssertFalse(exampleGrammar.accepts("hey hark house turn off the lights"))
    }

    func testSpokenText() {
        XCTAssertEqual(SpokenText.sentence("Set the lamp to 30%!"), "set the lamp to thirty")
        XCTAssertEqual(SpokenText.sentence("make it 21.5 degrees"), "make it twenty one point five degrees")
        XCTAssertEqual(SpokenText.sentence("2700 kelvin"), "two thousand seven hundred kelvin")
        XCTAssertEqual(SpokenText.sentence("what's the time, o'clock"), "what's the time o'clock")
        XCTAssertEqual(SpokenText.sentence("twenty-one"), "twenty one")
        XCTAssertNil(SpokenText.sentence("set it to 12345"))
    }

    func testPronunciationDictionary() throws {
        XCTAssertGreaterThan(cmuDictionary.count, 100_000)
        XCTAssertEqual(cmuDictionary.pronunciations(of: "hark"), ["HH AA R K"])
        XCTAssertEqual(cmuDictionary.pronunciations(of: "what's").count, 2, "alternatives word(2) are kept")
        XCTAssertFalse(cmuDictionary.contains("sonos"))
        XCTAssertEqual(cmuDictionary.pronunciations(of: "Lamp"), ["L AE M P"], "lookups are lowercased")
        // Neighbours in byte order are told apart: "a" is not "a's" or "a.", "aaa" is not "aa".
        XCTAssertEqual(cmuDictionary.pronunciations(of: "a"), ["AH", "EY"])
        XCTAssertTrue(cmuDictionary.pronunciations(of: "aaa").allSatisfy { !$0.isEmpty })
        XCTAssertNotEqual(cmuDictionary.pronunciations(of: "aaa"), cmuDictionary.pronunciations(of: "aa"))
        let small = PronunciationDictionary(entries: ["Hub": ["HH AH B"], "hubs": ["HH AH B Z"]])
        XCTAssertEqual(small.count, 2)
        XCTAssertEqual(small.pronunciations(of: "hub"), ["HH AH B"])
        XCTAssertEqual(small.subsetText(for: ["hubs", "hub", "nope"]), "hub HH AH B\nhubs HH AH B Z\n")
        XCTAssertEqual(cmuDictionary.subsetText(for: ["what's", "hark", "sonos"]), "hark HH AA R K\nwhat's W AH T S\nwhat's(2) HH W AH T S\n")
        let bad = FileManager.default.temporaryDirectory.appendingPathComponent("hark-bad-\(UUID().uuidString).dict")
        try "hello HH AH L OW\nbroken\n".write(to: bad, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: bad) }
        XCTAssertThrowsError(try PronunciationDictionary(contentsOf: bad)) { error in
            XCTAssertEqual("\(error)", "\(bad.path):2: 'broken' has no phones")
        }
    }
}
