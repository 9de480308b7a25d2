/// A regular language over text, built from literals, sequences, choices and optional parts.
/// The action grammar (every valid action on the registry) is written in this form and
/// compiled to a `ByteAutomaton`. Finite by construction: no repetition operator is needed,
/// since every valid action is a finite choice of intents, targets and values.
public indirect enum GrammarExpression: Sendable, Equatable {
    case literal(String)
    case sequence([GrammarExpression])
    case choice([GrammarExpression])
    case optional(GrammarExpression)

    /// The empty string.
    public static let empty = GrammarExpression.sequence([])

    /// A choice among literal strings (ids, enum values, numbers).
    public static func oneOf<S: Sequence>(_ values: S) -> GrammarExpression where S.Element == String {
        .choice(values.map { .literal($0) })
    }

    /// The decimal integers `range` (as written: no sign for non-negatives, no leading zeros).
    public static func integers(_ range: ClosedRange<Int>) -> GrammarExpression {
        .oneOf(range.map(String.init))
    }
}
