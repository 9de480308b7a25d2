import ArgumentParser
import Foundation
import Grammar
import Intents

/// `hark export-training-data`: intent-tuning pairs as JSON lines, each
/// `{"prompt": ..., "completion": ..., "intent": ...}` where `prompt` is exactly the text the parser
/// builds (`ParserPrompt.prefix(site:)` without examples, then the user turn) and `completion` is
/// the canonical action followed by `<|im_end|>`. See `TrainingDataGenerator` and intents/train/README.md.
struct ExportTrainingData: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export-training-data",
        abstract: "Write intent-tuning pairs (prompt, completion) generated from the catalog as JSON lines.",
        discussion: """
            Every example gets a freshly randomised home (areas, devices, scenes, site) unless --config \
            fixes one; actions come from the catalog's templates and are checked with the resolver. \
            Deterministic for a given --seed. With --format eval the lines are `hark eval` cases \
            ({"text", "site", "expect"}), for held-out checks on a --config home.
            """)

    @Option(name: .long, help: "Number of examples.")
    var count = 6000

    @Option(name: .long, help: "Random seed (the same seed gives the same file).")
    var seed: UInt64 = 1

    @Option(name: .long, help: "An extra intent catalog directory (repeatable).")
    var catalog: [String] = []

    @Option(name: .long, help: "Use this configuration's home for every example instead of random homes.")
    var config: String?

    @Option(name: .long, help: "Share of 'not a command' examples.")
    var noneShare = 0.15

    @Option(name: .long, help: "Consecutive examples sharing one random home (the trainer computes its prompt prefix once).")
    var perRegistry = 1

    @Option(name: .long, help: "training (prompt/completion) or eval (hark eval cases).")
    var format = "training"

    @Option(name: .long, help: "Output file (default: standard output).")
    var out: String?

    func validate() throws {
        guard count >= 0 else { throw ValidationError("--count must be at least 0") }
        guard (0...1).contains(noneShare) else { throw ValidationError("--none-share must be within 0...1") }
        guard perRegistry >= 1 else { throw ValidationError("--per-registry must be at least 1") }
        guard ["training", "eval"].contains(format) else { throw ValidationError("--format must be training or eval") }
    }

    func run() throws {
        let home = try loadCatalogAndHome()
        var generator = TrainingDataGenerator(catalog: home.catalog, noneShare: noneShare, perRegistry: perRegistry)
        generator.fixedHome = home.registry
        var text = ""
        text.reserveCapacity(count * 1600)
        for index in 0..<count {
            let example = generator.example(index: index, seed: seed)
            text += format == "eval" ? Self.evalLine(example) : Self.trainingLine(example, catalog: home.catalog)
            text += "\n"
        }
        if let out {
            try Data(text.utf8).write(to: URL(fileURLWithPath: out))
        } else {
            FileHandle.standardOutput.write(Data(text.utf8))
        }
    }

    private func loadCatalogAndHome() throws -> (catalog: Catalog, registry: Registry?) {
        let extra = catalog.map { URL(fileURLWithPath: $0) }
        do {
            if let config {
                let h = try HomeConfiguration.load(configFile: URL(fileURLWithPath: config), extraCatalogDirectories: extra)
                return (h.catalog, h.registry)
            }
            return (try Catalog.load(directories: extra), nil)
        } catch {
            for problem in error.items { FileHandle.standardError.write(Data("\(problem)\n".utf8)) }
            throw ExitCode(1)
        }
    }

    /// The exact prompt the parser uses for this example (no few-shot examples).
    static func prompt(_ example: TrainingExample, catalog: Catalog) -> String {
        ParserPrompt(catalog: catalog, registry: example.registry).prefix(site: example.site) + ParserPrompt.userTurn(example.command)
    }

    static func trainingLine(_ example: TrainingExample, catalog: Catalog) -> String {
        "{\"prompt\":\(jsonString(prompt(example, catalog: catalog))),\"completion\":\(jsonString(example.action + "<|im_end|>")),\"intent\":\(jsonString(example.intent)),\"source\":\(jsonString(example.source))}"
    }

    static func evalLine(_ example: TrainingExample) -> String {
        let action = (try? CanonicalAction(parsing: example.action)) ?? CanonicalAction(intent: Catalog.noneIntent)
        let slots = action.slots.map { "\(jsonString($0.name)):\($0.value.number.map(\.description) ?? jsonString($0.value.description))" }
        return "{\"text\":\(jsonString(example.command)),\"site\":\(jsonString(example.site)),\"expect\":{\"intent\":\(jsonString(action.intent)),\"slots\":{\(slots.joined(separator: ","))}}}"
    }

    /// RFC 8259 string escaping, shared with the Action JSON.
    static func jsonString(_ s: String) -> String { Intents.jsonString(s) }
}
