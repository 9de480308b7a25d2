import ArgumentParser
import Inference

/// `hark generate`: greedy text generation, to try a model by hand.
struct Generate: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Generate text greedily from a prompt.")

    @OptionGroup var options: ModelOptions

    @Flag(name: .long, help: "Wrap the prompt in the model's chat template (ChatML) as a user message.")
    var chat = false

    @Option(name: .long, help: "System message for --chat.")
    var system: String?

    @Option(name: .long, help: "Maximum number of tokens to generate.")
    var maxTokens = 64

    @Argument(help: "The prompt.")
    var prompt: String

    func run() throws {
        let language = try options.load(adapter: options.adapter != nil)
        let text = chat ? LanguageModel.chatPrompt(system: system, user: prompt) : prompt
        let ids = language.tokenizer.encode(text)
        let session = language.session(threads: options.threads, contextCapacity: min(2048, ids.count + maxTokens + 1))
        let produced = try session.generate(prompt: ids, maxTokens: maxTokens, stop: language.stopTokens)
        print(language.tokenizer.decode(produced))
    }
}
