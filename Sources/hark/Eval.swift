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

    @Option(name: .long, help: "Also write every case's outcome to this file (JSON lines: the model's answer, confidence, p(none), the words no action is asked with).")
    var details: String?

    @Argument(help: "The cases file (JSON lines).")
    var cases: String

    func run() throws {
        let home = try parser.loadHome()
        let loaded: [EvalCase]
        do { loaded = try EvalCase.load(path: cases, catalog: home.catalog) } catch let error as EvalCaseError { throw ValidationError(error.message) }
        let intentParser = try parser.makeParser(model: model, home: home)
        try intentParser.prepare()
        for (item, reason) in EvalCase.impossible(loaded, resolver: intentParser.resolver) {
            FileHandle.standardError.write(Data("warning: \(cases):\(item.line): the expected action '\(item.expected)' cannot be carried out in this home: \(reason)\n".utf8))
        }
        var evaluation = ParserEvaluation()
        try evaluation.run(limit.map { Array(loaded.prefix($0)) } ?? loaded, parser: intentParser)
        for failure in evaluation.failures {
            print("FAIL \(cases):\(failure.item.line): '\(failure.item.text)' -> \(failure.got)\(failure.detail), expected \(failure.item.expected)")
        }
        if let details { try writeDetails(evaluation.records, parser: intentParser, to: details) }
        let sorted = evaluation.latenciesMs.sorted()
        if !sorted.isEmpty {
            print(String(format: "latency: median %.1f ms, p95 %.1f ms", sorted[sorted.count / 2], sorted[min(sorted.count - 1, Int(Double(sorted.count) * 0.95))]))
        }
        if evaluation.noneTotal > 0 {
            print(String(format: "not-a-command rejection: %.4f (n=%d)", evaluation.rejection, evaluation.noneTotal))
        }
        print(String(format: "accuracy: %.4f (n=%d)", evaluation.accuracy, evaluation.total))
    }

    /// One JSON object per case, in the cases file's order.
    private func writeDetails(_ records: [ParserEvaluation.Record], parser: IntentParser, to path: String) throws {
        var out = ""
        for record in records {
            var object: [String: Any] = [
                "line": record.item.line, "text": record.item.text, "expected": "\(record.expected)", "got": "\(record.got)",
                "correct": record.correct, "outcome": "\(record.result.outcome)", "model": record.result.canonical,
                "confidence": record.result.confidence, "unexplained": parser.unexplainedWords(in: record.item.text),
            ]
            if let site = record.item.site { object["site"] = site }
            if let p = record.result.noneProbability { object["p_none"] = p }
            let data = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
            out += String(decoding: data, as: UTF8.self) + "\n"
        }
        guard FileManager.default.createFile(atPath: path, contents: Data(out.utf8)) else {
            throw ValidationError("\(path): cannot write the details file")
        }
    }
}
