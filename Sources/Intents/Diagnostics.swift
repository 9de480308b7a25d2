/// A place in a source file: 1-based line and column (columns count Unicode scalars, as libyaml does).
public struct SourceLocation: Sendable, Hashable, CustomStringConvertible {
    /// The file as it was named to the loader (a path, or a label such as `<test>`).
    public var file: String
    public var line: Int
    public var column: Int

    public init(file: String, line: Int, column: Int) {
        self.file = file
        self.line = line
        self.column = column
    }

    /// `file:line:column`.
    public var description: String { "\(file):\(line):\(column)" }
}

/// One problem found in a catalog or configuration file.
///
/// It names the file, line and column, and the field path inside the document (`devices[2].area`,
/// `intents.turn_on.templates[0]`; empty for syntax errors), so the user can go straight to it.
public struct Diagnostic: Error, Sendable, Hashable, CustomStringConvertible {
    public var location: SourceLocation
    /// Field path inside the document, e.g. `devices[2].adapter.zigbee2mqtt`. Empty when the problem
    /// is not tied to a field (a YAML syntax error).
    public var path: String
    public var message: String
    /// Errors make a file unusable; warnings (ambiguous names) are reported but accepted.
    public var severity: Severity

    public enum Severity: String, Sendable, Hashable { case error, warning }

    public init(_ location: SourceLocation, path: String, message: String, severity: Severity = .error) {
        self.location = location
        self.path = path
        self.message = message
        self.severity = severity
    }

    public var file: String { location.file }
    public var line: Int { location.line }
    public var column: Int { location.column }

    /// `file:line:col: path: message` (or `file:line:col: message` without a path); warnings read
    /// `file:line:col: warning: path: message`.
    public var description: String {
        let head = severity == .warning ? "\(location): warning:" : "\(location):"
        return path.isEmpty ? "\(head) \(message)" : "\(head) \(path): \(message)"
    }
}

/// Every problem found while loading, in file order. Loaders collect all problems they can find
/// instead of stopping at the first; they throw this when the list is not empty.
public struct Diagnostics: Error, Sendable, Hashable, CustomStringConvertible {
    public var items: [Diagnostic]

    /// Keeps files in first-appearance order and sorts each file's problems by line and column.
    public init(_ items: [Diagnostic]) {
        var fileOrder: [String: Int] = [:]
        for d in items where fileOrder[d.file] == nil { fileOrder[d.file] = fileOrder.count }
        self.items = items.enumerated().sorted { a, b in
            let (x, y) = (a.element.location, b.element.location)
            if x.file != y.file { return fileOrder[x.file]! < fileOrder[y.file]! }
            if x.line != y.line { return x.line < y.line }
            if x.column != y.column { return x.column < y.column }
            return a.offset < b.offset
        }.map(\.element)
    }

    /// One diagnostic per line.
    public var description: String { items.map(\.description).joined(separator: "\n") }
}

/// Closest candidates to a misspelt name, for "did you mean" hints (edit distance at most 2).
public func suggestion(for word: String, among candidates: [String]) -> String? {
    var best: (String, Int)?
    for candidate in candidates {
        let d = editDistance(word, candidate)
        if d <= 2 && d < word.count, best == nil || d < best!.1 { best = (candidate, d) }
    }
    return best?.0
}

func editDistance(_ a: String, _ b: String) -> Int {
    let a = Array(a.unicodeScalars), b = Array(b.unicodeScalars)
    if a.isEmpty { return b.count }
    if b.isEmpty { return a.count }
    var previous = Array(0...b.count)
    var current = [Int](repeating: 0, count: b.count + 1)
    for i in 1...a.count {
        current[0] = i
        for j in 1...b.count {
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
        }
        swap(&previous, &current)
    }
    return previous[b.count]
}

/// Identifier rules shared by the catalog, the registry and the canonical action text.
enum Identifier {
    /// `[a-z][a-z0-9_]*`: intent, slot, area, scene, colour and enum value ids.
    static func isSimple(_ s: String) -> Bool {
        guard let first = s.utf8.first, first >= 97 && first <= 122 else { return false }
        return s.utf8.allSatisfy { ($0 >= 97 && $0 <= 122) || ($0 >= 48 && $0 <= 57) || $0 == 95 }
    }

    /// `[a-z][a-z0-9_]*(\.[a-z0-9_]+)*`: device ids such as `kitchen.ceiling`.
    static func isDotted(_ s: String) -> Bool {
        let parts = s.split(separator: ".", omittingEmptySubsequences: false)
        guard let head = parts.first, isSimple(String(head)) else { return false }
        return parts.dropFirst().allSatisfy { part in
            !part.isEmpty && part.utf8.allSatisfy { ($0 >= 97 && $0 <= 122) || ($0 >= 48 && $0 <= 57) || $0 == 95 }
        }
    }

    /// Spoken form of an id: `living_room` → `living room`.
    static func spoken(_ id: String) -> String { id.split(separator: "_").joined(separator: " ") }
}
