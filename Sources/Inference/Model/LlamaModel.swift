#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

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
                query: try matrix(p + "attn_q.weight", columns: d, rows: d),
                key: try matrix(p + "attn_k.weight", columns: d, rows: kv),
                value: try matrix(p + "attn_v.weight", columns: d, rows: kv),
                attentionOutput: try matrix(p + "attn_output.weight", columns: d, rows: d),
                feedForwardNorm: try vector(p + "ffn_norm.weight", d),
                gate: try matrix(p + "ffn_gate.weight", columns: d, rows: ff),
                up: try matrix(p + "ffn_up.weight", columns: d, rows: ff),
                down: try matrix(p + "ffn_down.weight", columns: ff, rows: d)))
        }
        self.layers = Self.interleaved(layers)
    }

    /// The blocks with their matrices interleaved (`WeightMatrix.interleaved`), on a few threads:
    /// the copy reads the whole mapped file, which one thread took about 40 ms to do.
    private static func interleaved(_ layers: [LlamaBlockWeights]) -> [LlamaBlockWeights] {
        var matrices = layers.flatMap { [$0.query, $0.key, $0.value, $0.attentionOutput, $0.gate, $0.up, $0.down] }
        let threads = max(1, min(4, sysconf(Int32(_SC_NPROCESSORS_ONLN))))
        matrices.withUnsafeMutableBufferPointer { buffer in
            let m = buffer.baseAddress!
            WorkerPool(threads: threads).run(chunks: buffer.count) { _, i in m[i] = m[i].interleaved() }
        }
        return layers.indices.map { l in
            let w = layers[l], m = Array(matrices[(l * 7)..<(l * 7 + 7)])
            return LlamaBlockWeights(attentionNorm: w.attentionNorm, query: m[0], key: m[1], value: m[2], attentionOutput: m[3],
                                     feedForwardNorm: w.feedForwardNorm, gate: m[4], up: m[5], down: m[6])
        }
    }
}
