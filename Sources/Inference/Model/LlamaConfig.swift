/// The shape of a Llama-family model, read from GGUF metadata (`<arch>.*` keys).
public struct LlamaConfig: Sendable, Equatable {
    public var architecture: String
    public var embedding: Int
    public var blocks: Int
    public var feedForward: Int
    public var heads: Int
    public var kvHeads: Int
    public var headDim: Int
    public var ropeDimensions: Int
    public var ropeBase: Float
    public var normEpsilon: Float
    public var contextLength: Int
    public var vocabulary: Int

    public var kvDim: Int { kvHeads * headDim }

    /// Architectures whose tensors and maths match the Llama forward pass implemented here.
    public static let supportedArchitectures: Set<String> = ["llama"]

    public init(gguf: GGUFFile) throws(GGUFError) {
        let arch = try gguf.requireString("general.architecture")
        guard Self.supportedArchitectures.contains(arch) else {
            throw .unsupportedArchitecture(path: gguf.path, architecture: arch)
        }
        architecture = arch
        embedding = try gguf.requireInt("\(arch).embedding_length")
        blocks = try gguf.requireInt("\(arch).block_count")
        feedForward = try gguf.requireInt("\(arch).feed_forward_length")
        heads = try gguf.requireInt("\(arch).attention.head_count")
        kvHeads = gguf.metadata["\(arch).attention.head_count_kv"]?.int ?? heads
        guard heads > 0, kvHeads > 0, heads % kvHeads == 0, embedding % heads == 0 else {
            throw .malformed(path: gguf.path, reason: "\(heads) attention heads and \(kvHeads) KV heads do not divide an embedding of \(embedding)")
        }
        headDim = embedding / heads
        ropeDimensions = gguf.metadata["\(arch).rope.dimension_count"]?.int ?? headDim
        ropeBase = Float(gguf.metadata["\(arch).rope.freq_base"]?.double ?? 10_000)
        normEpsilon = Float(try gguf.requireDouble("\(arch).attention.layer_norm_rms_epsilon"))
        contextLength = gguf.metadata["\(arch).context_length"]?.int ?? 2048
        let tokens = gguf.arrayCount("tokenizer.ggml.tokens")
        guard let vocabulary = gguf.metadata["\(arch).vocab_size"]?.int ?? tokens else {
            throw .missingMetadata(path: gguf.path, key: "tokenizer.ggml.tokens")
        }
        self.vocabulary = vocabulary
        guard embedding % 32 == 0, feedForward % 32 == 0, ropeDimensions <= headDim, ropeDimensions % 2 == 0 else {
            throw .malformed(path: gguf.path, reason: "embedding \(embedding) and feed-forward \(feedForward) must be multiples of 32")
        }
    }
}
