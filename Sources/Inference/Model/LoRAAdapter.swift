import InferenceKernels

/// A low-rank adapter for a `LlamaModel`, read from a GGUF file in llama.cpp's LoRA convention:
/// `adapter.type` = `lora`, `adapter.lora.alpha`, and per adapted matrix the tensors
/// `blk.N.<name>.weight.lora_a` (GGML shape [in, r]) and `...lora_b` ([r, out]), F32 or F16.
/// The engine adds `alpha / r * B (A x)` to the matrix product: the quantized base weights are
/// never modified (re-quantizing a merged model to Q4_1 erases the tuning, DESIGN.md section 4).
public final class LoRAAdapter: Sendable {
    /// One adapted matrix: A is r x in, B is out x r.
    public struct Pair: Sendable {
        public let a: WeightMatrix
        public let b: WeightMatrix
        /// A (rank x in) and B transposed (rank x out), both fp16: the layout `hk_lora_add` reads.
        /// A is the mapped tensor when the file stores fp16; B^T is always a copy.
        let halves: LowRankHalves
        public var rank: Int { a.rows }
    }

    /// Matrices of a transformer block an adapter may change, by their GGUF tensor names.
    public enum Target: String, Sendable, CaseIterable {
        case query = "attn_q", key = "attn_k", value = "attn_v", output = "attn_output"
        case gate = "ffn_gate", up = "ffn_up", down = "ffn_down"
    }

    public let file: GGUFFile
    public let alpha: Float
    /// `layers[i][target]`: the pair for that matrix, if adapted.
    public let layers: [[Target: Pair]]

    public convenience init(path: String, model: LlamaModel) throws(GGUFError) {
        try self.init(file: GGUFFile(path: path), model: model)
    }

    public init(file: GGUFFile, model: LlamaModel) throws(GGUFError) {
        self.file = file
        let path = file.path
        guard file.metadata["adapter.type"]?.string == "lora" else {
            throw .malformed(path: path, reason: "not a LoRA adapter (metadata adapter.type is not 'lora')")
        }
        if let arch = file.metadata["general.architecture"]?.string, arch != model.config.architecture {
            throw .unsupportedArchitecture(path: path, architecture: arch)
        }
        guard let alpha = file.metadata["adapter.lora.alpha"]?.double else {
            throw .missingMetadata(path: path, key: "adapter.lora.alpha")
        }
        self.alpha = Float(alpha)
        let c = model.config
        var layers: [[Target: Pair]] = []
        var found = 0
        for i in 0..<c.blocks {
            var pairs: [Target: Pair] = [:]
            for target in Target.allCases {
                let name = "blk.\(i).\(target.rawValue).weight"
                guard let a = file.tensor(name + ".lora_a") else {
                    if file.tensor(name + ".lora_b") != nil { throw .missingTensor(path: path, tensor: name + ".lora_a") }
                    continue
                }
                guard let b = file.tensor(name + ".lora_b") else { throw .missingTensor(path: path, tensor: name + ".lora_b") }
                let (inputs, outputs) = Self.shape(of: target, config: c)
                guard a.shape.count == 2, b.shape.count == 2 else {
                    throw .tensorShape(path: path, tensor: a.name, expected: [inputs, 0], found: a.shape)
                }
                let rank = a.shape[1]
                for tensor in [a, b] where tensor.type != .f32 && tensor.type != .f16 {
                    throw .unsupportedTensorType(path: path, tensor: tensor.name, type: tensor.type.name)
                }
                guard rank <= Int(HK_LORA_MAX_RANK) else {
                    throw .malformed(path: path, reason: "\(a.name) has rank \(rank); Hark applies adapters of rank up to \(HK_LORA_MAX_RANK)")
                }
                let aMatrix = try WeightMatrix(a, columns: inputs, rows: rank, path: path)
                let bMatrix = try WeightMatrix(b, columns: rank, rows: outputs, path: path)
                pairs[target] = Pair(a: aMatrix, b: bMatrix, halves: LowRankHalves(a: aMatrix, b: bMatrix))
                found += 1
            }
            layers.append(pairs)
        }
        guard found > 0 else { throw .malformed(path: path, reason: "the adapter has no lora_a/lora_b tensors") }
        self.layers = layers
    }

    /// Adds `alpha / r * B (A x)` for `tokens` float inputs (`inputStride` apart) to `out` (`outStride` apart).
    public func add(_ pair: Pair, input: UnsafePointer<Float>, inputStride: Int, tokens: Int, out: UnsafeMutablePointer<Float>, outStride: Int) {
        hk_lora_add(pair.halves.a, pair.halves.bTransposed, Int32(pair.a.columns), Int32(pair.b.rows), Int32(pair.rank), scale(pair),
                    input, Int32(inputStride), Int32(tokens), out, Int32(outStride))
    }

    /// `add` in two halves, for a product split by output rows: `down` computes the rank-sized
    /// `h = alpha/r * A x` of each token (`tokens * rank` floats), then `up` adds `B h` to output
    /// rows `rows` only. Together they give exactly what `add` gives.
    func down(_ pair: Pair, input: UnsafePointer<Float>, inputStride: Int, tokens: Int, h: UnsafeMutablePointer<Float>) {
        hk_lora_down(pair.halves.a, Int32(pair.a.columns), Int32(pair.rank), scale(pair), input, Int32(inputStride), Int32(tokens), h)
    }

    func up(_ pair: Pair, h: UnsafePointer<Float>, tokens: Int, rows: Range<Int>, out: UnsafeMutablePointer<Float>, outStride: Int) {
        hk_lora_up_rows(pair.halves.bTransposed, Int32(pair.b.rows), Int32(pair.rank), h, Int32(tokens), Int32(rows.lowerBound),
                        Int32(rows.upperBound), out, Int32(outStride))
    }

    /// The scale `alpha / r` of one pair.
    public func scale(_ pair: Pair) -> Float { alpha / Float(pair.rank) }

    /// (inputs, outputs) of a block matrix.
    static func shape(of target: Target, config c: LlamaConfig) -> (Int, Int) {
        switch target {
        case .query, .output: return (c.embedding, c.embedding)
        case .key, .value: return (c.embedding, c.kvDim)
        case .gate, .up: return (c.embedding, c.feedForward)
        case .down: return (c.feedForward, c.embedding)
        }
    }
}

/// The fp16 factors of one adapted matrix in the layout the kernel reads: A as stored (rank rows
/// of `in`), and B transposed (rank rows of `out`). Owns what it had to convert or transpose.
final class LowRankHalves: @unchecked Sendable {
    let a: UnsafePointer<UInt16>
    let bTransposed: UnsafePointer<UInt16>
    private let owned: [UnsafeMutablePointer<UInt16>]

    init(a: WeightMatrix, b: WeightMatrix) {
        var owned: [UnsafeMutablePointer<UInt16>] = []
        if a.type == .f16 {
            self.a = a.data.assumingMemoryBound(to: UInt16.self)
        } else {
            let copy = UnsafeMutablePointer<UInt16>.allocate(capacity: a.rows * a.columns)
            for r in 0..<a.rows {
                let row = a.row(r)
                for c in 0..<a.columns { copy[r * a.columns + c] = hk_fp32_to_fp16(row[c]) }
            }
            owned.append(copy)
            self.a = UnsafePointer(copy)
        }
        let rank = b.columns, outputs = b.rows
        let bt = UnsafeMutablePointer<UInt16>.allocate(capacity: rank * outputs)
        for o in 0..<outputs {
            let row = b.row(o)
            for k in 0..<rank { bt[k * outputs + o] = hk_fp32_to_fp16(row[k]) }
        }
        owned.append(bt)
        bTransposed = UnsafePointer(bt)
        // The mapped B is not read again: its pages need not stay resident beside the copy.
        MappedFile.releasePages(b.data, count: b.rows * b.rowBytes)
        self.owned = owned
    }

    deinit { for p in owned { p.deallocate() } }
}
