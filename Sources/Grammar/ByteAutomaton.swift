/// A deterministic finite automaton over UTF-8 bytes, compiled from a `GrammarExpression`.
/// State 0 is the start; a string is in the language when reading its bytes from state 0
/// ends in an accepting state. Dead ends are absent transitions.
///
/// Compilation goes through a Thompson NFA and the subset construction; states are numbered in
/// discovery order, so the same grammar always gives the same automaton.
public struct ByteAutomaton: Sendable {
    /// Per state: outgoing transitions sorted by byte.
    public let transitions: [[(byte: UInt8, target: Int32)]]
    public let accepting: [Bool]

    public var stateCount: Int { accepting.count }

    public init(_ expression: GrammarExpression) {
        var nfa = NFA()
        let start = nfa.newState()
        let end = nfa.newState()
        nfa.compile(expression, from: start, to: end)
        (transitions, accepting) = nfa.determinize(start: start, accept: end)
    }

    /// The state after reading `byte` in `state`, or nil when the automaton dies.
    @inline(__always)
    public func step(_ state: Int32, _ byte: UInt8) -> Int32? {
        let edges = transitions[Int(state)]
        // Binary search: states at value positions (digits, id characters) have up to ~40 edges.
        var low = 0, high = edges.count
        while low < high {
            let mid = (low + high) / 2
            if edges[mid].byte < byte { low = mid + 1 } else { high = mid }
        }
        return low < edges.count && edges[low].byte == byte ? edges[low].target : nil
    }

    /// The state after reading `bytes`, or nil.
    public func walk<S: Sequence>(_ bytes: S, from state: Int32 = 0) -> Int32? where S.Element == UInt8 {
        var current = state
        for byte in bytes {
            guard let next = step(current, byte) else { return nil }
            current = next
        }
        return current
    }

    /// Whether `text` is in the language.
    public func accepts(_ text: String) -> Bool {
        walk(text.utf8).map { accepting[Int($0)] } ?? false
    }

    /// The text the grammar fixes from `state`: bytes that are the only way on, up to the first
    /// choice, accepting state or dead end, and the state reached after them.
    public func forcedBytes(from state: Int32) -> (bytes: [UInt8], end: Int32) {
        var bytes: [UInt8] = []
        var current = state
        while !accepting[Int(current)], transitions[Int(current)].count == 1 {
            let edge = transitions[Int(current)][0]
            bytes.append(edge.byte)
            current = edge.target
        }
        return (bytes, current)
    }
}

/// Thompson construction with epsilon edges, then subset construction.
private struct NFA {
    var byteEdges: [[(UInt8, Int)]] = []
    var epsilon: [[Int]] = []

    mutating func newState() -> Int {
        byteEdges.append([])
        epsilon.append([])
        return byteEdges.count - 1
    }

    mutating func compile(_ expression: GrammarExpression, from start: Int, to end: Int) {
        switch expression {
        case .literal, .bytes:
            var current = start
            let bytes: [UInt8]
            if case .literal(let text) = expression { bytes = Array(text.utf8) } else if case .bytes(let raw) = expression { bytes = raw } else { bytes = [] }
            if bytes.isEmpty { epsilon[start].append(end); return }
            for (i, byte) in bytes.enumerated() {
                let next = i == bytes.count - 1 ? end : newState()
                byteEdges[current].append((byte, next))
                current = next
            }
        case .sequence(let parts):
            if parts.isEmpty { epsilon[start].append(end); return }
            var current = start
            for (i, part) in parts.enumerated() {
                let next = i == parts.count - 1 ? end : newState()
                compile(part, from: current, to: next)
                current = next
            }
        case .choice(let options):
            // Options sharing a prefix (ids such as kitchen.ceiling / kitchen.lamp) are merged
            // by the subset construction; compile each option on its own edge.
            for option in options {
                let inner = newState()
                epsilon[start].append(inner)
                compile(option, from: inner, to: end)
            }
        case .optional(let inner):
            epsilon[start].append(end)
            compile(inner, from: start, to: end)
        }
    }

    func closure(_ states: [Int]) -> [Int] {
        var seen = Set(states)
        var stack = states
        while let state = stack.popLast() {
            for next in epsilon[state] where seen.insert(next).inserted { stack.append(next) }
        }
        return seen.sorted()
    }

    func determinize(start: Int, accept: Int) -> ([[(byte: UInt8, target: Int32)]], [Bool]) {
        var index: [[Int]: Int32] = [:]
        var sets: [[Int]] = []
        var transitions: [[(byte: UInt8, target: Int32)]] = []
        let first = closure([start])
        index[first] = 0
        sets.append(first)
        var cursor = 0
        while cursor < sets.count {
            let set = sets[cursor]
            var moves: [UInt8: [Int]] = [:]
            for state in set {
                for (byte, target) in byteEdges[state] { moves[byte, default: []].append(target) }
            }
            var edges: [(byte: UInt8, target: Int32)] = []
            for byte in moves.keys.sorted() {
                let target = closure(moves[byte]!)
                let id: Int32
                if let known = index[target] {
                    id = known
                } else {
                    id = Int32(sets.count)
                    index[target] = id
                    sets.append(target)
                }
                edges.append((byte, id))
            }
            transitions.append(edges)
            cursor += 1
        }
        let accepting = sets.map { $0.contains(accept) }
        return (transitions, accepting)
    }
}
