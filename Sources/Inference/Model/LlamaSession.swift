import InferenceKernels

/// Which logits a forward pass computes.
public enum LogitRequest: Sendable {
    /// None (a prompt prefix whose keys and values are all that is wanted).
    case none
    /// The full vocabulary for the last position.
    case last
    /// The full vocabulary for every position (tests against a reference).
    case all
    /// Only these vocabulary rows for the last position, in this order (constrained decoding).
    case rows([Int32])
    /// Only these vocabulary rows after each of these positions of the batch (indices into the
    /// tokens fed), concatenated in the order given (verifying a drafted continuation).
    case rowsAfter([(index: Int, rows: [Int32])])
}

/// Runs a `LlamaModel`: owns the KV cache, the scratch buffers and the worker threads, and
/// advances one sequence position by position. Not thread-safe; one sequence at a time.
///
/// The forward pass follows the maths top to bottom: embedding lookup; per block RMSNorm, the
/// q/k/v projections, RoPE, grouped-query attention over the cache, the output projection and
/// residual, RMSNorm, the SwiGLU feed-forward and residual; final RMSNorm and the classifier.
/// A batch of tokens (prefill) goes through each matrix together, so each weight is read once.
public final class LlamaSession: @unchecked Sendable {
    public let model: LlamaModel
    /// The low-rank adapter applied to every adapted matrix product, if any.
    public let adapter: LoRAAdapter?
    public let cache: KVCache
    public let pool: WorkerPool
    /// The number of positions already in the cache.
    public private(set) var position = 0
    /// The largest batch one pass takes; longer prompts go through in chunks of this size.
    public let maxBatch: Int

    private let rope: RotaryTable
    private let x, xn, q, k, v, att, tmp, gate, up: UnsafeMutablePointer<Float>
    private let scores: UnsafeMutablePointer<Float>  // per thread, `cache.capacity` each
    private let actD: ActivationBlocks
    private let actFF: ActivationBlocks
    private var logitBuffer: [Float]
    /// `A x` of each adapted product of a decoding call (three jobs at most, `lowRankStride` each).
    private let lowRank: UnsafeMutablePointer<Float>

    public init(model: LlamaModel, adapter: LoRAAdapter? = nil, threads: Int = 1, contextCapacity: Int? = nil, maxBatch: Int = 64) {
        self.model = model
        self.adapter = adapter
        let c = model.config
        let capacity = min(contextCapacity ?? 2048, c.contextLength)
        cache = KVCache(layers: c.blocks, kvDim: c.kvDim, capacity: capacity)
        pool = WorkerPool(threads: threads)
        self.maxBatch = maxBatch
        rope = RotaryTable(dimensions: c.ropeDimensions, base: c.ropeBase, capacity: capacity)
        func buffer(_ n: Int) -> UnsafeMutablePointer<Float> {
            let p = UnsafeMutablePointer<Float>.allocate(capacity: n)
            p.initialize(repeating: 0, count: n)
            return p
        }
        x = buffer(maxBatch * c.embedding)
        xn = buffer(maxBatch * c.embedding)
        q = buffer(maxBatch * c.embedding)
        k = buffer(maxBatch * c.kvDim)
        v = buffer(maxBatch * c.kvDim)
        att = buffer(maxBatch * c.embedding)
        tmp = buffer(maxBatch * c.embedding)
        gate = buffer(maxBatch * c.feedForward)
        up = buffer(maxBatch * c.feedForward)
        scores = buffer(pool.threadCount * capacity * (c.heads / c.kvHeads))
        actD = ActivationBlocks(width: c.embedding, tokens: maxBatch)
        actFF = ActivationBlocks(width: c.feedForward, tokens: maxBatch)
        logitBuffer = []
        lowRank = buffer(3 * Self.lowRankStride)
    }

    deinit {
        for p in [x, xn, q, k, v, att, tmp, gate, up, scores, lowRank] { p.deallocate() }
    }

    /// Replaces the cache's first positions with `snapshot` and continues after them.
    public func restore(_ snapshot: KVSnapshot) {
        precondition(snapshot.count <= cache.capacity, "snapshot larger than the cache")
        cache.restore(snapshot)
        position = snapshot.count
    }

    /// Appends a snapshot of positions taken right after the current ones (`KVCache.snapshot(positions:)`
    /// at this same position) and continues after them.
    public func append(_ snapshot: KVSnapshot) {
        cache.restore(snapshot, at: position)
        position += snapshot.count
    }

    /// Forgets positions from `newPosition` on (e.g. back to the end of a cached system prompt).
    public func rewind(to newPosition: Int) {
        precondition(newPosition >= 0 && newPosition <= position, "cannot rewind to \(newPosition) from \(position)")
        position = newPosition
    }

    /// Feeds `tokens` at the next positions and returns the requested logits
    /// (`.all`: `tokens.count` rows of `vocabulary` values, concatenated).
    public func forward(_ tokens: [Int32], logits request: LogitRequest = .last) throws(InferenceError) -> [Float] {
        guard !tokens.isEmpty else { return [] }
        let c = model.config
        guard position + tokens.count <= cache.capacity else {
            throw .contextFull(capacity: cache.capacity, needed: position + tokens.count)
        }
        for token in tokens where token < 0 || Int(token) >= c.vocabulary {
            throw .tokenOutOfRange(token: token, vocabulary: c.vocabulary)
        }
        var all: [Float] = []
        var start = 0
        while start < tokens.count {
            let end = min(start + maxBatch, tokens.count)
            let isLast = end == tokens.count
            tokens[start..<end].withContiguousStorageIfAvailable { chunk in
                runBlocks(chunk)
            }!
            switch request {
            case .none: break
            case .all: all += computeLogits(fromRow: 0, count: end - start)
            case .last, .rows: if isLast { all = computeLogits(lastRow: end - start - 1, request: request) }
            case .rowsAfter(let requests):
                for (index, rows) in requests where index >= start && index < end {
                    all += computeLogits(lastRow: index - start, request: .rows(rows))
                }
            }
            start = end
        }
        return all
    }

    /// Greedy generation: prefills `prompt`, then appends the argmax token until `maxTokens`
    /// or a stop token. Returns the generated ids (a stop token is not included).
    public func generate(prompt: [Int32], maxTokens: Int, stop: Set<Int32> = []) throws(InferenceError) -> [Int32] {
        var logits = try forward(prompt, logits: .last)
        var produced: [Int32] = []
        while produced.count < maxTokens {
            let next = Int32(Self.argmax(logits))
            if stop.contains(next) { break }
            produced.append(next)
            if produced.count == maxTokens { break }
            logits = try forward([next], logits: .last)
        }
        return produced
    }

    public static func argmax(_ values: [Float]) -> Int {
        var best = 0
        for i in values.indices where values[i] > values[best] { best = i }
        return best
    }

    // MARK: - The forward pass

    private func runBlocks(_ tokens: UnsafeBufferPointer<Int32>) {
        let c = model.config
        let n = tokens.count
        let d = c.embedding, kvDim = c.kvDim, ff = c.feedForward
        for t in 0..<n { model.tokenEmbedding.dequantizeRow(Int(tokens[t]), into: x + t * d) }

        for (l, w) in model.layers.enumerated() {
            // Attention
            w.attentionNorm.withUnsafeBufferPointer { norm in
                for t in 0..<n { Primitives.rmsNorm(x + t * d, weight: norm.baseAddress!, eps: c.normEpsilon, out: xn + t * d, count: d) }
            }
            actD.quantize(xn, tokens: n)
            let normed = MatmulInput(floats: xn, blocks: actD.pointer)
            multiply(layer: l, [(.query, w.query, q, d), (.key, w.key, k, kvDim), (.value, w.value, v, kvDim)], input: normed, tokens: n)
            for t in 0..<n {
                let pos = position + t
                rope.apply(q + t * d, heads: c.heads, headDim: c.headDim, position: pos)
                rope.apply(k + t * kvDim, heads: c.kvHeads, headDim: c.headDim, position: pos)
                cache.store(layer: l, position: pos, key: k + t * kvDim, value: v + t * kvDim)
            }
            attention(layer: l, tokens: n)
            actD.quantize(att, tokens: n)
            multiply(layer: l, [(.output, w.attentionOutput, tmp, d)], input: MatmulInput(floats: att, blocks: actD.pointer), tokens: n)
            Primitives.add(x, tmp, count: n * d)

            // Feed-forward
            w.feedForwardNorm.withUnsafeBufferPointer { norm in
                for t in 0..<n { Primitives.rmsNorm(x + t * d, weight: norm.baseAddress!, eps: c.normEpsilon, out: xn + t * d, count: d) }
            }
            actD.quantize(xn, tokens: n)
            multiply(layer: l, [(.gate, w.gate, gate, ff), (.up, w.up, up, ff)], input: MatmulInput(floats: xn, blocks: actD.pointer), tokens: n)
            Primitives.swiGLU(gate: gate, up: up, count: n * ff)
            actFF.quantize(gate, tokens: n)
            multiply(layer: l, [(.down, w.down, tmp, d)], input: MatmulInput(floats: gate, blocks: actFF.pointer), tokens: n)
            Primitives.add(x, tmp, count: n * d)
        }
        position += n
    }

    /// Several matrix products over the same input, each with its adapter term if the adapter
    /// has one, split into row chunks that the pool's threads claim as they go: about four per
    /// thread, so that a thread the OS preempts holds up little, and never under 16 rows, so that
    /// claiming costs little beside the work.
    ///
    /// A few tokens (decoding calls): the adapter's rank-sized `A x` is computed first on this
    /// thread, and each chunk adds `B (A x)` to its own rows, so the adapter's larger half runs in
    /// parallel with the products. A batch: the term is added afterwards, split by tokens.
    private func multiply(layer: Int, _ jobs: [(LoRAAdapter.Target, WeightMatrix, UnsafeMutablePointer<Float>, Int)],
                          input: MatmulInput, tokens: Int) {
        let lora = adapter, lowRank = self.lowRank
        let pairs = jobs.map { lora?.layers[layer][$0.0] }
        let fused = tokens < Self.fusedAdapterTokens
        if fused, let adapter = lora {
            for (j, pair) in pairs.enumerated() {
                guard let pair else { continue }
                adapter.down(pair, input: input.floats, inputStride: pair.a.columns, tokens: tokens, h: lowRank + j * Self.lowRankStride)
            }
        }
        let totalRows = jobs.reduce(0) { $0 + $1.1.rows }
        let threads = pool.threadCount
        // Chunks begin and end on multiples of 8 rows (the interleaved matrices' groups).
        let rowsPerChunk = threads == 1 ? totalRows : (max(16, totalRows / (threads * 4)) + 7) / 8 * 8
        var starts: [Int] = []  // first chunk of each job
        var total = 0
        for (_, matrix, _, _) in jobs {
            starts.append(total)
            total += (matrix.rows + rowsPerChunk - 1) / rowsPerChunk
        }
        pool.run(chunks: total) { _, chunk in
            var j = jobs.count - 1
            while starts[j] > chunk { j -= 1 }
            let (_, matrix, out, stride) = jobs[j]
            let lower = (chunk - starts[j]) * rowsPerChunk
            let upper = min(matrix.rows, lower + rowsPerChunk)
            matrix.multiply(rows: lower..<upper, input: input, tokens: tokens, out: out, outStride: stride)
            if fused, let adapter = lora, let pair = pairs[j] {
                adapter.up(pair, h: lowRank + j * Self.lowRankStride, tokens: tokens, rows: lower..<upper, out: out, outStride: stride)
            }
        }
        guard !fused, let adapter = lora else { return }
        for (j, pair) in pairs.enumerated() {
            guard let pair else { continue }
            let (out, stride) = (jobs[j].2, jobs[j].3)
            let width = pair.a.columns
            let floats = input.floats
            pool.parallelRanges(tokens) { _, range in
                adapter.add(pair, input: floats + range.lowerBound * width, inputStride: width, tokens: range.count,
                            out: out + range.lowerBound * stride, outStride: stride)
            }
        }
    }

    /// Calls of fewer tokens than this add the adapter term inside the products' row chunks.
    private static let fusedAdapterTokens = 8
    /// Floats of `lowRank` per job: `A x` of up to `fusedAdapterTokens` tokens at the largest rank.
    private static let lowRankStride = Int(HK_LORA_MAX_RANK) * fusedAdapterTokens

    /// Causal grouped-query attention of the `tokens` newest positions over the whole cache:
    /// one work item per token and key/value head, whose query heads read each cached row once.
    private func attention(layer: Int, tokens: Int) {
        let c = model.config
        let headDim = c.headDim, group = c.heads / c.kvHeads, d = c.embedding
        let scale = 1 / Float(headDim).squareRoot()
        let first = position
        let work = tokens * c.kvHeads
        let scratch = cache.capacity * group
        let (scores, q, att, cache) = (self.scores, self.q, self.att, self.cache)
        pool.parallelRanges(work) { thread, range in
            let threadScores = scores + thread * scratch
            for item in range {
                let t = item / c.kvHeads, kvHead = item % c.kvHeads
                let span = first + t + 1
                let firstHead = kvHead * group
                hk_attention_group(q + t * d + firstHead * headDim, Int32(group),
                                   cache.key(layer: layer, position: 0) + kvHead * headDim,
                                   cache.value(layer: layer, position: 0) + kvHead * headDim, Int32(span), Int32(headDim),
                                   Int32(cache.kvDim), scale, threadScores, att + t * d + firstHead * headDim)
            }
        }
    }

    private func computeLogits(fromRow row: Int, count: Int) -> [Float] {
        var result: [Float] = []
        for t in row..<(row + count) { result += computeLogits(lastRow: t, request: .last) }
        return result
    }

    private func computeLogits(lastRow t: Int, request: LogitRequest) -> [Float] {
        let c = model.config
        let d = c.embedding
        model.outputNorm.withUnsafeBufferPointer { norm in
            Primitives.rmsNorm(x + t * d, weight: norm.baseAddress!, eps: c.normEpsilon, out: xn, count: d)
        }
        actD.quantize(xn, tokens: 1)
        let input = MatmulInput(floats: xn, blocks: actD.pointer)
        let output = model.output
        switch request {
        case .rows(let rows):
            var result = [Float](repeating: 0, count: rows.count)
            rows.withUnsafeBufferPointer { ids in
                result.withUnsafeMutableBufferPointer { out in
                    hk_matvec_rows(Int32(output.type.rawValue), output.data, output.rowBytes, Int32(d),
                                   ids.baseAddress, Int32(rows.count), input.floats, input.blocks, out.baseAddress)
                }
            }
            return result
        default:
            var result = [Float](repeating: 0, count: output.rows)
            result.withUnsafeMutableBufferPointer { out in
                let base = out.baseAddress!
                pool.parallelRanges(output.rows, granularity: 64) { _, range in
                    output.multiply(rows: range, input: input, tokens: 1, out: base, outStride: 0)
                }
            }
            return result
        }
    }
}

/// Errors while running a model.
public enum InferenceError: Error, Equatable, CustomStringConvertible {
    case contextFull(capacity: Int, needed: Int)
    case tokenOutOfRange(token: Int32, vocabulary: Int)

    public var description: String {
        switch self {
        case .contextFull(let capacity, let needed):
            return "the context holds \(capacity) positions but \(needed) are needed"
        case .tokenOutOfRange(let token, let vocabulary):
            return "token id \(token) is outside the vocabulary of \(vocabulary)"
        }
    }
}
