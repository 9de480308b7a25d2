import Intents
import Yams

/// Reads the daemon's sections of a composed config document, recording every problem as a
/// `Diagnostic` (file, line, column, field path) instead of stopping at the first, exactly as the
/// registry loader in `Intents` does for its keys.
struct ConfigReader {
    let file: String
    private(set) var diagnostics: [Diagnostic] = []

    init(file: String) { self.file = file }

    /// Composes `text`; a syntax error becomes a diagnostic and the result is nil.
    mutating func compose(_ text: String) -> Node? {
        do {
            return try Yams.compose(yaml: text)
        } catch let error as YamlError {
            switch error {
            case let .scanner(_, problem, mark, _), let .parser(_, problem, mark, _), let .composer(_, problem, mark, _):
                diagnostics.append(Diagnostic(SourceLocation(file: file, line: mark.line, column: mark.column), path: "",
                                              message: "YAML syntax error: \(problem)"))
            default:
                diagnostics.append(Diagnostic(SourceLocation(file: file, line: 1, column: 1), path: "", message: "YAML error: \(error)"))
            }
            return nil
        } catch {
            diagnostics.append(Diagnostic(SourceLocation(file: file, line: 1, column: 1), path: "", message: "\(error)"))
            return nil
        }
    }

    func location(_ node: Node?) -> SourceLocation {
        SourceLocation(file: file, line: node?.mark?.line ?? 1, column: node?.mark?.column ?? 1)
    }

    mutating func error(_ node: Node?, _ path: String, _ message: String) {
        diagnostics.append(Diagnostic(location(node), path: path, message: message))
    }

    func isNull(_ node: Node) -> Bool {
        guard let scalar = node.scalar else { return false }
        return scalar.style == .plain && ["", "~", "null", "Null", "NULL"].contains(scalar.string)
    }

    func kind(_ node: Node) -> String {
        switch node {
        case .mapping: return "a mapping"
        case .sequence: return "a list"
        case .scalar: return isNull(node) ? "nothing" : "'\(node.scalar!.string)'"
        case .alias: return "an alias"
        }
    }

    mutating func mapping(_ node: Node, _ path: String) -> Node.Mapping? {
        if let m = node.mapping { return m }
        error(node, path, "expected a mapping (key: value lines), found \(kind(node))")
        return nil
    }

    /// A non-empty string scalar.
    mutating func string(_ node: Node, _ path: String) -> String? {
        guard let scalar = node.scalar, !isNull(node) else {
            error(node, path, "expected a string, found \(kind(node))")
            return nil
        }
        if scalar.string.allSatisfy(\.isWhitespace) {
            error(node, path, "must not be empty")
            return nil
        }
        return scalar.string
    }

    mutating func bool(_ node: Node, _ path: String) -> Bool? {
        if node.scalar != nil, !isNull(node), let b = node.bool { return b }
        error(node, path, "expected true or false, found \(kind(node))")
        return nil
    }

    /// An integer within `range`.
    mutating func int(_ node: Node, _ path: String, in range: ClosedRange<Int>) -> Int? {
        guard let text = node.scalar?.string, let value = Int(text) else {
            error(node, path, "expected an integer, found \(kind(node))")
            return nil
        }
        guard range.contains(value) else {
            error(node, path, "\(value) is not in \(range.lowerBound)...\(range.upperBound)")
            return nil
        }
        return value
    }

    mutating func number(_ node: Node, _ path: String, in range: ClosedRange<Double>) -> Double? {
        guard let text = node.scalar?.string, let value = Double(text), value.isFinite else {
            error(node, path, "expected a number, found \(kind(node))")
            return nil
        }
        guard range.contains(value) else {
            error(node, path, "\(text) is not in \(JSON.format(range.lowerBound))...\(JSON.format(range.upperBound))")
            return nil
        }
        return value
    }

    /// An MQTT topic name (no wildcards, not empty).
    mutating func topic(_ node: Node, _ path: String) -> String? {
        guard let s = string(node, path) else { return nil }
        guard !s.contains("+"), !s.contains("#"), !s.unicodeScalars.contains(where: { $0.value < 0x20 }) else {
            error(node, path, "invalid MQTT topic '\(s)' (no wildcards '+' or '#', no control characters)")
            return nil
        }
        return s
    }

    /// Entries of `mapping` keyed by string, reporting keys not in `allowed` with a "did you mean"
    /// hint. Document order is kept.
    mutating func entries(_ mapping: Node.Mapping, _ path: String, allowed: [String]) -> [(key: String, keyNode: Node, value: Node)] {
        var out: [(key: String, keyNode: Node, value: Node)] = []
        for (keyNode, value) in mapping {
            guard let key = keyNode.scalar?.string else {
                error(keyNode, path, "keys must be plain strings")
                continue
            }
            guard allowed.contains(key) else {
                var message = "unknown key '\(key)'"
                if let hint = Self.suggestion(for: key, among: allowed) { message += " (did you mean '\(hint)'?)" }
                message += " (expected one of: \(allowed.joined(separator: ", ")))"
                error(keyNode, path.isEmpty ? key : "\(path).\(key)", message)
                continue
            }
            out.append((key, keyNode, value))
        }
        return out
    }

    /// The closest of `candidates` to a misspelt `word` (edit distance at most 2), as the
    /// catalog and registry loaders suggest.
    static func suggestion(for word: String, among candidates: [String]) -> String? {
        Intents.suggestion(for: word, among: candidates)
    }
}
