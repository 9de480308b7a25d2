import Foundation
import Intents

/// One case of an accuracy file (`intents/eval/*.jsonl`): a command, the site it is heard at
/// (the registry's when absent) and the action it must give (`none` for "not a command").
public struct EvalCase: Sendable {
    /// 1-based line in the file, for failure messages.
    public var line: Int
    public var text: String
    public var site: String?
    public var expected: CanonicalAction

    /// Reads `{"text", "site"?, "expect": {"intent", "slots"}}` lines; an error names the file,
    /// the line and what is wrong with it.
    public static func load(path: String, catalog: Catalog) throws -> [EvalCase] {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw EvalCaseError(message: "\(path): cannot read the cases file")
        }
        var result: [EvalCase] = []
        for (index, raw) in String(decoding: data, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = raw.trimmingCharacters(in: .whitespaces)
            if line.isEmpty { continue }
            let place = "\(path):\(index + 1)"
            guard let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
                  let text = object["text"] as? String,
                  let expect = object["expect"] as? [String: Any], let intent = expect["intent"] as? String else {
                throw EvalCaseError(message: "\(place): expected {\"text\", \"site\"?, \"expect\": {\"intent\", \"slots\"}}")
            }
            var slots: [(name: String, value: SlotValue)] = []
            for (name, value) in (expect["slots"] as? [String: Any] ?? [:]).sorted(by: { $0.key < $1.key }) {
                if let number = value as? NSNumber, !(value is String) {
                    guard let n = SlotNumber(exactly: number.doubleValue) else {
                        throw EvalCaseError(message: "\(place): slot '\(name)': \(number) is not a canonical number")
                    }
                    slots.append((name, .number(n)))
                } else if let id = value as? String {
                    slots.append((name, .id(id)))
                } else {
                    throw EvalCaseError(message: "\(place): slot '\(name)' must be a string or a number")
                }
            }
            guard catalog.intent(named: intent) != nil else { throw EvalCaseError(message: "\(place): unknown intent '\(intent)'") }
            result.append(EvalCase(line: index + 1, text: text, site: object["site"] as? String,
                                   expected: CanonicalAction(intent: intent, slots: SlotValues(slots))))
        }
        return result
    }
}

extension EvalCase {
    /// The cases whose expected action this home cannot carry out, with the resolver's reason: a
    /// mistake in the cases file, since no parser could give the action and the right answer is a
    /// refusal.
    public static func impossible(_ cases: [EvalCase], resolver: ActionResolver) -> [(item: EvalCase, reason: String)] {
        cases.compactMap { item in
            guard item.expected.intent != Catalog.noneIntent else { return nil }
            do {
                _ = try resolver.resolve(item.expected, site: item.site)
                return nil
            } catch {
                return (item, "\(error)")
            }
        }
    }
}

/// A malformed cases file.
public struct EvalCaseError: Error, CustomStringConvertible {
    public var message: String
    public var description: String { message }
}

/// Exact-action accuracy of a parser on cases: an answer counts when its canonical action equals
/// the expected one; "not a command" and "not understood" both count as `none`.
public struct ParserEvaluation: Sendable {
    public struct Failure: Sendable {
        public var item: EvalCase
        public var got: CanonicalAction
        /// Why there is no action, and what the model said, when the outcome is not an action.
        public var detail: String
    }

    public private(set) var total = 0
    public private(set) var correct = 0
    public private(set) var noneTotal = 0
    public private(set) var noneCorrect = 0
    public private(set) var latenciesMs: [Double] = []
    /// Every case's outcome in order (for `hark eval --details`).
    public private(set) var records: [Record] = []

    /// One case as the parser answered it.
    public struct Record: Sendable {
        public var item: EvalCase
        /// The expected action as the parser would spell it.
        public var expected: CanonicalAction
        public var got: CanonicalAction
        public var correct: Bool
        public var result: ParseResult
    }

    public init() {}

    /// The cases answered wrong, in order.
    public var failures: [Failure] {
        records.filter { !$0.correct }.map { record in
            let result = record.result
            let detail = result.outcome == .action ? "" : " (\(result.outcome), model said '\(result.canonical)')"
            return Failure(item: record.item, got: record.got, detail: detail)
        }
    }

    public var accuracy: Double { total == 0 ? 0 : Double(correct) / Double(total) }
    public var rejection: Double { noneTotal == 0 ? 0 : Double(noneCorrect) / Double(noneTotal) }

    /// Adds another evaluation's counts and cases to this one.
    public mutating func merge(_ other: ParserEvaluation) {
        total += other.total
        correct += other.correct
        noneTotal += other.noneTotal
        noneCorrect += other.noneCorrect
        latenciesMs += other.latenciesMs
        records += other.records
    }

    /// Parses every case and records the outcome.
    public mutating func run(_ cases: [EvalCase], parser: IntentParser) throws {
        for item in cases {
            let result = try parser.parse(item.text, site: item.site)
            latenciesMs.append(result.timings.totalMs)
            let got = result.resolved?.canonical ?? CanonicalAction(intent: Catalog.noneIntent, slots: SlotValues())
            let isNone = item.expected.intent == Catalog.noneIntent
            total += 1
            if isNone { noneTotal += 1 }
            let expected = parser.resolver.canonicalForm(item.expected, site: item.site)
            records.append(Record(item: item, expected: expected, got: got, correct: got == expected, result: result))
            if got == expected {
                correct += 1
                if isNone { noneCorrect += 1 }
            }
        }
    }
}
