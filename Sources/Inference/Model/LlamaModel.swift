/// One transformer block's weights, all views into the mapped file.
public struct LlamaBlockWeights: Sendable {
    public let attentionNorm: [Float]
    public let query: WeightMatrix
    public let key: WeightMatrix
    public let value: WeightMatrix
    public let attentionOutput: WeightMatrix
    public let feedForwardNorm: [Float]
    public let gate: WeightMatrix
    public let up: WeightMatrix
    public let down: WeightMatrix
}

/// A Llama-family model loaded from GGUF: its shape and its weights as views into the mapping
/// (tensor names as llama.cpp's converter writes them: `token_embd`, `blk.N.attn_q`, ...).
/// Norm vectors (a few KB) are copied to floats; the blocks' Q4_1 matrices are copied once,
/// interleaved eight rows at a time for faster products (`WeightMatrix.interleaved`), and their
/// mapped pages released; other matrices are never copied.
public final class LlamaModel: Sendable {
    public let file: GGUFFile
    public let config: LlamaConfig
    public let tokenEmbedding: WeightMatrix
    public let outputNorm: [Float]
    /// The classifier; the token embedding itself when the model ties them (SmolLM2 does).
    public let output: WeightMatrix
    public let layers: [LlamaBlockWeights]

    public convenience init(path: String) throws(GGUFError) {
        try self.init(file: GGUFFile(path: path))
    }

    public init(file: GGUFFile) throws(GGUFError) {
        self.file = file
        let config = try LlamaConfig(gguf: file)
        self.config = config
        let path = file.path
        let d = config.embedding, kv = config.kvDim, ff = config.feedForward

        func matrix(_ name: String, columns: Int, rows: Int) throws(GGUFError) -> WeightMatrix {
            try WeightMatrix(file.require(name), columns: columns, rows: rows, path: path)
        }
        func blockMatrix(_ name: String, columns: Int, rows: Int) throws(GGUFError) -> WeightMatrix {
            try matrix(name, columns: columns, rows: rows).interleaved()
        }
        func vector(_ name: String, _ count: Int) throws(GGUFError) -> [Float] {
            let tensor = try file.require(name)
            return try WeightMatrix(tensor, columns: count, rows: 1, path: path).row(0)
        }

        let embedding = try file.require("token_embd.weight")
        guard embedding.shape.count == 2, embedding.shape[0] == d else {
            throw .tensorShape(path: path, tensor: embedding.name, expected: [d, config.vocabulary], found: embedding.shape)
        }
        guard embedding.shape[1] == config.vocabulary else {
            throw .vocabularyMismatch(path: path, reason: "the tokenizer has \(config.vocabulary) tokens but token_embd.weight has \(embedding.shape[1]) rows")
        }
        tokenEmbedding = try matrix("token_embd.weight", columns: d, rows: config.vocabulary)
        outputNorm = try vector("output_norm.weight", d)
        if file.tensor("output.weight") != nil {
            output = try matrix("output.weight", columns: d, rows: config.vocabulary)
        } else {
            output = tokenEmbedding
        }
        var layers: [LlamaBlockWeights] = []
        for i in 0..<config.blocks {
            let p = "blk.\(i)."
            layers.append(LlamaBlockWeights(
                attentionNorm: try vector(p + "attn_norm.weight", d),
                query: try blockMatrix(p + "attn_q.weight", columns: d, rows: d),
                key: try blockMatrix(p + "attn_k.weight", columns: d, rows: kv),
                value: try blockMatrix(p + "attn_v.weight", columns: d, rows: kv),
                attentionOutput: try blockMatrix(p + "attn_output.weight", columns: d, rows: d),
                feedForwardNorm: try vector(p + "ffn_norm.weight", d),
                gate: try blockMatrix(p + "ffn_gate.weight", columns: d, rows: ff),
                up: try blockMatrix(p + "ffn_up.weight", columns: d, rows: ff),
                down: try blockMatrix(p + "ffn_down.weight", columns: ff, rows: d)))
        }
        self.layers = layers
    }
}
