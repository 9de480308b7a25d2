import Intents

/// A JSON value whose objects keep their members in document order.
///
/// The hub reads untrusted payloads (text commands, Hermes queries, device state) and writes
/// payloads whose exact bytes matter (device commands, Hermes answers), so it has its own small
/// strict parser (RFC 8259, depth-limited, byte offsets in errors) and a compact writer that emits
/// members in the order they were built.
public indirect enum JSON: Sendable, Equatable, CustomStringConvertible {
    case null
    case bool(Bool)
    case number(Double)
    case string(String)
    case array([JSON])
    case object([Member])

    public struct Member: Sendable, Equatable {
        public var key: String
        public var value: JSON
        public init(_ key: String, _ value: JSON) {
            self.key = key
            self.value = value
        }
    }

    /// An object from ordered key/value pairs: `.make(["state": "ON", "brightness": 76])`.
    public static func make(_ pairs: KeyValuePairs<String, JSON>) -> JSON {
        .object(pairs.map { Member($0.key, $0.value) })
    }

    public static func int(_ value: Int) -> JSON { .number(Double(value)) }

    /// The first member named `key` of an object; nil for other values.
    public subscript(key: String) -> JSON? {
        guard case let .object(members) = self else { return nil }
        return members.first { $0.key == key }?.value
    }

    public var stringValue: String? { if case let .string(s) = self { return s } else { return nil } }
    public var numberValue: Double? { if case let .number(n) = self { return n } else { return nil } }
    public var boolValue: Bool? { if case let .bool(b) = self { return b } else { return nil } }
    public var members: [Member]? { if case let .object(m) = self { return m } else { return nil } }
    public var isNull: Bool { self == .null }

    /// Compact JSON text (no spaces), members in stored order.
    public var description: String {
        var out = ""
        write(to: &out)
        return out
    }

    /// The UTF-8 bytes of `description`.
    public var bytes: [UInt8] { Array(description.utf8) }

    func write(to out: inout String) {
        switch self {
        case .null: out += "null"
        case let .bool(b): out += b ? "true" : "false"
        case let .number(n): out += JSON.format(n)
        case let .string(s): JSON.writeString(s, to: &out)
        case let .array(items):
            out += "["
            for (i, item) in items.enumerated() {
                if i > 0 { out += "," }
                item.write(to: &out)
            }
            out += "]"
        case let .object(members):
            out += "{"
            for (i, member) in members.enumerated() {
                if i > 0 { out += "," }
                JSON.writeString(member.key, to: &out)
                out += ":"
                member.value.write(to: &out)
            }
            out += "}"
        }
    }

    /// Integers without a fraction (`76`, not `76.0`); other numbers in Swift's shortest
    /// round-trip form (`21.5`); non-finite numbers, which JSON cannot carry, as `null`.
    static func format(_ n: Double) -> String {
        guard n.isFinite else { return "null" }
        if n == n.rounded(), abs(n) < 9_007_199_254_740_992 { return String(Int(n)) }
        return "\(n)"
    }

    static func writeString(_ s: String, to out: inout String) {
        out += jsonString(s)
    }
}

extension JSON: ExpressibleByStringLiteral, ExpressibleByIntegerLiteral, ExpressibleByFloatLiteral, ExpressibleByBooleanLiteral,
    ExpressibleByNilLiteral
{
    public init(stringLiteral value: String) { self = .string(value) }
    public init(integerLiteral value: Int) { self = .number(Double(value)) }
    public init(floatLiteral value: Double) { self = .number(value) }
    public init(booleanLiteral value: Bool) { self = .bool(value) }
    public init(nilLiteral: ()) { self = .null }
}

/// Why a payload is not JSON: the byte offset and what was wrong there.
public struct JSONError: Error, Sendable, Equatable, CustomStringConvertible {
    public var offset: Int
    public var reason: String
    public var description: String { "\(reason) at byte \(offset)" }
}

extension JSON {
    /// Nesting deeper than this is refused (a 4 KB payload of `[` must not exhaust the stack).
    public static let maximumDepth = 32

    /// Parses one JSON value from UTF-8 bytes; surrounding whitespace is allowed, nothing else.
    public static func parse(_ bytes: [UInt8]) throws(JSONError) -> JSON {
        var parser = Parser(bytes: bytes)
        parser.skipWhitespace()
        let value = try parser.value(depth: 0)
        parser.skipWhitespace()
        guard parser.index == bytes.count else { throw parser.fail("unexpected text after the JSON value") }
        return value
    }

    public static func parse(_ text: String) throws(JSONError) -> JSON { try parse(Array(text.utf8)) }

    private struct Parser {
        let bytes: [UInt8]
        var index = 0

        func fail(_ reason: String) -> JSONError { JSONError(offset: index, reason: reason) }

        var peek: UInt8? { index < bytes.count ? bytes[index] : nil }

        mutating func skipWhitespace() {
            while let b = peek, b == 0x20 || b == 0x0A || b == 0x0D || b == 0x09 { index += 1 }
        }

        mutating func value(depth: Int) throws(JSONError) -> JSON {
            guard depth < JSON.maximumDepth else { throw fail("nesting deeper than \(JSON.maximumDepth) levels") }
            guard let b = peek else { throw fail("unexpected end of input") }
            switch b {
            case UInt8(ascii: "{"): return try object(depth: depth)
            case UInt8(ascii: "["): return try array(depth: depth)
            case UInt8(ascii: "\""): return .string(try string())
            case UInt8(ascii: "t"): try literal("true"); return .bool(true)
            case UInt8(ascii: "f"): try literal("false"); return .bool(false)
            case UInt8(ascii: "n"): try literal("null"); return .null
            case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return .number(try number())
            default: throw fail("unexpected character '\(Unicode.Scalar(b))'")
            }
        }

        mutating func literal(_ word: String) throws(JSONError) {
            for expected in word.utf8 {
                guard peek == expected else { throw fail("invalid literal (expected '\(word)')") }
                index += 1
            }
        }

        mutating func object(depth: Int) throws(JSONError) -> JSON {
            index += 1
            var members: [Member] = []
            skipWhitespace()
            if peek == UInt8(ascii: "}") {
                index += 1
                return .object(members)
            }
            while true {
                skipWhitespace()
                guard peek == UInt8(ascii: "\"") else { throw fail("expected a member name in double quotes") }
                let key = try string()
                skipWhitespace()
                guard peek == UInt8(ascii: ":") else { throw fail("expected ':' after member name") }
                index += 1
                skipWhitespace()
                members.append(Member(key, try value(depth: depth + 1)))
                skipWhitespace()
                switch peek {
                case UInt8(ascii: ","): index += 1
                case UInt8(ascii: "}"): index += 1; return .object(members)
                default: throw fail("expected ',' or '}' in object")
                }
            }
        }

        mutating func array(depth: Int) throws(JSONError) -> JSON {
            index += 1
            var items: [JSON] = []
            skipWhitespace()
            if peek == UInt8(ascii: "]") {
                index += 1
                return .array(items)
            }
            while true {
                skipWhitespace()
                items.append(try value(depth: depth + 1))
                skipWhitespace()
                switch peek {
                case UInt8(ascii: ","): index += 1
                case UInt8(ascii: "]"): index += 1; return .array(items)
                default: throw fail("expected ',' or ']' in array")
                }
            }
        }

        mutating func number() throws(JSONError) -> Double {
            let start = index
            if peek == UInt8(ascii: "-") { index += 1 }
            guard let first = peek, first >= 0x30 && first <= 0x39 else { throw fail("expected a digit") }
            if first == 0x30 {
                index += 1
            } else {
                while let d = peek, d >= 0x30 && d <= 0x39 { index += 1 }
            }
            if peek == UInt8(ascii: ".") {
                index += 1
                guard let d = peek, d >= 0x30 && d <= 0x39 else { throw fail("expected a digit after '.'") }
                while let d = peek, d >= 0x30 && d <= 0x39 { index += 1 }
            }
            if peek == UInt8(ascii: "e") || peek == UInt8(ascii: "E") {
                index += 1
                if peek == UInt8(ascii: "+") || peek == UInt8(ascii: "-") { index += 1 }
                guard let d = peek, d >= 0x30 && d <= 0x39 else { throw fail("expected a digit in the exponent") }
                while let d = peek, d >= 0x30 && d <= 0x39 { index += 1 }
            }
            let text = String(decoding: bytes[start..<index], as: UTF8.self)
            guard let value = Double(text), value.isFinite else {
                index = start
                throw fail("number '\(text)' is out of range")
            }
            return value
        }

        mutating func string() throws(JSONError) -> String {
            index += 1  // opening quote
            var scalars = String.UnicodeScalarView()
            var runStart = index
            func flush(_ p: inout Parser, to end: Int) throws(JSONError) {
                guard runStart < end else { return }
                guard let run = String(validating: p.bytes[runStart..<end], as: UTF8.self) else {
                    throw JSONError(offset: runStart, reason: "string is not valid UTF-8")
                }
                scalars.append(contentsOf: run.unicodeScalars)
            }
            while true {
                guard let b = peek else { throw fail("unterminated string") }
                if b == UInt8(ascii: "\"") {
                    try flush(&self, to: index)
                    index += 1
                    return String(scalars)
                }
                if b < 0x20 { throw fail("control character in string (must be escaped)") }
                if b != UInt8(ascii: "\\") {
                    index += 1
                    continue
                }
                try flush(&self, to: index)
                index += 1
                guard let e = peek else { throw fail("unterminated escape") }
                index += 1
                switch e {
                case UInt8(ascii: "\""): scalars.append("\"")
                case UInt8(ascii: "\\"): scalars.append("\\")
                case UInt8(ascii: "/"): scalars.append("/")
                case UInt8(ascii: "b"): scalars.append("\u{08}")
                case UInt8(ascii: "f"): scalars.append("\u{0C}")
                case UInt8(ascii: "n"): scalars.append("\n")
                case UInt8(ascii: "r"): scalars.append("\r")
                case UInt8(ascii: "t"): scalars.append("\t")
                case UInt8(ascii: "u"):
                    var code = try hex4()
                    if (0xD800...0xDBFF).contains(code) {
                        guard peek == UInt8(ascii: "\\"), index + 1 < bytes.count, bytes[index + 1] == UInt8(ascii: "u") else {
                            throw fail("unpaired UTF-16 surrogate")
                        }
                        index += 2
                        let low = try hex4()
                        guard (0xDC00...0xDFFF).contains(low) else { throw fail("unpaired UTF-16 surrogate") }
                        code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00)
                    }
                    guard let scalar = Unicode.Scalar(code) else { throw fail("unpaired UTF-16 surrogate") }
                    scalars.append(scalar)
                default:
                    index -= 1
                    throw fail("invalid escape '\\\(Unicode.Scalar(e))'")
                }
                runStart = index
            }
        }

        mutating func hex4() throws(JSONError) -> UInt32 {
            var code: UInt32 = 0
            for _ in 0..<4 {
                guard let h = peek else { throw fail("unterminated \\u escape") }
                let digit: UInt32
                switch h {
                case 0x30...0x39: digit = UInt32(h - 0x30)
                case 0x41...0x46: digit = UInt32(h - 0x41 + 10)
                case 0x61...0x66: digit = UInt32(h - 0x61 + 10)
                default: throw fail("invalid hex digit in \\u escape")
                }
                code = code << 4 | digit
                index += 1
            }
            return code
        }
    }
}
