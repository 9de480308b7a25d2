/// The merge table of a byte-level BPE vocabulary and the loop that applies it to one piece.
///
/// A piece starts as one token per byte. The adjacent pair with the lowest merge rank (the
/// earliest line of `tokenizer.ggml.merges`) is replaced by its merged token, leftmost first among
/// equal ranks, until no adjacent pair has a merge. This is the order of Hugging Face `tokenizers`
/// and of llama.cpp.
struct BPEMerger: Sendable {
    /// One merge: its rank and the token it makes.
    struct Merge: Sendable {
        let rank: Int32
        let result: Int32
    }

    /// Merges keyed by `pairKey(left, right)`.
    private let merges: [UInt64: Merge]
    /// The token of each byte value; -1 where the vocabulary has none.
    let byteTokens: [Int32]

    init(merges: [UInt64: Merge], byteTokens: [Int32]) {
        self.merges = merges
        self.byteTokens = byteTokens
    }

    @inline(__always)
    static func pairKey(_ left: Int32, _ right: Int32) -> UInt64 {
        UInt64(UInt32(bitPattern: left)) << 32 | UInt64(UInt32(bitPattern: right))
    }

    @inline(__always)
    private func merge(_ left: Int32, _ right: Int32) -> Merge? {
        merges[Self.pairKey(left, right)]
    }

    /// Reusable buffers: the symbols of the piece as a linked list, and a heap of candidate pairs.
    struct Scratch {
        var tokens: [Int32] = []
        var next: [Int32] = []
        var previous: [Int32] = []
        /// Candidates as `rank << 32 | position`, so the smallest is the lowest rank, leftmost.
        var heap: [UInt64] = []
    }

    /// Appends the tokens of `bytes[range]` to `output`. A byte the vocabulary has no token for is
    /// left out before merging, as Hugging Face's BPE does (with no unknown token) — its neighbours
    /// may then merge with each other.
    func encode(_ bytes: UnsafeBufferPointer<UInt8>, _ range: Range<Int>, scratch: inout Scratch, into output: inout [Int32]) {
        if range.count == 1 {
            let token = byteTokens[Int(bytes[range.lowerBound])]
            if token >= 0 { output.append(token) }
            return
        }
        if range.count == 2 {
            let left = byteTokens[Int(bytes[range.lowerBound])]
            let right = byteTokens[Int(bytes[range.lowerBound + 1])]
            if left >= 0 && right >= 0 {
                if let merged = merge(left, right) {
                    output.append(merged.result)
                } else {
                    output.append(left)
                    output.append(right)
                }
                return
            }
        }

        scratch.tokens.removeAll(keepingCapacity: true)
        scratch.next.removeAll(keepingCapacity: true)
        scratch.previous.removeAll(keepingCapacity: true)
        scratch.heap.removeAll(keepingCapacity: true)
        for byte in bytes[range] {
            let token = byteTokens[Int(byte)]
            guard token >= 0 else { continue }
            let i = scratch.tokens.count
            scratch.tokens.append(token)
            scratch.next.append(Int32(i + 1))
            scratch.previous.append(Int32(i - 1))
        }
        let count = scratch.tokens.count
        guard count > 1 else {
            output.append(contentsOf: scratch.tokens)
            return
        }
        for i in 0..<(count - 1) {
            if let merged = merge(scratch.tokens[i], scratch.tokens[i + 1]) {
                Self.push(&scratch.heap, UInt64(UInt32(merged.rank)) << 32 | UInt64(i))
            }
        }

        while let candidate = Self.pop(&scratch.heap) {
            let rank = Int32(truncatingIfNeeded: candidate >> 32)
            let left = Int(UInt32(truncatingIfNeeded: candidate))
            // A candidate is stale when either symbol has since been merged into another: the pair
            // now at `left` then has a different merge, or none. Removed symbols are marked with an
            // empty token (-1).
            let leftToken = scratch.tokens[left]
            let right = Int(scratch.next[left])
            guard leftToken >= 0, right < count else { continue }
            guard let merged = merge(leftToken, scratch.tokens[right]), merged.rank == rank else { continue }

            scratch.tokens[left] = merged.result
            scratch.tokens[right] = -1
            let after = scratch.next[right]
            scratch.next[left] = after
            if Int(after) < count { scratch.previous[Int(after)] = Int32(left) }

            let before = Int(scratch.previous[left])
            if before >= 0, let pair = merge(scratch.tokens[before], merged.result) {
                Self.push(&scratch.heap, UInt64(UInt32(pair.rank)) << 32 | UInt64(before))
            }
            if Int(after) < count, let pair = merge(merged.result, scratch.tokens[Int(after)]) {
                Self.push(&scratch.heap, UInt64(UInt32(pair.rank)) << 32 | UInt64(left))
            }
        }

        var i = 0
        while i < count {
            output.append(scratch.tokens[i])
            i = Int(scratch.next[i])
        }
    }

    // A binary min-heap over the candidate keys.

    private static func push(_ heap: inout [UInt64], _ value: UInt64) {
        heap.append(value)
        var child = heap.count - 1
        while child > 0 {
            let parent = (child - 1) / 2
            if heap[parent] <= value { break }
            heap[child] = heap[parent]
            child = parent
        }
        heap[child] = value
    }

    private static func pop(_ heap: inout [UInt64]) -> UInt64? {
        guard let last = heap.popLast() else { return nil }
        guard !heap.isEmpty else { return last }
        let top = heap[0]
        let count = heap.count
        var parent = 0
        while true {
            var child = 2 * parent + 1
            if child >= count { break }
            if child + 1 < count && heap[child + 1] < heap[child] { child += 1 }
            if last <= heap[child] { break }
            heap[parent] = heap[child]
            parent = child
        }
        heap[parent] = last
        return top
    }
}
