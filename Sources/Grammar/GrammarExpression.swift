/// A regular language over text, built from literals, sequences, choices and optional parts.
/// The action grammar (every valid action on the registry) is written in this form and
/// compiled to a `ByteAutomaton`. Finite by construction: no repetition operator is needed,
/// since every valid action is a finite choice of intents, targets and values.
public indirect enum GrammarExpression: Sendable, Equatable {
    case literal(String)
    /// Raw UTF-8 bytes (pieces of a literal, as prefix trees split them).
    case bytes([UInt8])
    case sequence([GrammarExpression])
    case choice([GrammarExpression])
    case optional(GrammarExpression)

    /// The empty string.
    public static let empty = GrammarExpression.sequence([])

    /// A choice among literal strings (ids, enum values, numbers), factored into a prefix tree
    /// so that thousands of values (kelvin 2000...6500) compile to a small automaton quickly.
    public static func oneOf<S: Sequence>(_ values: S) -> GrammarExpression where S.Element == String {
        let unique = Array(Set(values)).sorted()
        return prefixTree(unique.map { Array($0.utf8)[...] })
    }

    private static func prefixTree(_ words: [ArraySlice<UInt8>]) -> GrammarExpression {
        var endsHere = false
        var groups: [UInt8: [ArraySlice<UInt8>]] = [:]
        for word in words {
            if let first = word.first { groups[first, default: []].append(word.dropFirst()) } else { endsHere = true }
        }
        var options: [GrammarExpression] = groups.keys.sorted().map { byte in
            let rest = prefixTree(groups[byte]!)
            let head = GrammarExpression.bytes([byte])
            if case .sequence(let tail) = rest { return .sequence([head] + tail) }
            return .sequence([head, rest])
        }
        if endsHere { options.append(.empty) }
        return options.count == 1 ? options[0] : .choice(options)
    }

    /// The decimal integers `range` (as written: no sign for non-negatives, no leading zeros).
    public static func integers(_ range: ClosedRange<Int>) -> GrammarExpression {
        .oneOf(range.map(String.init))
    }
}
