import Inference

/// Every ordinary token of a vocabulary in a byte trie, so that the tokens a grammar state
/// allows are found by walking the trie and the automaton together: a branch is dropped as
/// soon as the automaton dies, and most tokens die on their first byte.
/// Control tokens (`<|im_start|>` and the like) are left out; the decoder adds the end token.
public struct VocabularyTrie: Sendable {
    struct Node {
        var children: [(byte: UInt8, node: Int32)] = []
        var token: Int32 = -1
    }
    var nodes: [Node] = [Node()]
    public let vocabularySize: Int

    public init(tokenizer: BPETokenizer) {
        vocabularySize = tokenizer.vocabularySize
        var build: [[UInt8: Int32]] = [[:]]
        var tokens: [Int32] = [-1]
        for id in 0..<Int32(tokenizer.vocabularySize) where !tokenizer.isControl(id) {
            let bytes = tokenizer.tokenBytes(id)
            guard !bytes.isEmpty else { continue }
            var node: Int32 = 0
            for byte in bytes {
                if let next = build[Int(node)][byte] {
                    node = next
                } else {
                    let next = Int32(build.count)
                    build.append([:])
                    tokens.append(-1)
                    build[Int(node)][byte] = next
                    node = next
                }
            }
            if tokens[Int(node)] < 0 { tokens[Int(node)] = id }
        }
        nodes = build.enumerated().map { index, children in
            Node(children: children.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }, token: tokens[index])
        }
    }

    /// Tokens whose bytes the automaton can read from `state`, with the state each leads to.
    public func legalTokens(in automaton: ByteAutomaton, from state: Int32) -> [(token: Int32, next: Int32)] {
        var result: [(token: Int32, next: Int32)] = []
        var stack: [(node: Int32, state: Int32)] = [(0, state)]
        while let (node, current) = stack.popLast() {
            for (byte, child) in nodes[Int(node)].children {
                guard let next = automaton.step(current, byte) else { continue }
                let token = nodes[Int(child)].token
                if token >= 0 { result.append((token, next)) }
                stack.append((child, next))
            }
        }
        result.sort { $0.token < $1.token }
        return result
    }
}
