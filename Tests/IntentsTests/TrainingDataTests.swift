import Foundation
import XCTest
@testable import Intents

final class TrainingDataTests: XCTestCase {
    let generator = TrainingDataGenerator(catalog: defaultCatalog)

    func testSameSeedGivesSameExamplesAndOtherSeedsDiffer() {
        let a = generator.examples(count: 200, seed: 7)
        let b = generator.examples(count: 200, seed: 7)
        XCTAssertEqual(a, b)
        let c = generator.examples(count: 200, seed: 8)
        XCTAssertNotEqual(a.map(\.command), c.map(\.command))
        // Order-independent: example i does not depend on the ones before it.
        XCTAssertEqual(generator.example(index: 123, seed: 7), a[123])
    }

    func testEveryActionResolvesOnItsOwnRegistryAndSite() throws {
        for example in generator.examples(count: 1500, seed: 3) {
            XCTAssertFalse(example.command.isEmpty)
            XCTAssertNotNil(example.registry.area(id: example.site), "site \(example.site) is not an area")
            if example.action == Catalog.noneIntent {
                XCTAssertEqual(example.intent, Catalog.noneIntent)
                continue
            }
            let resolver = ActionResolver(catalog: defaultCatalog, registry: example.registry)
            do {
                let resolved = try resolver.resolve(text: example.action, site: example.site)
                XCTAssertEqual(resolved.canonical.description, example.action, "not canonical: \(example.action)")
                XCTAssertEqual(resolved.intent, example.intent)
                if example.intent != "activate_scene" { XCTAssertFalse(resolved.devices.isEmpty, "\(example.action) reaches no device") }
            } catch {
                XCTFail("'\(example.command)' -> \(example.action) does not resolve: \(error)")
            }
        }
    }

    func testNoneShareIsNearTheTarget() {
        let examples = generator.examples(count: 4000, seed: 11)
        let share = Double(examples.filter { $0.intent == Catalog.noneIntent }.count) / Double(examples.count)
        XCTAssertEqual(share, 0.15, accuracy: 0.025)
        var half = generator
        half.noneShare = 0.5
        let other = half.examples(count: 2000, seed: 11)
        XCTAssertEqual(Double(other.filter { $0.intent == Catalog.noneIntent }.count) / 2000, 0.5, accuracy: 0.04)
        // Every kind of "not a command" appears.
        let kinds = Set(examples.filter { $0.intent == Catalog.noneIntent }.map(\.source))
        XCTAssertEqual(kinds, ["chitchat", "absent", "unsupported", "range", "injection", "mismatch", "fragment"])
    }

    func testEveryIntentAppears() {
        let intents = Set(generator.examples(count: 3000, seed: 5).map(\.intent))
        XCTAssertEqual(intents, Set(defaultCatalog.intentNames))
    }

    func testRegistriesVary() {
        let examples = generator.examples(count: 300, seed: 9)
        let homes = Set(examples.map(\.registry))
        XCTAssertGreaterThan(homes.count, 290)
        let areaCounts = Set(examples.map(\.registry.areas.count))
        XCTAssertEqual(areaCounts, Set(3...8))
        let deviceCounts = examples.map(\.registry.devices.count)
        XCTAssertGreaterThanOrEqual(deviceCounts.min()!, 3)
        XCTAssertLessThanOrEqual(deviceCounts.max()!, 30)
        XCTAssertGreaterThan(deviceCounts.max()!, 20, "large homes too, like real ones")
        XCTAssertGreaterThan(Set(deviceCounts).count, 8)
        XCTAssertEqual(Set(examples.map { min($0.registry.scenes.count, 3) }), Set(0...3))
        XCTAssertGreaterThan(Set(examples.map(\.site)).count, 20)
        let types = Set(examples.flatMap { $0.registry.devices.map(\.type) })
        XCTAssertEqual(types, Set(DeviceType.allCases))
    }

    func testPerRegistryGroupsShareAHome() {
        var grouped = generator
        grouped.perRegistry = 4
        let examples = grouped.examples(count: 12, seed: 2)
        for g in stride(from: 0, to: 12, by: 4) {
            XCTAssertEqual(Set(examples[g..<g + 4].map(\.registry)).count, 1)
            XCTAssertEqual(Set(examples[g..<g + 4].map(\.site)).count, 1)
        }
        XCTAssertNotEqual(examples[0].registry, examples[4].registry)
    }

    /// Random homes are valid registries: unique ids and phrases, no name that reads as an area, a
    /// domain word or an area plus a domain word (what `hark check` warns about).
    func testRandomHomesAreUnambiguous() {
        let domainWords = Set(defaultCatalog.domainPhrases.values.flatMap { $0.map { $0.lowercased() } })
        var rng = SeededGenerator(seed: 4)
        for _ in 0..<300 {
            let (home, site) = generator.randomHome(using: &rng)
            XCTAssertNotNil(home.area(id: site))
            XCTAssertEqual(Set(home.areas.map(\.id)).count, home.areas.count)
            XCTAssertEqual(Set(home.devices.map(\.id)).count, home.devices.count)
            let areaPhrases = home.areas.flatMap(\.phrases)
            XCTAssertEqual(Set(areaPhrases).count, areaPhrases.count)
            let devicePhrases = home.devices.flatMap(\.phrases)
            XCTAssertEqual(Set(devicePhrases).count, devicePhrases.count, "\(devicePhrases)")
            for d in home.devices {
                XCTAssertTrue(Identifier.isDotted(d.id), d.id)
                XCTAssertNotNil(home.area(id: d.area))
                for p in d.phrases {
                    XCTAssertFalse(domainWords.contains(p), p)
                    XCTAssertFalse(areaPhrases.contains(p), p)
                    for a in areaPhrases { for w in domainWords { XCTAssertNotEqual(p, "\(a) \(w)") } }
                }
            }
            for a in home.areas { XCTAssertTrue(Identifier.isSimple(a.id), a.id) }
        }
    }

    /// The pools never use the names of the held-out eval homes.
    func testPoolsAvoidEvalNames() {
        let banned = ["den", "nursery", "patio", "entry", "guest room", "sunroom", "mudroom", "carport", "kids room", "family room",
                      "fairy lights", "big light", "reading lamp", "telly", "bay window blind", "nest", "tower fan", "roller door",
                      "deadbolt", "porch light", "chandelier", "accent lights", "soundbar", "roller shutter", "ecobee", "can lights",
                      "oil heater", "dino lamp", "skylight", "driveway gate", "good morning", "film night", "nap time", "party",
                      "leaving home", "story time",
                      // home-c (session 3)
                      "parlour", "scullery", "nook", "veranda", "bunk room", "annex", "globe pendant", "wall washer", "turntable",
                      "cast iron radiator", "sash blind", "under cabinet strip", "immersion heater", "bread oven", "anglepoise",
                      "clip fan", "festoon lights", "retractable awning", "gate latch", "star projector", "story speaker",
                      "annex door", "bike store door", "supper", "lights out"]
        var names = TrainingPools.areas.flatMap { [$0.name] + $0.aliases } + TrainingPools.scenes.flatMap { [$0.name] + $0.aliases }
        names += TrainingPools.deviceNames.values.flatMap { $0 } + TrainingPools.extraSceneNames
        for name in names {
            let words = " \(name) "
            for b in banned { XCTAssertFalse(words.contains(" \(b) "), "\(name) contains \(b)") }
        }
    }

    /// The committed adapter's data set (seed 11) contains no eval sentence of six words or more, even
    /// after the surface variation is undone (case, punctuation). Shorter ones ("lights off",
    /// "pause", "tell me a joke") are what the catalog's own templates and everyday chit-chat say.
    func testTrainingDataContainsNoEvalSentence() throws {
        let evalDirectory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../intents/eval").standardized
        func normal(_ s: String) -> String {
            String(s.lowercased().map { $0.isLetter || $0.isNumber || $0 == " " || $0 == "'" ? $0 : " " })
                .split(separator: " ").joined(separator: " ")
        }
        var evalTexts = Set<String>()
        for file in try FileManager.default.contentsOfDirectory(atPath: evalDirectory.path) where file.hasSuffix(".jsonl") {
            let text = try String(contentsOf: evalDirectory.appendingPathComponent(file), encoding: .utf8)
            for line in text.split(separator: "\n") {
                let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]
                if let t = object?["text"] as? String { evalTexts.insert(normal(t)) }
            }
        }
        XCTAssertGreaterThan(evalTexts.count, 300)
        var generator = self.generator
        generator.perRegistry = 16
        let overlap = generator.examples(count: 8960, seed: 11).map { normal($0.command) }.filter { evalTexts.contains($0) && $0.split(separator: " ").count >= 6 }
        XCTAssertEqual(Set(overlap), [], "training sentences that are eval sentences")
    }

    func testTextsLookLikeCommands() {
        let examples = generator.examples(count: 2000, seed: 21)
        for e in examples {
            XCTAssertFalse(e.command.contains("  "), e.command)
            XCTAssertFalse(e.command.contains("\n"), e.command)
            XCTAssertEqual(e.command, e.command.trimmingCharacters(in: .whitespaces))
        }
        let commands = examples.map(\.command)
        // Both ASR-style (lowercase, no punctuation) and typed text.
        XCTAssertGreaterThan(commands.filter { $0 == $0.lowercased() && !$0.contains(".") && !$0.contains("?") }.count, 600)
        XCTAssertGreaterThan(commands.filter { $0.first?.isUppercase == true }.count, 400)
        // Numbers as words and as digits, percent signs, politeness.
        XCTAssertTrue(commands.contains { $0.contains("%") })
        XCTAssertTrue(commands.contains { $0.range(of: #"\b(twenty|thirty|forty|fifty|sixty|seventy|eighty|ninety)\b"#, options: .regularExpression) != nil })
        XCTAssertTrue(commands.contains { $0.range(of: #"\d\d"#, options: .regularExpression) != nil })
        XCTAssertTrue(commands.contains { $0.lowercased().hasPrefix("could you") || $0.lowercased().hasPrefix("please") })
        XCTAssertGreaterThan(Set(commands).count, 1900)
    }

    func testGenerationIsFast() {
        let start = Date()
        _ = generator.examples(count: 2000, seed: 1)
        // Debug builds are slower; release writes 10 000 examples in a few seconds.
        XCTAssertLessThan(Date().timeIntervalSince(start), 30)
    }

    func testSlugs() {
        XCTAssertEqual(Identifier.slug("living room"), "living_room")
        XCTAssertEqual(Identifier.slug("emma's room"), "emmas_room")
        XCTAssertEqual(Identifier.slug("up and over door"), "up_and_over_door")
    }
}
