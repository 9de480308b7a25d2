/// The parsed form of a sentence template (hassil-like syntax):
///
/// - plain text: `turn on`
/// - alternatives: `(turn|switch) on`; an empty alternative is allowed: `(please|)`
/// - optional parts: `[the]`, `[please|kindly]` (same as alternatives plus an empty one)
/// - slot references: `{brightness}`; their spoken values come from the catalog or registry
/// - rule references: `<target>`; a named template defined under `rules:` in a catalog file
///
/// Text keeps its spaces; an expansion concatenates the pieces and collapses runs of whitespace,
/// so `on[?]` yields `on?` and `[the] {device}` yields `the lamp` or `lamp`.
public indirect enum TemplateNode: Sendable, Hashable {
    case text(String)
    case sequence([TemplateNode])
    /// `(a|b|c)`: exactly one alternative.
    case alternatives([TemplateNode])
    /// `[a]`: the node or nothing.
    case optional(TemplateNode)
    case slot(String)
    case rule(String)

    /// Slot names referenced anywhere below this node, in first-appearance order.
    public var slotNames: [String] {
        var out: [String] = []
        visit { if case let .slot(n) = $0, !out.contains(n) { out.append(n) } }
        return out
    }

    /// Rule names referenced anywhere below this node, in first-appearance order.
    public var ruleNames: [String] {
        var out: [String] = []
        visit { if case let .rule(n) = $0, !out.contains(n) { out.append(n) } }
        return out
    }

    func visit(_ body: (TemplateNode) -> Void) {
        body(self)
        switch self {
        case let .sequence(items), let .alternatives(items): items.forEach { $0.visit(body) }
        case let .optional(item): item.visit(body)
        case .text, .slot, .rule: break
        }
    }

    /// This node with every `<rule>` replaced by its definition (definitions must already be inlined).
    func inlining(_ rules: [String: TemplateNode]) -> TemplateNode {
        switch self {
        case let .rule(n): return rules[n] ?? self
        case let .sequence(items): return .sequence(items.map { $0.inlining(rules) })
        case let .alternatives(items): return .alternatives(items.map { $0.inlining(rules) })
        case let .optional(item): return .optional(item.inlining(rules))
        case .text, .slot: return self
        }
    }

    /// True when some expansion is empty or only whitespace.
    var canBeEmpty: Bool {
        switch self {
        case let .text(t): return t.allSatisfy(\.isWhitespace)
        case let .sequence(items): return items.allSatisfy(\.canBeEmpty)
        case let .alternatives(items): return items.contains(where: \.canBeEmpty)
        case .optional: return true
        case .slot, .rule: return false
        }
    }
}

/// One sentence template: its source text, where it was written, and its syntax tree.
public struct Template: Sendable, Hashable, CustomStringConvertible {
    public var source: String
    public var location: SourceLocation
    /// The tree as written, with `<rule>` references.
    public var root: TemplateNode
    /// The tree with rules inlined (what the expander walks). Equal to `root` when there are no rules.
    public var expanded: TemplateNode

    public init(source: String, location: SourceLocation, root: TemplateNode, expanded: TemplateNode? = nil) {
        self.source = source
        self.location = location
        self.root = root
        self.expanded = expanded ?? root
    }

    /// Parses `source`; errors carry the column within `source` (0-based offset in Characters).
    public init(parsing source: String, location: SourceLocation) throws(TemplateSyntaxError) {
        var parser = TemplateParser(source)
        let root = try parser.parse()
        self.init(source: source, location: location, root: root)
    }

    public var description: String { source }
}

/// A template syntax error: what is wrong and where in the template text (0-based character offset).
public struct TemplateSyntaxError: Error, Sendable, Hashable, CustomStringConvertible {
    public var offset: Int
    public var message: String
    public var description: String { "\(message) (at character \(offset + 1) of the template)" }
}

/// Recursive-descent parser for the template syntax.
struct TemplateParser {
    private let chars: [Character]
    private var i = 0

    init(_ source: String) { chars = Array(source) }

    mutating func parse() throws(TemplateSyntaxError) -> TemplateNode {
        if chars.allSatisfy(\.isWhitespace) { throw TemplateSyntaxError(offset: 0, message: "empty template") }
        let node = try parseAlternatives(closer: nil, opener: 0)
        return node
    }

    /// Parses `seq (| seq)*` until `closer` (or the end when nil).
    private mutating func parseAlternatives(closer: Character?, opener: Int) throws(TemplateSyntaxError) -> TemplateNode {
        var alternatives: [TemplateNode] = []
        var current: [TemplateNode] = []
        var text = ""
        func flush() { if !text.isEmpty { current.append(.text(text)); text = "" } }
        while i < chars.count {
            let c = chars[i]
            switch c {
            case "(", "[":
                flush()
                let start = i
                i += 1
                let inner = try parseAlternatives(closer: c == "(" ? ")" : "]", opener: start)
                current.append(c == "(" ? inner.asAlternatives : .optional(inner))
            case ")", "]":
                if c == closer {
                    flush()
                    alternatives.append(Self.sequence(current))
                    i += 1
                    return alternatives.count == 1 ? alternatives[0] : .alternatives(alternatives)
                }
                if let closer {
                    throw TemplateSyntaxError(offset: i, message: "'\(c)' does not match '\(closer == ")" ? "(" : "[")' opened at character \(opener + 1)")
                }
                throw TemplateSyntaxError(offset: i, message: "unbalanced '\(c)' with no opening '\(c == ")" ? "(" : "[")'")
            case "|":
                if closer == nil { throw TemplateSyntaxError(offset: i, message: "'|' outside a group; write alternatives as (a|b)") }
                flush()
                alternatives.append(Self.sequence(current))
                current = []
                i += 1
            case "{", "<":
                flush()
                let end: Character = c == "{" ? "}" : ">"
                let start = i
                i += 1
                var name = ""
                while i < chars.count, chars[i] != end {
                    if "{}<>()[]|".contains(chars[i]) { break }
                    name.append(chars[i])
                    i += 1
                }
                guard i < chars.count, chars[i] == end else {
                    throw TemplateSyntaxError(offset: start, message: "unclosed '\(c)' (expected '\(end)')")
                }
                i += 1
                let what = c == "{" ? "slot" : "rule"
                guard Identifier.isSimple(name) else {
                    throw TemplateSyntaxError(offset: start, message: name.isEmpty ? "empty \(what) reference" : "invalid \(what) name '\(name)' (expected lowercase [a-z][a-z0-9_]*)")
                }
                current.append(c == "{" ? .slot(name) : .rule(name))
            case "}", ">":
                throw TemplateSyntaxError(offset: i, message: "unbalanced '\(c)'")
            default:
                text.append(c)
                i += 1
            }
        }
        if let closer {
            throw TemplateSyntaxError(offset: opener, message: "unclosed '\(closer == ")" ? "(" : "[")' (missing '\(closer)')")
        }
        flush()
        return Self.sequence(current)
    }

    private static func sequence(_ items: [TemplateNode]) -> TemplateNode {
        items.count == 1 ? items[0] : .sequence(items)
    }
}

private extension TemplateNode {
    /// `(x)` with one alternative is just a group: keep it as a one-element alternatives node so that
    /// the tree mirrors the source (useful for JSGF), without changing its expansions.
    var asAlternatives: TemplateNode {
        if case .alternatives = self { return self }
        return .alternatives([self])
    }
}
