import Inference
import Synchronization

/// A grammar ready for decoding with one tokenizer: its automaton, and the legal tokens of each
/// state, computed on first use and cached (a registry change builds a new `CompiledGrammar`).
public final class CompiledGrammar: Sendable {
    public let automaton: ByteAutomaton
    public let trie: VocabularyTrie
    private let masks: Mutex<[Int32: [(token: Int32, next: Int32)]]>

    public init(_ expression: GrammarExpression, trie: VocabularyTrie) {
        automaton = ByteAutomaton(expression)
        self.trie = trie
        masks = Mutex([:])
    }

    /// Legal tokens in `state` (sorted by id) with their next states.
    public func legalTokens(_ state: Int32) -> [(token: Int32, next: Int32)] {
        if let cached = masks.withLock({ $0[state] }) { return cached }
        let computed = trie.legalTokens(in: automaton, from: state)
        masks.withLock { $0[state] = computed }
        return computed
    }

    /// Computes every state's mask now (the daemon does this when it loads a registry, so that
    /// no command pays for it). Returns the number of states.
    @discardableResult
    public func precomputeAllMasks() -> Int {
        for state in 0..<Int32(automaton.stateCount) { _ = legalTokens(state) }
        return automaton.stateCount
    }
}
