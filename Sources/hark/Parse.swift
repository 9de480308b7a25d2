import ArgumentParser
import Foundation
import Grammar

/// `hark parse`: commands in, one Action JSON per line out.
struct Parse: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Parse text commands into actions (one Action JSON line per command).")

    @OptionGroup var model: ModelOptions
    @OptionGroup var parser: ParserOptions

    @Option(name: .long, help: "The area the command is heard in (default: the configuration's site).")
    var site: String?

    @Flag(name: .long, help: "Also print the canonical action, outcome and timings to standard error.")
    var verbose = false

    @Argument(help: "Commands; each argument is one command.")
    var commands: [String]

    func run() throws {
        let home = try parser.loadHome()
        let intentParser = try parser.makeParser(model: model, home: home)
        try intentParser.prepare(site: site)
        for command in commands {
            let result = try intentParser.parse(command, site: site)
            print(result.actionJSON(id: newActionID()))
            if verbose {
                let t = result.timings
                FileHandle.standardError.write(Data("\(result.outcome) '\(result.canonical)' confidence \(String(format: "%.3f", result.confidence))\(result.noneProbability.map { String(format: ", p(none) %.2f", $0) } ?? "") \(String(format: "%.1f", t.totalMs)) ms (\(t.promptTokens) prompt tokens, \(t.modelCalls) model calls, \(t.forcedTokens) forced)\n".utf8))
            }
        }
    }
}
