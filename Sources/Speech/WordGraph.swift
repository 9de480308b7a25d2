/// A speech grammar as the minimal deterministic word graph of its sentences, written in
/// SphinxBase's FSG text format for PocketSphinx's finite-state search.
///
/// Why not the JSGF: SphinxBase turns a JSGF grammar into its finite-state graph by copying every
/// rule at every place that refers to it, so the example home's device, area and number rules were
/// copied once per template, and a decoder over that graph held 43.7 MB. Here each rule is built
/// once per distinct continuation, alternatives that begin with the same word share it, and states
/// whose remaining sentences are the same are one state (the graph is acyclic, so building it
/// bottom-up with every state interned by its arcs gives the minimal automaton).
///
/// Every transition has probability 1, as SphinxBase gives a JSGF alternative without a weight
/// (`jsgf_build_fsg` scales each atom's weight, 1.0 unless written `/w/`): the grammar only says
/// which sentences may be heard, the acoustic scores choose among them. (Measured: splitting each
/// state's probability evenly among its choices penalised every optional word, "in living room"
/// for "in the living room", and took the speech tests' word error rate from 5.5 to 9.6 %.)
struct WordGraph: Sendable {
    /// Arcs of one state, sorted by word id.
    struct State: Hashable, Sendable {
        var isFinal: Bool
        var arcs: [Arc]
    }

    struct Arc: Hashable, Sendable {
        var word: Int32
        var target: Int32
    }

    /// Words by id.
    let words: [String]
    /// Reachable states; state 0 is the start.
    let states: [State]

    /// The number of word arcs.
    var arcCount: Int { states.reduce(0) { $0 + $1.arcs.count } }

    /// The graph of `top` (rule references resolved in `rules`); nil when it accepts no sentence.
    init?(top: GrammarNode, rules: [String: GrammarNode]) {
        var builder = Builder(rules: rules)
        guard let start = builder.build(top, then: builder.accept) else { return nil }
        // Renumber the states reachable from the start, breadth first, the start as 0.
        var order: [Int32] = [start]
        var number: [Int32: Int32] = [start: 0]
        var i = 0
        while i < order.count {
            for arc in builder.states.values[Int(order[i])].arcs where number[arc.target] == nil {
                number[arc.target] = Int32(order.count)
                order.append(arc.target)
            }
            i += 1
        }
        states = order.map { old in
            let s = builder.states.values[Int(old)]
            return State(isFinal: s.isFinal, arcs: s.arcs.map { Arc(word: $0.word, target: number[$0.target]!) })
        }
        words = builder.words.values
    }

    /// True when the graph accepts `words` (each word spelled as in the grammar).
    func accepts(_ sentence: [String]) -> Bool {
        var state = 0
        for word in sentence {
            guard let arc = states[state].arcs.first(where: { words[Int($0.word)] == word }) else { return false }
            state = Int(arc.target)
        }
        return states[state].isFinal
    }

    /// The graph in SphinxBase's FSG format (`fsg_model_read`): one final state after all the
    /// others, reached from each state where a sentence may end by a transition without a word.
    func fsg(name: String) -> String {
        let final = states.count
        var text = "FSG_BEGIN \(name)\nNUM_STATES \(states.count + 1)\nSTART_STATE 0\nFINAL_STATE \(final)\n"
        for (index, state) in states.enumerated() {
            for arc in state.arcs { text += "TRANSITION \(index) \(arc.target) 1.0 \(words[Int(arc.word)])\n" }
            if state.isFinal { text += "TRANSITION \(index) \(final) 1.0\n" }
        }
        return text + "FSG_END\n"
    }

    /// Builds interned states bottom-up: `build(node, then: k)` is the state whose sentences are
    /// those of `node` followed by those of state `k`.
    private struct Builder {
        let rules: [String: GrammarNode]
        var words = Interner<String>()
        var states = Interner<State>()
        var ruleMemo: [RuleKey: Int32?] = [:]
        var unionMemo: [Pair: Int32] = [:]
        /// The state after a whole sentence.
        var accept: Int32 = 0

        struct RuleKey: Hashable { var rule: String; var then: Int32 }
        struct Pair: Hashable { var a: Int32; var b: Int32 }

        init(rules: [String: GrammarNode]) {
            self.rules = rules
            accept = states.id(of: State(isFinal: true, arcs: []))
        }

        /// Nil: no sentence (a `void` part).
        mutating func build(_ node: GrammarNode, then next: Int32) -> Int32? {
            switch node {
            case let .word(w):
                return states.id(of: State(isFinal: false, arcs: [Arc(word: words.id(of: w), target: next)]))
            case let .sequence(items):
                var state = next
                for item in items.reversed() {
                    guard let s = build(item, then: state) else { return nil }
                    state = s
                }
                return state
            case let .alternatives(items):
                var result: Int32?
                for item in items {
                    guard let s = build(item, then: next) else { continue }
                    result = result.map { union($0, s) } ?? s
                }
                return result
            case let .optional(inner):
                guard let s = build(inner, then: next) else { return next }
                return union(s, next)
            case let .rule(name):
                let key = RuleKey(rule: name, then: next)
                if let known = ruleMemo[key] { return known }
                let built = rules[name].flatMap { build($0, then: next) }
                ruleMemo[key] = .some(built)
                return built
            case .empty:
                return next
            case .void:
                return nil
            }
        }

        /// The state whose sentences are those of `a` and those of `b`.
        mutating func union(_ a: Int32, _ b: Int32) -> Int32 {
            if a == b { return a }
            let key = Pair(a: min(a, b), b: max(a, b))
            if let known = unionMemo[key] { return known }
            let x = states.values[Int(a)], y = states.values[Int(b)]
            var arcs: [Arc] = []
            arcs.reserveCapacity(x.arcs.count + y.arcs.count)
            var i = 0, j = 0
            while i < x.arcs.count || j < y.arcs.count {
                if j == y.arcs.count || (i < x.arcs.count && x.arcs[i].word < y.arcs[j].word) {
                    arcs.append(x.arcs[i]); i += 1
                } else if i == x.arcs.count || y.arcs[j].word < x.arcs[i].word {
                    arcs.append(y.arcs[j]); j += 1
                } else {
                    arcs.append(Arc(word: x.arcs[i].word, target: union(x.arcs[i].target, y.arcs[j].target)))
                    i += 1; j += 1
                }
            }
            let merged = states.id(of: State(isFinal: x.isFinal || y.isFinal, arcs: arcs))
            unionMemo[key] = merged
            return merged
        }
    }
}

/// Values numbered in the order first seen; the same value always gets the same number.
private struct Interner<Value: Hashable> {
    private(set) var values: [Value] = []
    private var ids: [Value: Int32] = [:]

    mutating func id(of value: Value) -> Int32 {
        if let id = ids[value] { return id }
        let id = Int32(values.count)
        values.append(value)
        ids[value] = id
        return id
    }
}
