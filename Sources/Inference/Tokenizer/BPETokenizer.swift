/// The GPT-2 byte-level BPE tokenizer of a GGUF model (`tokenizer.ggml.model` = `gpt2`), such as
/// SmolLM2's.
///
/// Encoding runs in three steps, as in Hugging Face `tokenizers` and llama.cpp:
/// 1. special tokens (control tokens such as `<|im_start|>`, when `parseSpecial`, and user-defined
///    tokens always) are cut out of the text, leftmost-longest first;
/// 2. the text between them is cut into pieces by the model's pre-tokenizer (`PreTokenizer`);
/// 3. each piece's UTF-8 bytes are merged by BPE (`BPEMerger`).
///
/// No BOS or EOS token is added. The value is immutable and holds no cache, so it is safe to share
/// between threads.
public struct BPETokenizer: Sendable {
    /// The beginning-of-sequence token, if the model names one (`<|im_start|>` for SmolLM2).
    public let bosID: Int32?
    /// The end-of-sequence token, if the model names one (`<|im_end|>` for SmolLM2).
    public let eosID: Int32?

    /// Raw bytes of every token, one after another; token `i` is `bytes[offsets[i]..<offsets[i+1]]`.
    private let bytes: [UInt8]
    private let offsets: [Int32]
    /// Whether each token is a control token (GGUF token type 3).
    private let control: [Bool]
    /// Token of each distinct raw byte string; for equal byte strings the lowest id.
    private let idsByBytes: [[UInt8]: Int32]
    private let merger: BPEMerger
    private let preTokenizer: PreTokenizer
    /// Tokens matched whole in the text, grouped by first byte, longest first.
    private let specialsByFirstByte: [[SpecialToken]]

    private struct SpecialToken: Sendable {
        let id: Int32
        let bytes: [UInt8]
        /// Control tokens are matched only when `parseSpecial`; user-defined ones always.
        let isControl: Bool
    }

    /// GGUF token types (llama.cpp's `llama_token_type`).
    private enum TokenType {
        static let control = 3
        static let userDefined = 4
    }

    /// Reads the tokenizer of a GGUF file: `tokenizer.ggml.tokens`, `.merges`, `.token_type`,
    /// `.bos_token_id`, `.eos_token_id`, `.model` (must be `gpt2`) and `.pre` (the pre-tokenizer).
    public init(gguf: GGUFFile) throws(GGUFError) {
        let path = gguf.path
        let model = try gguf.requireString("tokenizer.ggml.model")
        guard model == "gpt2" else {
            throw .vocabularyMismatch(path: path, reason: "tokenizer.ggml.model is '\(model)'; Hark reads only GPT-2 byte-level BPE ('gpt2')")
        }
        let pre = try gguf.requireString("tokenizer.ggml.pre")
        let tokens = try gguf.stringArray("tokenizer.ggml.tokens")
        let merges = try gguf.stringArray("tokenizer.ggml.merges")
        let types: [Int]
        if gguf.hasMetadata("tokenizer.ggml.token_type") {
            types = try gguf.intArray("tokenizer.ggml.token_type")
        } else {
            types = [Int](repeating: 1, count: tokens.count)
        }
        let bos = try Self.optionalID(gguf, "tokenizer.ggml.bos_token_id")
        let eos = try Self.optionalID(gguf, "tokenizer.ggml.eos_token_id")
        try self.init(tokens: tokens, merges: merges, tokenTypes: types, bosID: bos, eosID: eos, path: path, preTokenizer: pre)
    }

    private static func optionalID(_ gguf: GGUFFile, _ key: String) throws(GGUFError) -> Int32? {
        guard let value = gguf.metadata[key] else { return nil }
        guard let id = value.int, let id32 = Int32(exactly: id) else {
            throw .malformed(path: gguf.path, reason: "'\(key)' is not a token id")
        }
        return id32
    }

    /// Builds a tokenizer from a vocabulary in GGUF form.
    ///
    /// - Parameters:
    ///   - tokens: the vocabulary, byte-level spelled (`"Ġon"` for `" on"`); control and
    ///     user-defined tokens as their plain text.
    ///   - merges: `"left right"` pairs of spelled tokens, best first.
    ///   - tokenTypes: GGUF token type per token (1 normal, 3 control, 4 user-defined, ...).
    ///   - path: the file the vocabulary came from, for error messages.
    ///   - preTokenizer: the `tokenizer.ggml.pre` name; SmolLM2's `smollm` by default.
    /// - Throws: `GGUFError.vocabularyMismatch` naming the first inconsistency (counts that differ, a
    ///   merge naming or making a token that is not in the vocabulary, an out-of-range BOS/EOS id,
    ///   an unknown pre-tokenizer).
    public init(tokens: [String], merges: [String], tokenTypes: [Int], bosID: Int32?, eosID: Int32?,
                path: String, preTokenizer: String = "smollm") throws(GGUFError) {
        func mismatch(_ reason: String) -> GGUFError { .vocabularyMismatch(path: path, reason: reason) }

        guard let pre = PreTokenizer(name: preTokenizer) else {
            throw mismatch("pre-tokenizer '\(preTokenizer)' is not supported (supported: \(PreTokenizer.supportedNames))")
        }
        guard !tokens.isEmpty, tokens.count <= Int(Int32.max) else {
            throw mismatch("the vocabulary has \(tokens.count) tokens")
        }
        guard tokenTypes.count == tokens.count else {
            throw mismatch("token_type has \(tokenTypes.count) entries for \(tokens.count) tokens")
        }
        for (name, id) in [("BOS", bosID), ("EOS", eosID)] {
            if let id, id < 0 || Int(id) >= tokens.count {
                throw mismatch("the \(name) token id \(id) is outside the vocabulary of \(tokens.count) tokens")
            }
        }

        // Raw bytes per token, and the spelled-token lookup the merges are written in (the last of
        // equal spellings wins, as in Hugging Face and llama.cpp).
        var bytes: [UInt8] = []
        var offsets: [Int32] = [0]
        var control: [Bool] = []
        var idsByBytes: [[UInt8]: Int32] = [:]
        var idsBySpelling: [String: Int32] = [:]
        var specials: [SpecialToken] = []
        offsets.reserveCapacity(tokens.count + 1)
        control.reserveCapacity(tokens.count)
        idsByBytes.reserveCapacity(tokens.count)
        idsBySpelling.reserveCapacity(tokens.count)
        for (index, token) in tokens.enumerated() {
            let id = Int32(index)
            let type = tokenTypes[index]
            let isSpecial = type == TokenType.control || type == TokenType.userDefined
            let raw: [UInt8]
            if isSpecial {
                raw = Array(token.utf8)
                if !raw.isEmpty { specials.append(SpecialToken(id: id, bytes: raw, isControl: type == TokenType.control)) }
            } else {
                raw = ByteLevel.bytes(spelled: token) ?? Array(token.utf8)
            }
            bytes.append(contentsOf: raw)
            offsets.append(Int32(bytes.count))
            control.append(type == TokenType.control)
            if idsByBytes[raw] == nil { idsByBytes[raw] = id }
            idsBySpelling[token] = id
        }

        var byteTokens = [Int32](repeating: -1, count: 256)
        for byte in 0..<256 {
            let spelling = String(ByteLevel.scalarForByte[byte])
            // SmolLM2 has no token for 21 byte values (0x04, 0x06, ... and bytes that never occur
            // in UTF-8); those bytes are dropped from the text, as by Hugging Face and llama.cpp.
            byteTokens[byte] = idsBySpelling[spelling] ?? -1
        }

        // Merges keyed by the pair of token ids; the first of duplicate merges wins, as in llama.cpp.
        var table: [UInt64: BPEMerger.Merge] = [:]
        table.reserveCapacity(merges.count)
        for (line, merge) in merges.enumerated() {
            let parts = merge.utf8.dropFirst().firstIndex(of: UInt8(ascii: " ")).map {
                (String(merge[merge.startIndex..<$0]), String(merge[merge.index(after: $0)...]))
            }
            guard let (left, right) = parts, !right.isEmpty, !right.contains(" ") else {
                throw mismatch("merge \(line) '\(merge)' is not two tokens separated by one space")
            }
            guard let leftID = idsBySpelling[left] else {
                throw mismatch("merge \(line) '\(merge)' names '\(left)', which is not in the vocabulary")
            }
            guard let rightID = idsBySpelling[right] else {
                throw mismatch("merge \(line) '\(merge)' names '\(right)', which is not in the vocabulary")
            }
            guard let resultID = idsBySpelling[left + right] else {
                throw mismatch("merge \(line) '\(merge)' makes '\(left + right)', which is not in the vocabulary")
            }
            let key = BPEMerger.pairKey(leftID, rightID)
            if table[key] == nil { table[key] = BPEMerger.Merge(rank: Int32(line), result: resultID) }
        }

        var byFirstByte = [[SpecialToken]](repeating: [], count: 256)
        for special in specials { byFirstByte[Int(special.bytes[0])].append(special) }
        for i in 0..<256 where byFirstByte[i].count > 1 {
            byFirstByte[i].sort { $0.bytes.count != $1.bytes.count ? $0.bytes.count > $1.bytes.count : $0.id < $1.id }
        }

        self.bosID = bosID
        self.eosID = eosID
        self.bytes = bytes
        self.offsets = offsets
        self.control = control
        self.idsByBytes = idsByBytes
        self.merger = BPEMerger(merges: table, byteTokens: byteTokens)
        self.preTokenizer = pre
        self.specialsByFirstByte = byFirstByte
    }

    /// The number of tokens in the vocabulary.
    public var vocabularySize: Int { control.count }

    /// The tokens of `text`. With `parseSpecial`, control tokens written in the text (such as
    /// `<|im_start|>`) become those tokens; without, they are tokenized as plain text. No BOS or
    /// EOS token is added. Bytes the vocabulary has no token for (in SmolLM2 the control characters
    /// U+0004, U+0006, U+0013, U+0014, U+0016, U+001D and the UTF-8 lead bytes 0xF1, 0xF2 of
    /// planes 4 to 11) are left out, as Hugging Face and llama.cpp do.
    public func encode(_ text: String, parseSpecial: Bool = true) -> [Int32] {
        var text = text
        return text.withUTF8 { encode(utf8: $0, parseSpecial: parseSpecial) }
    }

    private func encode(utf8 input: UnsafeBufferPointer<UInt8>, parseSpecial: Bool) -> [Int32] {
        var output: [Int32] = []
        output.reserveCapacity(input.count / 3 + 4)
        var preScratch = PreTokenizer.Scratch()
        var mergeScratch = BPEMerger.Scratch()
        var ends: [Int] = []

        var textStart = 0
        var position = 0
        let count = input.count
        while position <= count {
            // The special token starting here, if any, else move on.
            var special: SpecialToken?
            if position < count {
                for candidate in specialsByFirstByte[Int(input[position])]
                where (parseSpecial || !candidate.isControl) && Self.matches(candidate.bytes, input, at: position) {
                    special = candidate
                    break
                }
                if special == nil {
                    position += 1
                    continue
                }
            }
            // Tokenize the text before it (or before the end).
            if textStart < position {
                ends.removeAll(keepingCapacity: true)
                preTokenizer.split(input, textStart..<position, scratch: &preScratch, ends: &ends)
                var pieceStart = textStart
                for end in ends {
                    merger.encode(input, pieceStart..<end, scratch: &mergeScratch, into: &output)
                    pieceStart = end
                }
            }
            guard let special else { break }
            output.append(special.id)
            position += special.bytes.count
            textStart = position
        }
        return output
    }

    @inline(__always)
    private static func matches(_ token: [UInt8], _ text: UnsafeBufferPointer<UInt8>, at position: Int) -> Bool {
        guard position + token.count <= text.count else { return false }
        for k in 0..<token.count where text[position + k] != token[k] { return false }
        return true
    }

    /// The text of `ids`: their bytes, concatenated, read as UTF-8 (a byte sequence that is not
    /// valid UTF-8, as from a token list cut inside a character, reads as U+FFFD). The inverse of
    /// `encode` for text whose every byte has a token. Ids outside the vocabulary are skipped.
    public func decode(_ ids: [Int32]) -> String {
        var buffer: [UInt8] = []
        buffer.reserveCapacity(ids.count * 4)
        for id in ids where id >= 0 && Int(id) < control.count {
            buffer.append(contentsOf: bytes[Int(offsets[Int(id)])..<Int(offsets[Int(id) + 1])])
        }
        return String(decoding: buffer, as: UTF8.self)
    }

    /// The raw bytes token `id` stands for: UTF-8, possibly a fragment of a character (`[0x20, 0x6F,
    /// 0x6E]` for `"Ġon"`); a control or user-defined token's own text. Empty for an id outside the
    /// vocabulary.
    public func tokenBytes(_ id: Int32) -> [UInt8] {
        guard id >= 0 && Int(id) < control.count else { return [] }
        return Array(bytes[Int(offsets[Int(id)])..<Int(offsets[Int(id) + 1])])
    }

    /// The token whose bytes are exactly the UTF-8 of `text` (`" on"`, `"<|im_start|>"`), or nil.
    /// Where several tokens have the same bytes, the lowest id.
    public func tokenID(_ text: String) -> Int32? {
        idsByBytes[Array(text.utf8)]
    }

    /// Whether token `id` is a control token (GGUF token type 3, such as `<|im_end|>`): one that
    /// plain text never encodes to, which a grammar over text should leave out.
    public func isControl(_ id: Int32) -> Bool {
        id >= 0 && Int(id) < control.count && control[Int(id)]
    }
}
