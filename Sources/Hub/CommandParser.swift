import Dispatch
import Foundation
import Grammar
import Intents

/// What the hub asks of a parser: text (heard at a site) in, one outcome out.
public protocol CommandParser: Sendable {
    func parse(_ text: String, site: String?) async throws -> ParsedCommand

    /// A parser for a changed home (a configuration reload), ready to parse: it reuses what does
    /// not depend on the home (the model's weights and adapter) and rebuilds what does (grammar,
    /// prompt prefix). The receiver keeps working meanwhile and afterwards.
    func reconfigured(for home: HomeConfiguration, settings: ParserSettings) async throws -> any CommandParser
}

/// A parser's answer for one command.
public struct ParsedCommand: Sendable {
    public enum Outcome: Sendable {
        /// A valid action on the registry.
        case action(ResolvedAction)
        /// Not a command for these devices (chit-chat, the `none` intent).
        case notACommand
        /// No action, with the parser's reason (low confidence, unusable input, invalid result).
        case notUnderstood(reason: String)
    }

    public var outcome: Outcome
    /// 0...1.
    public var confidence: Double
    /// Time spent parsing.
    public var milliseconds: Double

    public init(outcome: Outcome, confidence: Double, milliseconds: Double) {
        self.outcome = outcome
        self.confidence = confidence
        self.milliseconds = milliseconds
    }
}

/// The real parser behind the hub: `IntentParser` is not thread-safe and blocks for its whole
/// decode, so every parse runs on one serial dispatch queue owned by this wrapper. Callers await
/// without occupying a thread of Swift's cooperative pool for the decode's tens of milliseconds.
/// A reconfigured parser shares the queue, so a reload's grammar compilation and prompt prefix run
/// between two commands, never beside one (commands meanwhile wait in the hub's queue).
public final class SerialIntentParser: CommandParser {
    private let parser: IntentParser
    private let queue: DispatchQueue

    public convenience init(_ parser: IntentParser) {
        self.init(parser, queue: DispatchQueue(label: "hark.intent-parser", qos: .userInitiated))
    }

    private init(_ parser: IntentParser, queue: DispatchQueue) {
        self.parser = parser
        self.queue = queue
    }

    /// The same language model (not reloaded), a parser for the new catalog and registry with the
    /// old options but the new `parser:` settings, prepared (`IntentParser.prepare()`) on this
    /// parser's queue.
    public func reconfigured(for home: HomeConfiguration, settings: ParserSettings) async throws -> any CommandParser {
        let old = parser
        let queue = queue
        return try await withCheckedThrowingContinuation { continuation in
            queue.async {
                do {
                    var options = old.options
                    settings.apply(to: &options)
                    let parser = try IntentParser(language: old.language, catalog: home.catalog, registry: home.registry, options: options)
                    try parser.prepare()
                    continuation.resume(returning: SerialIntentParser(parser, queue: queue))
                } catch {
                    continuation.resume(throwing: error)
                }
            }
        }
    }

    public func parse(_ text: String, site: String?) async throws -> ParsedCommand {
        let parser = self.parser
        return try await withCheckedThrowingContinuation { continuation in
            queue.async {
                do {
                    let result = try parser.parse(text, site: site)
                    let outcome: ParsedCommand.Outcome
                    switch result.outcome {
                    case .action:
                        if let resolved = result.resolved { outcome = .action(resolved) } else {
                            outcome = .notUnderstood(reason: "the parser returned an action without its resolution")
                        }
                    case .notACommand: outcome = .notACommand
                    case let .notUnderstood(reason): outcome = .notUnderstood(reason: reason)
                    }
                    continuation.resume(returning: ParsedCommand(outcome: outcome, confidence: result.confidence,
                                                                 milliseconds: result.timings.totalMs))
                } catch {
                    continuation.resume(throwing: error)
                }
            }
        }
    }
}

/// A deterministic parser for tests and `hark bench --mqtt`: a table from phrases to canonical
/// actions, resolved by the real `ActionResolver`, so everything after the model is exercised
/// as in the daemon. Phrases match after lowercasing, collapsing whitespace and dropping a final
/// `.`, `!` or `?`. With `acceptsCanonical`, text that is itself a canonical action
/// (`set_brightness device=kitchen.ceiling brightness=30`) is resolved directly. A phrase mapped
/// to `none` is "not a command"; anything else is "not understood".
public struct TableCommandParser: CommandParser {
    public let resolver: ActionResolver
    public let phrases: [String: String]
    public let acceptsCanonical: Bool
    /// Simulated parse time (a real parser takes tens of milliseconds), for flood tests.
    public let delay: Duration?

    public init(resolver: ActionResolver, phrases: [String: String], acceptsCanonical: Bool = true, delay: Duration? = nil) {
        self.resolver = resolver
        self.phrases = Dictionary(phrases.map { (Self.normalize($0.key), $0.value) }, uniquingKeysWith: { a, _ in a })
        self.acceptsCanonical = acceptsCanonical
        self.delay = delay
    }

    /// The same phrases resolved against the new catalog and registry.
    public func reconfigured(for home: HomeConfiguration, settings: ParserSettings) async throws -> any CommandParser {
        TableCommandParser(resolver: ActionResolver(catalog: home.catalog, registry: home.registry), phrases: phrases,
                           acceptsCanonical: acceptsCanonical, delay: delay)
    }

    public static func normalize(_ text: String) -> String {
        var words = text.lowercased().split(whereSeparator: \.isWhitespace).joined(separator: " ")
        while let last = words.last, ".!?".contains(last) { words.removeLast() }
        return words
    }

    public func parse(_ text: String, site: String?) async throws -> ParsedCommand {
        let start = ContinuousClock.now
        if let delay { try await Task.sleep(for: delay) }
        func done(_ outcome: ParsedCommand.Outcome, _ confidence: Double) -> ParsedCommand {
            let elapsed = ContinuousClock.now - start
            let ms = Double(elapsed.components.seconds) * 1000 + Double(elapsed.components.attoseconds) / 1e15
            return ParsedCommand(outcome: outcome, confidence: confidence, milliseconds: ms)
        }
        let key = Self.normalize(text)
        var canonical = phrases[key]
        if canonical == nil, acceptsCanonical, let action = try? CanonicalAction(parsing: key),
           resolver.catalog.intent(named: action.intent) != nil {
            canonical = key
        }
        guard let canonical else { return done(.notUnderstood(reason: "no rule for '\(key)'"), 0) }
        if canonical == Catalog.noneIntent { return done(.notACommand, 1) }
        do {
            return done(.action(resolver.canonicalTarget(try resolver.resolve(text: canonical, site: site))), 1)
        } catch {
            return done(.notUnderstood(reason: "\(error)"), 0)
        }
    }
}

extension ParserSettings {
    /// Applies the config's `parser:` section to the options `IntentParser` is built with.
    public func apply(to options: inout IntentParser.Options) {
        options.confidenceThreshold = confidenceThreshold
    }
}
