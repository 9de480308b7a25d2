/// A loaded GGUF language model with its tokenizer: what `hark generate`, `hark bench` and the
/// intent parser start from. Loading maps the file; no weights are copied.
public final class LanguageModel: Sendable {
    public let model: LlamaModel
    public let tokenizer: BPETokenizer
    /// The low-rank adapter every session applies (nil: the base model).
    public let adapter: LoRAAdapter?

    /// Loads the model at `path` and, if given, the LoRA adapter at `adapterPath`.
    public init(path: String, adapterPath: String? = nil) throws(GGUFError) {
        let file = try GGUFFile(path: path)
        tokenizer = try BPETokenizer(gguf: file)
        model = try LlamaModel(file: file)
        guard tokenizer.vocabularySize == model.config.vocabulary else {
            throw .vocabularyMismatch(path: path, reason: "the tokenizer has \(tokenizer.vocabularySize) tokens, the model \(model.config.vocabulary)")
        }
        if let adapterPath {
            adapter = try LoRAAdapter(path: adapterPath, model: model)
        } else {
            adapter = nil
        }
    }

    /// A new inference session (its own KV cache and threads).
    public func session(threads: Int, contextCapacity: Int? = nil) -> LlamaSession {
        LlamaSession(model: model, adapter: adapter, threads: threads, contextCapacity: contextCapacity)
    }

    /// The ChatML prompt SmolLM2-Instruct was tuned on (`tokenizer.chat_template` in the GGUF):
    /// `<|im_start|>role\ncontent<|im_end|>\n` per message, then `<|im_start|>assistant\n`.
    public static func chatPrompt(system: String?, user: String) -> String {
        var text = ""
        if let system { text += "<|im_start|>system\n\(system)<|im_end|>\n" }
        text += "<|im_start|>user\n\(user)<|im_end|>\n<|im_start|>assistant\n"
        return text
    }

    /// Tokens that end a generation: end of text and end of turn.
    public var stopTokens: Set<Int32> {
        var stops: Set<Int32> = []
        if let eos = tokenizer.eosID { stops.insert(eos) }
        for text in ["<|im_end|>", "<|endoftext|>"] { if let id = tokenizer.tokenID(text) { stops.insert(id) } }
        return stops
    }
}
