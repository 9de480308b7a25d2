/// GPT-2's reversible spelling of bytes as printable characters.
///
/// A byte-level BPE vocabulary never stores raw bytes: each of the 256 byte values is written as
/// one printable Unicode character (`"Ġ"` for a space, `"Ċ"` for a newline, printable ASCII and most
/// of Latin-1 as themselves). The vocabulary and merges in a GGUF file use this spelling; the
/// tokenizer works on raw bytes and uses this table only to read the file.
enum ByteLevel {
    /// The character that spells each byte value.
    static let scalarForByte: [Unicode.Scalar] = {
        var direct = [Bool](repeating: false, count: 256)
        for range in [0x21...0x7E, 0xA1...0xAC, 0xAE...0xFF] {
            for byte in range { direct[byte] = true }
        }
        var table: [Unicode.Scalar] = []
        table.reserveCapacity(256)
        var next: UInt32 = 256
        for byte in 0..<256 {
            if direct[byte] {
                table.append(Unicode.Scalar(UInt8(byte)))
            } else {
                table.append(Unicode.Scalar(next)!)
                next += 1
            }
        }
        return table
    }()

    /// The byte each spelling character stands for, indexed by scalar value (-1: not a spelling).
    private static let byteForScalar: [Int16] = {
        var table = [Int16](repeating: -1, count: 324)
        for (byte, scalar) in scalarForByte.enumerated() { table[Int(scalar.value)] = Int16(byte) }
        return table
    }()

    /// The raw bytes a byte-level spelled string stands for, or nil if some character of it is not
    /// one of the 256 spelling characters (then the string is not byte-level spelled).
    static func bytes(spelled text: String) -> [UInt8]? {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(text.utf8.count)
        for scalar in text.unicodeScalars {
            let value = Int(scalar.value)
            guard value < byteForScalar.count, byteForScalar[value] >= 0 else { return nil }
            bytes.append(UInt8(byteForScalar[value]))
        }
        return bytes
    }

    /// The byte-level spelling of raw bytes (for messages that name a token the way the file does).
    static func spelling(of bytes: [UInt8]) -> String {
        var text = ""
        text.unicodeScalars.append(contentsOf: bytes.map { scalarForByte[Int($0)] })
        return text
    }
}
