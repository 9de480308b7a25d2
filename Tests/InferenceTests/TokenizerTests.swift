import Foundation
import Inference
import XCTest

/// The SmolLM2 tokenizer against reference ids (`tools/reference/gen_tokenizer_fixture.py`:
/// transformers on the same GGUF, with SmolLM2's Digits + ByteLevel pre-tokenizer), and the
/// vocabulary checks on small hand-made vocabularies.
final class TokenizerTests: XCTestCase {
    private struct Case: Decodable {
        let text: String
        let ids: [Int32]
        let parse_special: Bool?
        var parseSpecial: Bool { parse_special ?? true }
    }

    /// The model's tokenizer, loaded once; a test that needs it fails (never skips) without it.
    private static let loaded: (tokenizer: BPETokenizer?, problem: String?) = {
        guard let path = ModelLocator.defaultModelPath() else { return (nil, ModelLocator.notFoundMessage()) }
        do {
            return (try BPETokenizer(gguf: GGUFFile(path: path)), nil)
        } catch {
            return (nil, "\(error)")
        }
    }()

    private func modelTokenizer(file: StaticString = #filePath, line: UInt = #line) throws -> BPETokenizer {
        guard let tokenizer = Self.loaded.tokenizer else {
            XCTFail("cannot load the model's tokenizer: \(Self.loaded.problem ?? "?")", file: file, line: line)
            throw TokenizerTestError.noModel
        }
        return tokenizer
    }

    private enum TokenizerTestError: Error { case noModel }

    private func fixtureCases() throws -> [Case] {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("Fixtures/tokenizer_cases.json")
        return try JSONDecoder().decode([Case].self, from: Data(contentsOf: url))
    }

    /// Byte values that no token stands for alone (they are dropped from encoded text).
    private static func bytesWithoutAToken(_ tokenizer: BPETokenizer) -> Set<UInt8> {
        var missing = Set(UInt8(0)...UInt8(255))
        for id in 0..<Int32(tokenizer.vocabularySize) where !tokenizer.isControl(id) {
            let bytes = tokenizer.tokenBytes(id)
            if bytes.count == 1 { missing.remove(bytes[0]) }
        }
        return missing
    }

    /// Text with its escapes visible, for failure messages.
    private func shown(_ text: String) -> String {
        text.unicodeScalars.map { $0.isASCII && $0.value >= 0x20 && $0.value < 0x7F ? String($0) : "\\u{\(String($0.value, radix: 16))}" }.joined()
    }

    // MARK: - Against the reference

    func testEveryFixtureCaseEncodesToTheReferenceIDs() throws {
        let tokenizer = try modelTokenizer()
        let cases = try fixtureCases()
        XCTAssertGreaterThanOrEqual(cases.count, 200)
        var failures: [String] = []
        for item in cases {
            let ids = tokenizer.encode(item.text, parseSpecial: item.parseSpecial)
            if ids != item.ids {
                failures.append("\"\(shown(item.text))\" (parseSpecial \(item.parseSpecial)): got \(ids), reference \(item.ids)")
            }
        }
        XCTAssert(failures.isEmpty, "\(failures.count) of \(cases.count) cases differ:\n" + failures.prefix(20).joined(separator: "\n"))
    }

    func testDecodeInvertsEncodeForEveryCase() throws {
        let tokenizer = try modelTokenizer()
        let missing = Self.bytesWithoutAToken(tokenizer)
        var checked = 0
        for item in try fixtureCases() {
            // Compare bytes: String equality would accept a canonically equivalent spelling.
            let expected = item.text.utf8.filter { !missing.contains($0) }
            for parseSpecial in [true, false] {
                let decoded = tokenizer.decode(tokenizer.encode(item.text, parseSpecial: parseSpecial))
                XCTAssertEqual(Array(decoded.utf8), expected, "\"\(shown(item.text))\" (parseSpecial \(parseSpecial))")
            }
            XCTAssertEqual(Array(tokenizer.decode(item.ids).utf8), expected, "reference ids of \"\(shown(item.text))\"")
            if expected.count == item.text.utf8.count { checked += 1 }
        }
        XCTAssertGreaterThanOrEqual(checked, 200, "cases that round-trip exactly")
    }

    func testTokenBytesConcatenateToTheText() throws {
        let tokenizer = try modelTokenizer()
        let missing = Self.bytesWithoutAToken(tokenizer)
        for item in try fixtureCases() {
            let bytes = tokenizer.encode(item.text, parseSpecial: item.parseSpecial).flatMap { tokenizer.tokenBytes($0) }
            XCTAssertEqual(bytes, item.text.utf8.filter { !missing.contains($0) }, "\"\(shown(item.text))\"")
        }
    }

    // MARK: - The model's vocabulary

    func testVocabularyAndNamedTokens() throws {
        let tokenizer = try modelTokenizer()
        XCTAssertEqual(tokenizer.vocabularySize, 49152)
        XCTAssertEqual(tokenizer.tokenID("<|endoftext|>"), 0)
        XCTAssertEqual(tokenizer.tokenID("<|im_start|>"), 1)
        XCTAssertEqual(tokenizer.tokenID("<|im_end|>"), 2)
        XCTAssertEqual(tokenizer.bosID, 1)
        XCTAssertEqual(tokenizer.eosID, 2)
        XCTAssertEqual(tokenizer.tokenID(" the"), 260)
        XCTAssertEqual(tokenizer.tokenBytes(260), Array(" the".utf8))
        XCTAssertEqual(tokenizer.tokenBytes(198), [0x0A])
        XCTAssertEqual(tokenizer.tokenBytes(1), Array("<|im_start|>".utf8))
        XCTAssertNil(tokenizer.tokenID("no such token in the vocabulary"))
        XCTAssertEqual(tokenizer.tokenBytes(-1), [])
        XCTAssertEqual(tokenizer.tokenBytes(49152), [])
        XCTAssertTrue(tokenizer.isControl(2))
        XCTAssertFalse(tokenizer.isControl(260))
        XCTAssertEqual((0..<49152).filter { tokenizer.isControl(Int32($0)) }.count, 17)
        // An ASCII character is its own token, unless the vocabulary has none for it.
        let untokened = Self.bytesWithoutAToken(tokenizer)
        XCTAssertEqual(untokened, Set([0x04, 0x06, 0x13, 0x14, 0x16, 0x1D, 0xC0, 0xC1, 0xF1, 0xF2] + Array(0xF5...0xFF)))
        for byte in UInt8(0)..<0x80 {
            let ids = tokenizer.encode(String(UnicodeScalar(byte)))
            XCTAssertEqual(ids.count, untokened.contains(byte) ? 0 : 1, "byte \(byte)")
        }
    }

    func testSpecialTokensAreParsedOnlyWhenAsked() throws {
        let tokenizer = try modelTokenizer()
        let text = "<|im_start|>user\nturn on the light<|im_end|>\n"
        let parsed = tokenizer.encode(text)
        XCTAssertEqual(parsed.first, 1)
        XCTAssertEqual(parsed.filter { $0 == 1 || $0 == 2 }.count, 2)
        XCTAssertEqual(parsed, [1] + tokenizer.encode("user\nturn on the light") + [2] + tokenizer.encode("\n"))

        let plain = tokenizer.encode(text, parseSpecial: false)
        XCTAssertFalse(plain.contains { tokenizer.isControl($0) }, "\(plain)")
        XCTAssertEqual(tokenizer.decode(plain), text)
        XCTAssertGreaterThan(plain.count, parsed.count)

        // A special token splits the text around it: no piece is merged across it.
        XCTAssertEqual(tokenizer.encode("a<|im_end|>b"), tokenizer.encode("a") + [2] + tokenizer.encode("b"))
        // Near misses stay text.
        XCTAssertFalse(tokenizer.encode("<|im_start").contains(1))
        XCTAssertFalse(tokenizer.encode("<|im_startt|>").contains(1))
    }

    func testEncodingIsFast() throws {
        let tokenizer = try modelTokenizer()
        let command = "set the bedroom thermostat to 21.5 degrees and dim the hallway lights to 30%"
        let kilobyte = String(repeating: "Turn on the kitchen light, then set the thermostat to 21 °C! ", count: 17)
        XCTAssertGreaterThanOrEqual(kilobyte.utf8.count, 1000)
        let clock = ContinuousClock()
        var total = 0
        let commandTime = clock.measure { for _ in 0..<1000 { total += tokenizer.encode(command).count } }
        let kilobyteTime = clock.measure { for _ in 0..<100 { total += tokenizer.encode(kilobyte).count } }
        XCTAssertGreaterThan(total, 0)
        let path = try XCTUnwrap(ModelLocator.defaultModelPath())
        let file = try GGUFFile(path: path)
        let buildTime = try clock.measure { _ = try BPETokenizer(gguf: file) }
        print("tokenizer: a command in \(commandTime / 1000), 1 KB in \(kilobyteTime / 100), built from a read GGUF in \(buildTime)")
        // Loose bound: debug builds are several times slower than release.
        XCTAssertLessThan(kilobyteTime / 100, .milliseconds(20))
    }

    // MARK: - Hand-made vocabularies

    /// GPT-2's spelling of the 256 byte values (`"Ġ"` for a space).
    private static let byteSpellings: [String] = {
        var direct = Set<Int>()
        for range in [0x21...0x7E, 0xA1...0xAC, 0xAE...0xFF] { direct.formUnion(range) }
        var next: UInt32 = 256
        return (0..<256).map { byte in
            if direct.contains(byte) { return String(UnicodeScalar(UInt8(byte))) }
            defer { next += 1 }
            return String(UnicodeScalar(next)!)
        }
    }()

    /// A vocabulary of the 256 bytes, `extra` tokens and a control token `<|end|>` last.
    private func smallTokenizer(extra: [String], merges: [String], types: [Int]? = nil) throws(GGUFError) -> BPETokenizer {
        let tokens = Self.byteSpellings + extra + ["<|end|>"]
        let types = types ?? ([Int](repeating: 1, count: tokens.count - 1) + [3])
        return try BPETokenizer(tokens: tokens, merges: merges, tokenTypes: types, bosID: nil,
                                eosID: Int32(tokens.count - 1), path: "small.gguf")
    }

    private func assertMismatch(_ expectedFragments: [String], file: StaticString = #filePath, line: UInt = #line,
                                _ body: () throws(GGUFError) -> BPETokenizer) {
        do {
            _ = try body()
            XCTFail("no error; expected one naming \(expectedFragments)", file: file, line: line)
        } catch {
            guard case .vocabularyMismatch(let path, let reason) = error else {
                XCTFail("expected vocabularyMismatch, got \(error)", file: file, line: line)
                return
            }
            XCTAssertEqual(path, "small.gguf", file: file, line: line)
            for fragment in expectedFragments {
                XCTAssertTrue(reason.contains(fragment), "'\(reason)' does not name '\(fragment)'", file: file, line: line)
            }
            XCTAssertTrue(error.description.hasPrefix("small.gguf: vocabulary mismatch: "), error.description, file: file, line: line)
        }
    }

    func testMergesApplyLowestRankFirstThenLeftmost() throws {
        // Ranks: "b c" before "a b", so "abc" is "a" + "bc"; equal ranks merge from the left.
        let tokenizer = try smallTokenizer(extra: ["bc", "ab", "aa", "abc"], merges: ["b c", "a b", "a a", "a bc"])
        let (bc, ab, aa, abc) = (Int32(256), Int32(257), Int32(258), Int32(259))
        XCTAssertEqual(tokenizer.encode("bc"), [bc])
        XCTAssertEqual(tokenizer.encode("abc"), [abc])
        XCTAssertEqual(tokenizer.encode("ab"), [ab])
        XCTAssertEqual(tokenizer.encode("aaa"), [aa, 97])
        XCTAssertEqual(tokenizer.encode("aaaaa"), [aa, aa, 97])
        XCTAssertEqual(tokenizer.encode("abab"), [ab, ab])
        XCTAssertEqual(tokenizer.encode("abcabc"), [abc, abc])
        // A space starts a new piece, so no merge crosses it.
        XCTAssertEqual(tokenizer.encode("a bc"), [97, 32, bc])
        XCTAssertEqual(tokenizer.encode("x<|end|>"), [120, 260])
        XCTAssertEqual(tokenizer.encode("x<|end|>", parseSpecial: false).count, 8)
        XCTAssertEqual(tokenizer.tokenID("abc"), abc)
        XCTAssertEqual(tokenizer.decode([abc, 32, aa]), "abc aa")
        XCTAssertEqual(tokenizer.eosID, 260)
    }

    func testTokenTypeCountMismatchIsNamed() {
        assertMismatch(["token_type", "3 entries", "258 tokens"]) { () throws(GGUFError) in
            try smallTokenizer(extra: ["ab"], merges: ["a b"], types: [1, 1, 1])
        }
    }

    func testMergeNamingAnUnknownTokenIsNamed() {
        assertMismatch(["merge 1", "'a zz'", "'zz'", "not in the vocabulary"]) { () throws(GGUFError) in
            try smallTokenizer(extra: ["ab"], merges: ["a b", "a zz"])
        }
    }

    func testMergeMakingAnUnknownTokenIsNamed() {
        assertMismatch(["merge 0", "makes 'ab'", "not in the vocabulary"]) { () throws(GGUFError) in
            try smallTokenizer(extra: [], merges: ["a b"])
        }
    }

    func testMalformedMergeIsNamed() {
        assertMismatch(["merge 0", "'ab'", "two tokens"]) { () throws(GGUFError) in
            try smallTokenizer(extra: ["ab"], merges: ["ab"])
        }
    }

    func testBytesWithoutATokenAreDroppedBeforeMerging() throws {
        // As in Hugging Face's BPE without an unknown token: "A" has no token, so "xAy" is "x" "y",
        // which then merge.
        var tokens = Self.byteSpellings
        tokens[0x41] = "not-A"
        tokens.append("xy")
        let tokenizer = try BPETokenizer(tokens: tokens, merges: ["x y"], tokenTypes: [Int](repeating: 1, count: 257),
                                         bosID: nil, eosID: nil, path: "small.gguf")
        XCTAssertEqual(tokenizer.encode("xAy"), [256])
        XCTAssertEqual(tokenizer.encode("A"), [])
        XCTAssertEqual(tokenizer.encode("AA"), [])
        XCTAssertEqual(tokenizer.encode("xA"), [120])
        XCTAssertEqual(tokenizer.decode(tokenizer.encode("xAyA")), "xy")
    }

    func testOutOfRangeEOSAndUnknownPreTokenizerAreNamed() {
        assertMismatch(["EOS", "999", "256 tokens"]) { () throws(GGUFError) in
            try BPETokenizer(tokens: Self.byteSpellings, merges: [], tokenTypes: [Int](repeating: 1, count: 256),
                             bosID: nil, eosID: 999, path: "small.gguf")
        }
        assertMismatch(["pre-tokenizer 'llama-bpe'", "not supported"]) { () throws(GGUFError) in
            try BPETokenizer(tokens: Self.byteSpellings, merges: [], tokenTypes: [Int](repeating: 1, count: 256),
                             bosID: nil, eosID: nil, path: "small.gguf", preTokenizer: "llama-bpe")
        }
    }
}
