import Foundation

/// A pronunciation dictionary in the CMU/Sphinx format: one `word PH O NE S` per line, alternative
/// pronunciations as `word(2) …`. Used to check that every word of a speech grammar can be spoken
/// (PocketSphinx refuses a grammar with unknown words) and to write the small dictionary a decoder
/// loads instead of all 134 000 entries.
///
/// Assumes lowercase words, as in Debian's `cmudict-en-us.dict`; lookups are lowercased.
public struct PronunciationDictionary: Sendable {
    /// Pronunciations (phone strings) per word, in file order.
    private let entries: [String: [String]]

    /// Reads a dictionary file; fails on lines without phones.
    public init(contentsOf url: URL) throws(SpeechError) {
        guard let data = FileManager.default.contents(atPath: url.path) else {
            throw .modelNotFound(path: url.path, reason: "pronunciation dictionary not found or not readable")
        }
        var entries: [String: [String]] = [:]
        entries.reserveCapacity(140_000)
        var lineNumber = 0
        var problem: (Int, String)?
        data.withUnsafeBytes { (raw: UnsafeRawBufferPointer) in
            let bytes = raw.bindMemory(to: UInt8.self)
            var start = 0
            while start < bytes.count {
                var end = start
                while end < bytes.count, bytes[end] != 0x0A { end += 1 }
                lineNumber += 1
                var lineEnd = end
                if lineEnd > start, bytes[lineEnd - 1] == 0x0D { lineEnd -= 1 }
                if lineEnd > start, bytes[start] != 0x23 {  // '#' starts a comment line
                    var space = start
                    while space < lineEnd, bytes[space] != 0x20, bytes[space] != 0x09 { space += 1 }
                    var phones = space
                    while phones < lineEnd, bytes[phones] == 0x20 || bytes[phones] == 0x09 { phones += 1 }
                    let word = String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<space]), as: UTF8.self)
                    if phones >= lineEnd {
                        if problem == nil { problem = (lineNumber, "'\(word)' has no phones") }
                    } else {
                        let pron = String(decoding: UnsafeBufferPointer(rebasing: bytes[phones..<lineEnd]), as: UTF8.self)
                        entries[Self.baseWord(word), default: []].append(pron)
                    }
                }
                start = end + 1
            }
        }
        if let (line, reason) = problem { throw .dictionaryUnreadable(path: url.path, line: line, reason: reason) }
        self.entries = entries
    }

    /// A dictionary from explicit entries (word → pronunciations), for tests and added words.
    public init(entries: [String: [String]]) {
        var lowered: [String: [String]] = [:]
        for (w, p) in entries { lowered[w.lowercased(), default: []] += p }
        self.entries = lowered
    }

    /// Number of distinct words.
    public var count: Int { entries.count }

    public func contains(_ word: String) -> Bool { entries[word.lowercased()] != nil }

    /// The pronunciations of `word` (phone strings such as `HH AA R K`), empty when unknown.
    public func pronunciations(of word: String) -> [String] { entries[word.lowercased()] ?? [] }

    /// Dictionary text (Sphinx format) holding just `words` with all their pronunciations, sorted.
    /// Words the dictionary lacks are left out.
    public func subsetText<S: Sequence>(for words: S) -> String where S.Element == String {
        var out = ""
        for word in Set(words.map { $0.lowercased() }).sorted() {
            for (i, p) in (entries[word] ?? []).enumerated() {
                out += i == 0 ? "\(word) \(p)\n" : "\(word)(\(i + 1)) \(p)\n"
            }
        }
        return out
    }

    /// `word(2)` → `word`.
    private static func baseWord(_ word: String) -> String {
        guard word.hasSuffix(")"), let open = word.lastIndex(of: "("), open != word.startIndex else { return word }
        return String(word[..<open])
    }
}
