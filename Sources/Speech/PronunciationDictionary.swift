import Foundation

/// A pronunciation dictionary in the CMU/Sphinx format: one `word PH O NE S` per line, alternative
/// pronunciations as `word(2) …`. Used to check that every word of a speech grammar can be spoken
/// (PocketSphinx refuses a grammar with unknown words) and to write the small dictionary a decoder
/// loads instead of all 134 000 entries.
///
/// Kept compact: the file's bytes and the entries' line offsets sorted by word (about 4 MB for
/// Debian's dictionary; a Swift `[String: [String]]` of it took 20.5 MB resident), searched by
/// bisection. The daemon reads it for each grammar build (start, reload) and does not keep it.
///
/// Assumes lowercase words, as in Debian's `cmudict-en-us.dict`; lookups are lowercased.
public struct PronunciationDictionary: Sendable {
    /// The dictionary text (entry lines only matter; see `lines`).
    private let text: [UInt8]
    /// Where each entry line starts in `text`, sorted by base word (`word(2)` → `word`), file
    /// order among one word's lines.
    private let lines: [UInt32]

    /// Reads a dictionary file; fails on lines without phones.
    public init(contentsOf url: URL) throws(SpeechError) {
        guard let data = FileManager.default.contents(atPath: url.path) else {
            throw .modelNotFound(path: url.path, reason: "pronunciation dictionary not found or not readable")
        }
        let bytes = [UInt8](data)
        guard bytes.count < Int(UInt32.max) else {
            throw .dictionaryUnreadable(path: url.path, line: 1, reason: "the file is larger than 4 GB")
        }
        var lines: [UInt32] = []
        lines.reserveCapacity(140_000)
        var lineNumber = 0
        var start = 0
        while start < bytes.count {
            var end = start
            while end < bytes.count, bytes[end] != 0x0A { end += 1 }
            lineNumber += 1
            if let problem = Self.entryProblem(bytes, start, end) {
                throw .dictionaryUnreadable(path: url.path, line: lineNumber, reason: problem)
            }
            if Self.isEntry(bytes, start, end) { lines.append(UInt32(start)) }
            start = end + 1
        }
        self.init(text: bytes, lines: lines)
    }

    /// A dictionary from explicit entries (word → pronunciations), for tests and added words.
    public init(entries: [String: [String]]) {
        var text: [UInt8] = []
        var lines: [UInt32] = []
        for (word, pronunciations) in entries.sorted(by: { $0.key < $1.key }) {
            for p in pronunciations {
                lines.append(UInt32(text.count))
                text += Array("\(word.lowercased()) \(p)\n".utf8)
            }
        }
        self.init(text: text, lines: lines)
    }

    private init(text: [UInt8], lines unsorted: [UInt32]) {
        // A stable order: by base word, then by position in the file.
        let (sorted, distinct) = text.withUnsafeBufferPointer { t -> ([UInt32], Int) in
            let sorted = unsorted.sorted { a, b in
                let order = Self.compare(Self.baseWord(t, Int(a)), Self.baseWord(t, Int(b)))
                return order != 0 ? order < 0 : a < b
            }
            var distinct = 0
            var previous: UnsafeBufferPointer<UInt8>?
            for line in sorted {
                let word = Self.baseWord(t, Int(line))
                if previous.map({ Self.compare($0, word) != 0 }) ?? true { distinct += 1 }
                previous = word
            }
            return (sorted, distinct)
        }
        self.text = text
        lines = sorted
        count = distinct
    }

    /// Words of Hark's own catalog that Debian's dictionary lacks, in its phone set.
    public static let catalogWords: [String: [String]] = ["unpause": ["AH N P AO Z"]]

    /// The model's dictionary with Hark's catalog words and `added` (a user's `word → pronunciations`,
    /// which replace the dictionary's own for those words). Added phones must be phones the model's
    /// dictionary uses.
    public static func load(model: SpeechModel, added: [String: [String]] = [:]) throws(SpeechError) -> PronunciationDictionary {
        let base = try PronunciationDictionary(contentsOf: model.dictionary)
        if !added.isEmpty {
            let known = base.phones
            for (word, pronunciations) in added.sorted(by: { $0.key < $1.key }) {
                for p in pronunciations {
                    if let phone = p.split(separator: " ").first(where: { !known.contains(String($0)) }) {
                        throw .unknownPhone(word: word, phone: String(phone), known: known.sorted())
                    }
                }
            }
        }
        return base.adding(catalogWords.filter { !base.contains($0.key) }.merging(added) { $1 })
    }

    /// This dictionary with `entries` added; an added word's pronunciations replace its own.
    public func adding(_ entries: [String: [String]]) -> PronunciationDictionary {
        guard !entries.isEmpty else { return self }
        let replaced = Set(entries.keys.map { $0.lowercased() })
        var text = self.text
        var lines = text.withUnsafeBufferPointer { t in
            self.lines.filter { !replaced.contains(String(decoding: Self.baseWord(t, Int($0)), as: UTF8.self)) }
        }
        if let last = text.last, last != 0x0A { text.append(0x0A) }
        for (word, pronunciations) in entries.sorted(by: { $0.key < $1.key }) {
            for p in pronunciations {
                lines.append(UInt32(text.count))
                text += Array("\(word.lowercased()) \(p)\n".utf8)
            }
        }
        return PronunciationDictionary(text: text, lines: lines)
    }

    /// The phones the entries use.
    public var phones: Set<String> {
        var out = Set<String>()
        for i in lines.indices {
            guard let p = pronunciations(at: i) else { continue }
            for phone in p.split(separator: " ") { out.insert(String(phone)) }
        }
        return out
    }

    private func pronunciations(at index: Int) -> String? {
        text.withUnsafeBufferPointer { t in
            var phones = Int(lines[index])
            while phones < t.count, t[phones] != 0x20, t[phones] != 0x09 { phones += 1 }
            while phones < t.count, t[phones] == 0x20 || t[phones] == 0x09 { phones += 1 }
            var end = phones
            while end < t.count, t[end] != 0x0A { end += 1 }
            if end > phones, t[end - 1] == 0x0D { end -= 1 }
            return end > phones ? String(decoding: UnsafeBufferPointer(rebasing: t[phones..<end]), as: UTF8.self) : nil
        }
    }

    /// Number of distinct words.
    public let count: Int

    public func contains(_ word: String) -> Bool { !lineRange(of: word).isEmpty }

    /// The pronunciations of `word` (phone strings such as `HH AA R K`), empty when unknown.
    public func pronunciations(of word: String) -> [String] {
        lineRange(of: word).map { pronunciations(at: $0) ?? "" }
    }

    /// Dictionary text (Sphinx format) holding just `words` with all their pronunciations, sorted.
    /// Words the dictionary lacks are left out.
    public func subsetText<S: Sequence>(for words: S) -> String where S.Element == String {
        var out = ""
        for word in Set(words.map { $0.lowercased() }).sorted() {
            for (i, p) in pronunciations(of: word).enumerated() {
                out += i == 0 ? "\(word) \(p)\n" : "\(word)(\(i + 1)) \(p)\n"
            }
        }
        return out
    }

    // MARK: - Lines

    /// The indices in `lines` of `word`'s entries.
    private func lineRange(of word: String) -> Range<Int> {
        var key = Array(word.lowercased().utf8)
        return key.withUnsafeMutableBufferPointer { k in
            text.withUnsafeBufferPointer { t in
                let query = UnsafeBufferPointer(k)
                var low = 0, high = lines.count
                while low < high {
                    let mid = (low + high) / 2
                    if Self.compare(Self.baseWord(t, Int(lines[mid])), query) < 0 { low = mid + 1 } else { high = mid }
                }
                var end = low
                while end < lines.count, Self.compare(Self.baseWord(t, Int(lines[end])), query) == 0 { end += 1 }
                return low..<end
            }
        }
    }

    /// Whether the line `start..<end` is an entry (not blank, not a `#` comment).
    private static func isEntry(_ bytes: [UInt8], _ start: Int, _ end: Int) -> Bool {
        end > start && bytes[start] != 0x23 && !(end == start + 1 && bytes[start] == 0x0D)
    }

    /// What is wrong with an entry line (a word without phones), or nil.
    private static func entryProblem(_ bytes: [UInt8], _ start: Int, _ end: Int) -> String? {
        guard isEntry(bytes, start, end) else { return nil }
        var lineEnd = end
        if bytes[lineEnd - 1] == 0x0D { lineEnd -= 1 }
        var space = start
        while space < lineEnd, bytes[space] != 0x20, bytes[space] != 0x09 { space += 1 }
        var phones = space
        while phones < lineEnd, bytes[phones] == 0x20 || bytes[phones] == 0x09 { phones += 1 }
        guard phones >= lineEnd else { return nil }
        return "'\(String(decoding: bytes[start..<space], as: UTF8.self))' has no phones"
    }

    /// The word an entry line starts with, without an alternative's `(2)`.
    private static func baseWord(_ text: UnsafeBufferPointer<UInt8>, _ start: Int) -> UnsafeBufferPointer<UInt8> {
        var end = start
        while end < text.count, text[end] != 0x20, text[end] != 0x09, text[end] != 0x0A { end += 1 }
        if end - start > 2, text[end - 1] == UInt8(ascii: ")") {
            var open = end - 2
            while open > start, text[open] != UInt8(ascii: "(") { open -= 1 }
            if open > start { end = open }
        }
        return UnsafeBufferPointer(rebasing: text[start..<end])
    }

    /// Byte order of two words (-1, 0, 1).
    private static func compare(_ a: UnsafeBufferPointer<UInt8>, _ b: UnsafeBufferPointer<UInt8>) -> Int {
        let n = min(a.count, b.count)
        for i in 0..<n where a[i] != b[i] { return a[i] < b[i] ? -1 : 1 }
        return a.count == b.count ? 0 : (a.count < b.count ? -1 : 1)
    }
}
