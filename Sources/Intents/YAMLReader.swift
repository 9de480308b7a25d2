import Yams

/// Reads a composed YAML document (`Yams.compose`) into Hark's value types, recording every problem as a
/// `Diagnostic` with the node's line and column and the field path, instead of stopping at the first.
struct YAMLReader {
    let file: String
    private(set) var diagnostics: [Diagnostic] = []

    init(file: String) { self.file = file }

    /// Composes `text`; a syntax error becomes a diagnostic and the result is nil.
    mutating func compose(_ text: String) -> Node? {
        do {
            return try Yams.compose(yaml: text)
        } catch let error as YamlError {
            record(error, text: text)
            return nil
        } catch {
            diagnostics.append(Diagnostic(SourceLocation(file: file, line: 1, column: 1), path: "", message: "\(error)"))
            return nil
        }
    }

    private mutating func record(_ error: YamlError, text: String) {
        func at(_ mark: Mark) -> SourceLocation { SourceLocation(file: file, line: mark.line, column: mark.column) }
        switch error {
        case let .scanner(context, problem, mark, _), let .parser(context, problem, mark, _), let .composer(context, problem, mark, _):
            var message = "YAML syntax error: \(problem)"
            if let context { message += " (\(context.text) at line \(context.mark.line), column \(context.mark.column))" }
            diagnostics.append(Diagnostic(at(mark), path: "", message: message))
        case let .reader(problem, offset, _, _):
            diagnostics.append(Diagnostic(location(ofOffset: offset ?? 0, in: text), path: "", message: "YAML read error: \(problem)"))
        case let .duplicatedKeysInMapping(duplicates, context):
            let keys = duplicates.map { "'\($0)'" }.joined(separator: ", ")
            diagnostics.append(Diagnostic(at(context.mark), path: "", message: "duplicate key \(keys) in one mapping"))
        default:
            diagnostics.append(Diagnostic(SourceLocation(file: file, line: 1, column: 1), path: "", message: "YAML error: \(error)"))
        }
    }

    private func location(ofOffset offset: Int, in text: String) -> SourceLocation {
        var line = 1, column = 1
        for (i, byte) in text.utf8.enumerated() {
            if i >= offset { break }
            if byte == 10 { line += 1; column = 1 } else if byte & 0xC0 != 0x80 { column += 1 }
        }
        return SourceLocation(file: file, line: line, column: column)
    }

    // MARK: - Locations and errors

    func location(_ node: Node?) -> SourceLocation {
        let mark = node?.mark
        return SourceLocation(file: file, line: mark?.line ?? 1, column: mark?.column ?? 1)
    }

    mutating func error(_ node: Node?, _ path: String, _ message: String) {
        diagnostics.append(Diagnostic(location(node), path: path, message: message))
    }

    mutating func error(at location: SourceLocation, _ path: String, _ message: String) {
        diagnostics.append(Diagnostic(location, path: path, message: message))
    }

    // MARK: - Typed access

    /// The mapping, or a diagnostic "expected a mapping".
    mutating func mapping(_ node: Node, _ path: String) -> Node.Mapping? {
        if let m = node.mapping { return m }
        error(node, path, "expected a mapping (key: value lines), found \(kind(node))")
        return nil
    }

    mutating func sequence(_ node: Node, _ path: String) -> Node.Sequence? {
        if let s = node.sequence { return s }
        error(node, path, "expected a list, found \(kind(node))")
        return nil
    }

    /// A non-null scalar's text. Empty strings are allowed here; callers that need text check it.
    mutating func string(_ node: Node, _ path: String) -> String? {
        guard let scalar = node.scalar else {
            error(node, path, "expected a string, found \(kind(node))")
            return nil
        }
        if isNull(node) {
            error(node, path, "expected a string, found nothing")
            return nil
        }
        return scalar.string
    }

    /// A scalar that is non-empty after trimming.
    mutating func nonEmptyString(_ node: Node, _ path: String) -> String? {
        guard let s = string(node, path) else { return nil }
        if s.allSatisfy(\.isWhitespace) {
            error(node, path, "must not be empty")
            return nil
        }
        return s
    }

    mutating func bool(_ node: Node, _ path: String) -> Bool? {
        if node.scalar != nil, !isNull(node), let b = node.bool { return b }
        error(node, path, "expected true or false, found \(kind(node))")
        return nil
    }

    mutating func int(_ node: Node, _ path: String) -> Int? {
        if let s = node.scalar?.string, let v = Int(s) { return v }
        error(node, path, "expected an integer, found \(kind(node))")
        return nil
    }

    mutating func number(_ node: Node, _ path: String) -> Double? {
        if let s = node.scalar?.string, let v = Double(s), v.isFinite { return v }
        error(node, path, "expected a number, found \(kind(node))")
        return nil
    }

    /// A list of strings; a single string is accepted as a one-element list.
    mutating func strings(_ node: Node, _ path: String) -> [String] {
        if node.scalar != nil, !isNull(node) { return nonEmptyString(node, path).map { [$0] } ?? [] }
        guard let seq = sequence(node, path) else { return [] }
        var out: [String] = []
        for (i, item) in seq.enumerated() {
            if let s = nonEmptyString(item, "\(path)[\(i)]") { out.append(s) }
        }
        return out
    }

    /// Reports keys of `mapping` that are not in `allowed` (with a "did you mean" hint) and keys that
    /// are not strings. Returns the entries keyed by their string key, in document order.
    @discardableResult
    mutating func checkKeys(_ mapping: Node.Mapping, _ path: String, allowed: [String], ignored: Set<String> = []) -> [(key: String, keyNode: Node, value: Node)] {
        var out: [(key: String, keyNode: Node, value: Node)] = []
        for (keyNode, value) in mapping {
            guard let key = keyNode.scalar?.string else {
                error(keyNode, path, "keys must be plain strings")
                continue
            }
            if ignored.contains(key) { continue }
            if !allowed.contains(key) {
                var message = "unknown key '\(key)'"
                if let hint = suggestion(for: key, among: allowed) { message += " (did you mean '\(hint)'?)" }
                message += " (expected one of: \(allowed.joined(separator: ", ")))"
                error(keyNode, join(path, key), message)
                continue
            }
            out.append((key, keyNode, value))
        }
        return out
    }

    /// Records "missing required key" for each of `required` absent from `mapping`.
    mutating func requireKeys(_ mapping: Node.Mapping, _ node: Node, _ path: String, _ required: [String]) {
        for key in required where mapping[key] == nil {
            error(node, join(path, key), "missing required key '\(key)'")
        }
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
}

/// `a.b`, `a[0]` path building; an empty parent yields the key alone.
func join(_ path: String, _ key: String) -> String { path.isEmpty ? key : "\(path).\(key)" }

extension Node.Scalar.Style {
    /// Columns between the node's mark and the first character of its text (the opening quote).
    var contentOffset: Int { (self == .singleQuoted || self == .doubleQuoted) ? 1 : 0 }
}
