import Foundation
import Intents
import Speech
import SynthesisTestSupport
import XCTest

/// The repository root, from this file's location.
let repositoryRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

/// The example home (deploy/hark.example.yaml) with the default catalog, loaded once.
let exampleHome: HomeConfiguration = {
    do { return try HomeConfiguration.load(configFile: repositoryRoot.appendingPathComponent("deploy/hark.example.yaml")) } catch {
        fatalError("deploy/hark.example.yaml does not load:\n\(error)")
    }
}()

/// Debian's en-us model and its CMU dictionary, loaded once.
let speechModel: SpeechModel = {
    do { return try SpeechModel() } catch { fatalError("PocketSphinx model missing (apt install pocketsphinx-en-us): \(error)") }
}()

let cmuDictionary: PronunciationDictionary = {
    do { return try PronunciationDictionary(contentsOf: speechModel.dictionary) } catch { fatalError("\(error)") }
}()

/// The speech grammar of the example home.
let exampleGrammar = SpeechGrammar(catalog: exampleHome.catalog, registry: exampleHome.registry, dictionary: cmuDictionary)

/// Word error rate counts: substitutions + deletions + insertions against the reference length.
/// With `same`, words that compare equal by it count as a match (e.g. homophones).
func wordErrors(reference: [String], hypothesis: [String], same: (String, String) -> Bool = { $0 == $1 }) -> Int {
    var previous = Array(0...hypothesis.count)
    for (i, r) in reference.enumerated() {
        var current = [i + 1] + [Int](repeating: 0, count: hypothesis.count)
        for (j, h) in hypothesis.enumerated() {
            current[j + 1] = min(previous[j] + (same(r, h) ? 0 : 1), previous[j + 1] + 1, current[j] + 1)
        }
        previous = current
    }
    return previous[hypothesis.count]
}

/// True when the dictionary gives `a` and `b` a common pronunciation ("color", "colour"): no
/// recogniser can tell them apart, and the parser reads both.
func homophones(_ a: String, _ b: String) -> Bool {
    a == b || !Set(cmuDictionary.pronunciations(of: a)).isDisjoint(with: cmuDictionary.pronunciations(of: b))
}
