import ArgumentParser

/// The `hark` command: the daemon and its tools.
@main
struct Hark: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "hark",
        abstract: "Hark: an on-device smart-home voice command daemon.",
        subcommands: [Run.self, Listen.self, Parse.self, Eval.self, Check.self, Generate.self, Bench.self, ExportTrainingData.self])
}
