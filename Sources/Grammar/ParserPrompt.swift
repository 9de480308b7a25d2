import Inference
import Intents

/// The parser's prompt, in one place so that training data (`hark export-training-data`) and
/// parsing use exactly the same text. ChatML markup as SmolLM2-Instruct knows it, shortened where
/// it costs per-command time:
///
///     <|im_start|>system\n{instructions}\n{registry}<|im_end|>\n      ← prefix: KV cached per site
///     [few-shot turns]                                                ← base model only
///     <|im_start|>user\n                                               ← prefix too (the same for every command)
///     {command}<|im_end|>                                             ← per command
///     {canonical action}<|im_end|>                                    ← the output
///
/// The command's closing `<|im_end|>` is the whole per-command suffix: ChatML's
/// `\n<|im_start|>assistant\n` would add four tokens to every command's prefill (about 8 ms at
/// 2 threads here), and the tuned adapter needs no role header to know that an action follows.
/// The intent names are not listed either: the grammar admits only the catalog's intents, the
/// adapter learnt their names, and the list cost ~130 prefix tokens in every training example.
///
/// `prefix(site:) + userTurn(command)` is the whole prompt; where it is split only decides
/// what the KV cache holds.
public struct ParserPrompt: Sendable {
    public let catalog: Catalog
    public let registry: Registry
    /// Worked examples placed before the command (for a base model without the intent adapter).
    public let examples: [(command: String, action: String)]

    public init(catalog: Catalog, registry: Registry, examples: [(command: String, action: String)] = []) {
        self.catalog = catalog
        self.registry = registry
        self.examples = examples
    }

    /// The fixed part for a site: instructions and the registry.
    public func prefix(site: String?) -> String {
        var text = "<|im_start|>system\n"
        text += "Turn the user's smart-home command into one action: an intent, then slot=value pairs, using only the ids below. "
        text += "Answer none when it is not a command for these devices.\n"
        text += PromptText.registry(registry, site: site)
        text += "<|im_end|>\n"
        for example in examples {
            text += Self.turnOpening + Self.userTurn(example.command) + example.action + "<|im_end|>\n"
        }
        return text + Self.turnOpening
    }

    /// Opens the user's turn; the last text of the prefix.
    public static let turnOpening = "<|im_start|>user\n"

    /// The per-command part, ending where the model's answer begins.
    public static func userTurn(_ command: String) -> String {
        "\(command)\(commandEnd)"
    }

    /// Closes the command; the answer follows it directly.
    public static let commandEnd = "<|im_end|>"

    /// Token ids of the per-command part. The command itself is tokenized as plain text, so
    /// chat markup typed into a command cannot open or close a turn.
    public static func userTurnTokens(_ command: String, tokenizer: BPETokenizer) -> [Int32] {
        tokenizer.encode(command, parseSpecial: false) + tokenizer.encode(commandEnd)
    }

    /// A handful of worked examples drawn from the catalog's templates on the registry itself,
    /// one per intent in turn (deterministic for a given catalog and registry).
    public static func sampleExamples(catalog: Catalog, registry: Registry, site: String?, count: Int) -> [(command: String, action: String)] {
        let expander = TemplateExpander(catalog: catalog, registry: registry, site: site)
        var rng = SeededGenerator(seed: 0x4841_524B)
        var examples: [(command: String, action: String)] = []
        let intents = catalog.intents.filter { expander.count($0) > 0 }
        var index = 0
        while examples.count < count, !intents.isEmpty, index < count * 4 {
            let intent = intents[(index * 7) % intents.count]
            index += 1
            if let expansion = expander.sample(intent, using: &rng), !examples.contains(where: { $0.action == expansion.action.description }) {
                examples.append((expansion.text, expansion.action.description))
            }
        }
        return examples
    }
}
