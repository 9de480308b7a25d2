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

    struct Case {
        var line: Int
        var text: String
        var site: String?
        var expected: CanonicalAction
    }

    func run() throws {
        let home = try parser.loadHome()
        let loaded = try loadCases(catalog: home.catalog)
        let intentParser = try parser.makeParser(model: model, home: home)
        try intentParser.prepare()
        var correct = 0, noneTotal = 0, noneCorrect = 0
        var latencies: [Double] = []
        let selected = limit.map { Array(loaded.prefix($0)) } ?? loaded
        for item in selected {
            let result = try intentParser.parse(item.text, site: item.site)
            latencies.append(result.timings.totalMs)
            let got: CanonicalAction = result.resolved?.canonical ?? CanonicalAction(intent: Catalog.noneIntent, slots: SlotValues())
            let isNone = item.expected.intent == Catalog.noneIntent
            if isNone { noneTotal += 1 }
            if got == home.catalog.canonicalize(item.expected) {
                correct += 1
                if isNone { noneCorrect += 1 }
            } else {
                let detail = result.outcome == .action ? "" : " (\(result.outcome), model said '\(result.canonical)')"
                print("FAIL \(cases):\(item.line): '\(item.text)' -> \(got)\(detail), expected \(item.expected)")
            }
        }
        let n = selected.count
        let sorted = latencies.sorted()
        if !sorted.isEmpty {
            print(String(format: "latency: median %.1f ms, p95 %.1f ms", sorted[sorted.count / 2], sorted[min(sorted.count - 1, Int(Double(sorted.count) * 0.95))]))
        }
        if noneTotal > 0 {
            print(String(format: "not-a-command rejection: %.4f (n=%d)", Double(noneCorrect) / Double(noneTotal), noneTotal))
        }
        print(String(format: "accuracy: %.4f (n=%d)", n == 0 ? 0 : Double(correct) / Double(n), n))
    }

    func loadCases(catalog: Catalog) throws -> [Case] {
        guard let data = FileManager.default.contents(atPath: cases) else {
            throw ValidationError("\(cases): cannot read the cases file")
        }
        var result: [Case] = []
        for (index, raw) in String(decoding: data, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = raw.trimmingCharacters(in: .whitespaces)
            if line.isEmpty { continue }
            let place = "\(cases):\(index + 1)"
            guard let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
                  let text = object["text"] as? String,
                  let expect = object["expect"] as? [String: Any], let intent = expect["intent"] as? String else {
                throw ValidationError("\(place): expected {\"text\", \"site\"?, \"expect\": {\"intent\", \"slots\"}}")
            }
            var slots: [(name: String, value: SlotValue)] = []
            for (name, value) in (expect["slots"] as? [String: Any] ?? [:]).sorted(by: { $0.key < $1.key }) {
                if let number = value as? NSNumber, !(value is String) {
                    guard let n = SlotNumber(exactly: number.doubleValue) else { throw ValidationError("\(place): slot '\(name)': \(number) is not a canonical number") }
                    slots.append((name, .number(n)))
                } else if let id = value as? String {
                    slots.append((name, .id(id)))
                } else {
                    throw ValidationError("\(place): slot '\(name)' must be a string or a number")
                }
            }
            let expected = CanonicalAction(intent: intent, slots: SlotValues(slots))
            guard catalog.intent(named: intent) != nil else { throw ValidationError("\(place): unknown intent '\(intent)'") }
            result.append(Case(line: index + 1, text: text, site: object["site"] as? String, expected: expected))
        }
        return result
    }
}
