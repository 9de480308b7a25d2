import Inference

/// Every ordinary token of a vocabulary in a byte trie, so that the tokens a grammar state
/// allows are found by walking the trie and the automaton together: a branch is dropped as
/// soon as the automaton dies, and most tokens die on their first byte.
/// Control tokens (`<|im_start|>` and the like) are left out; the decoder adds the end token.
public struct VocabularyTrie: Sendable {
    /// Node `n`'s children are edges `childStart[n] ..< childStart[n + 1]`, sorted by byte: the
    /// byte read (`edgeByte`) and the node it leads to (`edgeNode`). Flat arrays (13 bytes a node)
    /// rather than an array of children per node: SmolLM2's vocabulary makes 100 298 nodes,
    /// which as per-node Swift arrays took 13 MB of the daemon's resident memory.
    private let childStart: [Int32]
    private let edgeByte: [UInt8]
    private let edgeNode: [Int32]
    /// The token a node spells (the lowest id where two spell the same bytes), or -1.
    private let token: [Int32]
    public let vocabularySize: Int

    /// The number of nodes (the root included).
    public var nodeCount: Int { token.count }

    public init(tokenizer: BPETokenizer) {
        vocabularySize = tokenizer.vocabularySize
        // All tokens' bytes in one buffer, then their ids sorted by bytes (ties by id), so that
        // the trie is built in one pass: each token shares its prefix with the one before.
        var bytes: [UInt8] = []
        var spans: [(id: Int32, start: Int32, count: Int32)] = []
        for id in 0..<Int32(tokenizer.vocabularySize) where !tokenizer.isControl(id) {
            let b = tokenizer.tokenBytes(id)
            guard !b.isEmpty else { continue }
            spans.append((id, Int32(bytes.count), Int32(b.count)))
            bytes += b
        }
        bytes.withUnsafeBufferPointer { all in
            func slice(_ s: (id: Int32, start: Int32, count: Int32)) -> UnsafeBufferPointer<UInt8> {
                UnsafeBufferPointer(rebasing: all[Int(s.start)..<Int(s.start + s.count)])
            }
            spans.sort { a, b in
                let (x, y) = (slice(a), slice(b))
                for i in 0..<min(x.count, y.count) where x[i] != y[i] { return x[i] < y[i] }
                return x.count != y.count ? x.count < y.count : a.id < b.id
            }
        }
        // Nodes in creation order, each with its parent; a node's children are created in byte
        // order, each after its parent.
        var nodeByte: [UInt8] = [0]
        var tokens: [Int32] = [-1]
        var parent: [Int32] = [-1]
        var path: [Int32] = [0]  // path[d]: the node after the previous token's first d bytes
        var previous: (start: Int32, count: Int32)?
        for span in spans {
            var shared = 0
            if let previous {
                let limit = Int(min(previous.count, span.count))
                while shared < limit, bytes[Int(previous.start) + shared] == bytes[Int(span.start) + shared] { shared += 1 }
            }
            path.removeLast(path.count - 1 - shared)
            for i in shared..<Int(span.count) {
                nodeByte.append(bytes[Int(span.start) + i])
                tokens.append(-1)
                parent.append(path[path.count - 1])
                path.append(Int32(tokens.count - 1))
            }
            let node = Int(path[path.count - 1])
            if tokens[node] < 0 { tokens[node] = span.id }
            previous = (span.start, span.count)
        }
        // Children grouped by parent: every node but the root is one edge of its parent's, and a
        // parent's children were created in byte order.
        let n = tokens.count
        var start = [Int32](repeating: 0, count: n + 1)
        for child in 1..<n { start[Int(parent[child]) + 1] += 1 }
        for i in 0..<n { start[i + 1] += start[i] }
        var fill = start
        var edgeByte = [UInt8](repeating: 0, count: max(n - 1, 0))
        var edgeNode = [Int32](repeating: 0, count: max(n - 1, 0))
        for child in 1..<n {
            let p = Int(parent[child])
            edgeByte[Int(fill[p])] = nodeByte[child]
            edgeNode[Int(fill[p])] = Int32(child)
            fill[p] += 1
        }
        childStart = start
        self.edgeByte = edgeByte
        self.edgeNode = edgeNode
        token = tokens
    }

    /// Tokens whose bytes the automaton can read from `state`, with the state each leads to.
    public func legalTokens(in automaton: ByteAutomaton, from state: Int32) -> [(token: Int32, next: Int32)] {
        var result: [(token: Int32, next: Int32)] = []
        var stack: [(node: Int32, state: Int32)] = [(0, state)]
        while let (node, current) = stack.popLast() {
            for edge in Int(childStart[Int(node)])..<Int(childStart[Int(node) + 1]) {
                guard let next = automaton.step(current, edgeByte[edge]) else { continue }
                let child = edgeNode[edge]
                if token[Int(child)] >= 0 { result.append((token[Int(child)], next)) }
                stack.append((child, next))
            }
        }
        result.sort { $0.token < $1.token }
        return result
    }
}
