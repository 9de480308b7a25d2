import Foundation
import Intents
import Speech
import XCTest

final class SpeechErrorTests: XCTestCase {
    private var scratch: URL!

    override func setUpWithError() throws {
        scratch = FileManager.default.temporaryDirectory.appendingPathComponent("hark-speech-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
    }

    override func tearDown() { try? FileManager.default.removeItem(at: scratch) }

    func testMissingModelDirectory() {
        let missing = scratch.appendingPathComponent("nope")
        XCTAssertThrowsError(try SpeechModel(directory: missing)) { error in
            XCTAssertEqual(error as? SpeechError, .modelNotFound(path: missing.path, reason: "no such directory"))
            XCTAssertEqual("\(error)", "speech model \(missing.path): no such directory")
        }
        // A directory that is not a model.
        XCTAssertThrowsError(try SpeechModel(directory: scratch)) { error in
            XCTAssertTrue("\(error)".contains("no acoustic model directory"), "\(error)")
        }
        XCTAssertThrowsError(try SpeechModel(acousticModel: scratch, dictionary: speechModel.dictionary)) { error in
            XCTAssertTrue("\(error)".contains("has no 'mdef' file"), "\(error)")
        }
    }

    /// An acoustic model directory missing files is refused before PocketSphinx sees it (PocketSphinx
    /// would end the process).
    func testIncompleteAcousticModel() throws {
        let hmm = scratch.appendingPathComponent("en-us")
        try FileManager.default.createDirectory(at: hmm, withIntermediateDirectories: true)
        for name in ["mdef", "means"] {
            try FileManager.default.copyItem(at: speechModel.acousticModel.appendingPathComponent(name), to: hmm.appendingPathComponent(name))
        }
        try FileManager.default.copyItem(at: speechModel.dictionary, to: scratch.appendingPathComponent("cmudict-en-us.dict"))
        XCTAssertThrowsError(try SpeechModel(directory: scratch)) { error in
            XCTAssertEqual("\(error)", "speech model \(hmm.path): incomplete acoustic model: missing variances, transition_matrices")
        }
    }

    func testGrammarSyntaxError() {
        let jsgf = "#JSGF V1.0;\ngrammar g;\npublic <c> = ( turn on | off ;\n"
        XCTAssertThrowsError(try SpeechRecognizer(model: speechModel, jsgf: jsgf, dictionaryText: "turn T ER N\non AA N\noff AO F\n")) { error in
            guard case let .grammarRejected(reason, _) = error as? SpeechError else { return XCTFail("\(error)") }
            XCTAssertTrue(reason.contains("syntax error"), reason)
            XCTAssertFalse(reason.contains("at line"), "SphinxBase's line numbers run on across grammars: \(reason)")
        }
    }

    func testGrammarWithUndefinedRuleNamesTheRule() {
        let jsgf = "#JSGF V1.0;\ngrammar g;\npublic <c> = turn on <gadget>;\n"
        XCTAssertThrowsError(try SpeechRecognizer(model: speechModel, jsgf: jsgf, dictionaryText: "turn T ER N\non AA N\n")) { error in
            guard case .grammarRejected = error as? SpeechError else { return XCTFail("\(error)") }
            XCTAssertTrue("\(error)".contains("gadget"), "the error names the undefined rule: \(error)")
        }
    }

    func testGrammarWordMissingFromDictionaryNamesTheWord() {
        let jsgf = "#JSGF V1.0;\ngrammar g;\npublic <c> = turn on the zorblax;\n"
        XCTAssertThrowsError(try SpeechRecognizer(model: speechModel, jsgf: jsgf, dictionaryText: "turn T ER N\non AA N\nthe DH AH\n")) { error in
            guard case .grammarRejected = error as? SpeechError else { return XCTFail("\(error)") }
            XCTAssertTrue("\(error)".contains("zorblax"), "the error names the word: \(error)")
        }
    }

    func testWakePhraseRejections() {
        XCTAssertThrowsError(try WakePhraseSpotter(model: speechModel, dictionary: cmuDictionary, phrase: "hey hub")) { error in
            XCTAssertEqual("\(error)", "wake phrase 'hey hub' rejected: it has 2 syllables; keyphrase spotting needs three or more to tell it from other speech")
        }
        XCTAssertThrowsError(try WakePhraseSpotter(model: speechModel, dictionary: cmuDictionary, phrase: "hey sonos house")) { error in
            XCTAssertTrue("\(error)".contains("'sonos' is not in the pronunciation dictionary"), "\(error)")
        }
        XCTAssertThrowsError(try WakePhraseSpotter(model: speechModel, dictionary: cmuDictionary, phrase: "hey hark house", threshold: 2)) { error in
            XCTAssertTrue("\(error)".contains("outside (0, 1)"), "\(error)")
        }
        XCTAssertEqual(WakePhraseSpotter.syllableCount(WakePhraseSpotter.defaultPhrase, dictionary: cmuDictionary), 3)
    }
}
