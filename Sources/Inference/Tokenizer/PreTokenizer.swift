/// Cuts text into the pieces that BPE merges never cross, as the model's own tokenizer did when
/// its merges were learned.
///
/// The cut is GPT-2's pattern
///
///     's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+
///
/// (case-sensitive contractions, an optional single leading space U+0020 before a run of letters, of
/// numbers or of other characters, whitespace runs that leave their last character to the next
/// piece). SmolLM2 (`tokenizer.ggml.pre` = `smollm`) first isolates every \p{N} character, as
/// Hugging Face's `Digits(individual_digits: true)` and llama.cpp's `\p{N}` split do; the pattern
/// then runs on the text between them, as if each ended the text (so `"\n\n1"` is `"\n\n"`, `"1"`
/// where GPT-2's pattern alone gives `"\n"`, `"\n"`, `"1"`).
///
/// The pattern is matched by hand over Unicode scalars rather than with a regex engine: the
/// alternatives never need more than one character of backtracking.
struct PreTokenizer: Sendable {
    /// Whether every number character is a piece of its own before GPT-2's pattern runs.
    let isolatesDigits: Bool

    /// The pre-tokenizer named by `tokenizer.ggml.pre`, if Hark implements it. Only names whose
    /// Hugging Face and llama.cpp definitions agree on this scanner are accepted.
    init?(name: String) {
        switch name {
        case "smollm", "starcoder":  // Digits(individual_digits) + ByteLevel; llama.cpp: "\p{N}" then GPT-2
            isolatesDigits = true
        case "gpt-2":  // ByteLevel; llama.cpp: GPT-2's pattern
            isolatesDigits = false
        default:
            return nil
        }
    }

    /// Names accepted by `init(name:)`, for error messages.
    static let supportedNames = "smollm, starcoder, gpt-2"

    /// Character classes of the pattern.
    enum Class {
        static let letter: UInt8 = 0   // \p{L}: Lu Ll Lt Lm Lo
        static let number: UInt8 = 1   // \p{N}: Nd Nl No
        static let space: UInt8 = 2    // \s: the White_Space property
        static let other: UInt8 = 3    // everything else (marks, punctuation, symbols, emoji, controls)
    }

    /// The class of each ASCII character.
    private static let asciiClass: [UInt8] = (0..<128).map { classify(Unicode.Scalar(UInt8($0))) }

    /// The Unicode version of the reference's character tables: Hugging Face `tokenizers` (its
    /// Oniguruma) knows Unicode 16.0, so a character assigned later (CJK Extension J, Unicode 17)
    /// is unassigned there, in class `other`, even where Swift's newer tables call it a letter.
    static let unicodeVersion: Unicode.Version = (major: 16, minor: 0)

    static func classify(_ scalar: Unicode.Scalar) -> UInt8 {
        let properties = scalar.properties
        if properties.isWhitespace { return Class.space }
        guard let age = properties.age,
              age.major < unicodeVersion.major || (age.major == unicodeVersion.major && age.minor <= unicodeVersion.minor)
        else { return Class.other }
        switch properties.generalCategory {
        case .uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter:
            return Class.letter
        case .decimalNumber, .letterNumber, .otherNumber:
            return Class.number
        default:
            return Class.other
        }
    }

    /// Reusable buffers for one `encode` call.
    struct Scratch {
        var scalars: [UInt32] = []
        var classes: [UInt8] = []
        /// Byte offset of each scalar, plus one past the end.
        var offsets: [Int] = []
    }

    /// Splits `bytes[range]` (whole UTF-8 characters) and appends the end offset of each piece, in
    /// order, to `ends`. The first piece starts at `range.lowerBound`.
    func split(_ bytes: UnsafeBufferPointer<UInt8>, _ range: Range<Int>, scratch: inout Scratch, ends: inout [Int]) {
        decode(bytes, range, into: &scratch)
        let count = scratch.classes.count
        scratch.scalars.withUnsafeBufferPointer { scalars in
            scratch.classes.withUnsafeBufferPointer { classes in
                scratch.offsets.withUnsafeBufferPointer { offsets in
                    var start = 0
                    while start < count {
                        var end = start
                        if isolatesDigits {
                            if classes[start] == Class.number {
                                ends.append(offsets[start + 1])
                                start += 1
                                continue
                            }
                            while end < count && classes[end] != Class.number { end += 1 }
                        } else {
                            end = count
                        }
                        var position = start
                        while position < end {
                            position = Self.matchEnd(scalars, classes, from: position, limit: end)
                            ends.append(offsets[position])
                        }
                        start = end
                    }
                }
            }
        }
    }

    /// Where the GPT-2 pattern's match starting at `start` ends, the text ending at `limit`.
    @inline(__always)
    private static func matchEnd(_ scalars: UnsafeBufferPointer<UInt32>, _ classes: UnsafeBufferPointer<UInt8>,
                                 from start: Int, limit: Int) -> Int {
        let first = scalars[start]
        // 's|'t|'re|'ve|'m|'ll|'d
        if first == 0x27, start + 1 < limit {
            switch scalars[start + 1] {
            case 0x73, 0x74, 0x6D, 0x64:  // s t m d
                return start + 2
            case 0x72, 0x76:  // r v, then e
                if start + 2 < limit && scalars[start + 2] == 0x65 { return start + 3 }
            case 0x6C:  // l, then l
                if start + 2 < limit && scalars[start + 2] == 0x6C { return start + 3 }
            default:
                break
            }
        }
        // ` ?\p{L}+`, ` ?\p{N}+`, ` ?[^\s\p{L}\p{N}]+`: an optional space, then a run of one class.
        var runStart = start
        if first == 0x20 && start + 1 < limit && classes[start + 1] != Class.space { runStart = start + 1 }
        let runClass = classes[runStart]
        if runClass != Class.space {
            var end = runStart + 1
            while end < limit && classes[end] == runClass { end += 1 }
            return end
        }
        // `\s+(?!\S)` takes a whitespace run except the last character when a non-space follows;
        // `\s+` takes a single whitespace character before a non-space.
        var end = start + 1
        while end < limit && classes[end] == Class.space { end += 1 }
        if end < limit && end - start > 1 { return end - 1 }
        return end
    }

    /// Decodes `bytes[range]` (valid UTF-8) into scalars, their classes and byte offsets.
    private func decode(_ bytes: UnsafeBufferPointer<UInt8>, _ range: Range<Int>, into scratch: inout Scratch) {
        scratch.scalars.removeAll(keepingCapacity: true)
        scratch.classes.removeAll(keepingCapacity: true)
        scratch.offsets.removeAll(keepingCapacity: true)
        var index = range.lowerBound
        let end = range.upperBound
        while index < end {
            let lead = UInt32(bytes[index])
            scratch.offsets.append(index)
            if lead < 0x80 {
                scratch.scalars.append(lead)
                scratch.classes.append(Self.asciiClass[Int(lead)])
                index += 1
                continue
            }
            var value: UInt32
            var length: Int
            if lead < 0xE0 {
                value = lead & 0x1F; length = 2
            } else if lead < 0xF0 {
                value = lead & 0x0F; length = 3
            } else {
                value = lead & 0x07; length = 4
            }
            for k in 1..<length where index + k < end {
                value = (value << 6) | (UInt32(bytes[index + k]) & 0x3F)
            }
            let scalar = Unicode.Scalar(value) ?? "\u{FFFD}"
            scratch.scalars.append(value)
            scratch.classes.append(Self.classify(scalar))
            index += length
        }
        scratch.offsets.append(min(index, end))
    }
}
