import ArgumentParser
import Foundation
import Grammar
import Intents

/// `hark eval`: accuracy of the parser on a JSONL file of cases
/// (`{"text", "site"?, "expect": {"intent", "slots"}}`), printing each failure.
struct Eval: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Measure parsing accuracy on a JSONL file of expected actions.")

    @OptionGroup var model: ModelOptions
    @OptionGroup var parser: ParserOptions

    @Option(name: .long, help: "Evaluate only the first N cases.")
    var limit: Int?

    @Argument(help: "The cases file (JSON lines).")
    var cases: String

    func run() throws {
        let home = try parser.loadHome()
        let loaded: [EvalCase]
        do { loaded = try EvalCase.load(path: cases, catalog: home.catalog) } catch let error as EvalCaseError { throw ValidationError(error.message) }
        let intentParser = try parser.makeParser(model: model, home: home)
        try intentParser.prepare()
        var evaluation = ParserEvaluation()
        try evaluation.run(limit.map { Array(loaded.prefix($0)) } ?? loaded, parser: intentParser)
        for failure in evaluation.failures {
            print("FAIL \(cases):\(failure.item.line): '\(failure.item.text)' -> \(failure.got)\(failure.detail), expected \(failure.item.expected)")
        }
        let sorted = evaluation.latenciesMs.sorted()
        if !sorted.isEmpty {
            print(String(format: "latency: median %.1f ms, p95 %.1f ms", sorted[sorted.count / 2], sorted[min(sorted.count - 1, Int(Double(sorted.count) * 0.95))]))
        }
        if evaluation.noneTotal > 0 {
            print(String(format: "not-a-command rejection: %.4f (n=%d)", evaluation.rejection, evaluation.noneTotal))
        }
        print(String(format: "accuracy: %.4f (n=%d)", evaluation.accuracy, evaluation.total))
    }
}
