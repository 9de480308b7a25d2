import Foundation
import Inference
import Intents

/// The outcome of parsing one command.
public struct ParseResult: Sendable {
    public enum Outcome: Sendable, Equatable {
        /// A valid action on the registry.
        case action
        /// The model's answer: not a command for these devices.
        case notACommand
        /// No action: the confidence was below the threshold, or the input was unusable.
        case notUnderstood(reason: String)
    }

    public var text: String
    public var site: String?
    public var outcome: Outcome
    /// What the model produced (canonical action text); empty when the model did not run.
    public var canonical: String
    /// Set for `.action` only.
    public var resolved: ResolvedAction?
    public var confidence: Double
    public var timings: ParseTimings
}

/// Where a parse spent its time.
public struct ParseTimings: Sendable, Equatable {
    public var totalMs: Double = 0
    public var promptTokens = 0
    public var outputTokens = 0
    public var modelCalls = 0
    public var forcedTokens = 0
    public var maskMs: Double = 0
}

/// Text in, one valid action out: the intent-tuned model decodes under the grammar of valid
/// actions for the registry and site, the result is resolved against the registry, and a
/// low-confidence answer becomes "not understood" rather than a guess on a device.
///
/// Owns one inference session whose KV cache holds the prompt prefix of the last site used;
/// not thread-safe (the daemon serializes parses).
public final class IntentParser: @unchecked Sendable {
    public struct Options: Sendable {
        public var threads = 2
        /// Below this confidence (product of the chosen tokens' probabilities among legal ones)
        /// the outcome is `.notUnderstood`.
        public var confidenceThreshold = 0.3
        /// Longer commands are not understood (a spoken command is a sentence, not a page).
        public var maxCommandTokens = 96
        /// Logit bias per point of lexical evidence (`MentionEvidence`) for actions on what the
        /// command names; 0 turns it off.
        public var mentionWeight: Float = 3
        /// The same while the intent is still open, where evidence argues against `none` (nil: as
        /// `mentionWeight`).
        public var mentionIntentWeight: Float?
        /// Worked examples in the prompt (for the base model; the tuned adapter needs none).
        public var examples = 0
        public var contextCapacity = 2048
        /// Sites whose prompt prefix is kept (each about 14 MB for a 300-token prefix).
        public var cachedSites = 4
        public init() {}
    }

    public let language: LanguageModel
    public let catalog: Catalog
    public let registry: Registry
    public let options: Options
    public let resolver: ActionResolver
    private let trie: VocabularyTrie
    private let session: LlamaSession
    private let endToken: Int32
    private var grammars: [String: CompiledGrammar] = [:]
    private var targetOptions: [String: [ActionGrammar.TargetOption]] = [:]
    /// The site whose prompt prefix the session's cache holds now.
    private var cachedSite: String??
    private var prefixLength = 0
    /// Computed prefixes of recently used sites (most recent last), so that commands from a
    /// few sites (Hermes satellites) do not recompute a prefix each time they alternate.
    private var prefixSnapshots: [(site: String?, snapshot: KVSnapshot)] = []

    public init(language: LanguageModel, catalog: Catalog, registry: Registry, options: Options = Options()) throws {
        guard let end = language.tokenizer.tokenID("<|im_end|>") else {
            throw ParserSetupError.missingToken("<|im_end|>")
        }
        self.language = language
        self.catalog = catalog
        self.registry = registry
        self.options = options
        resolver = ActionResolver(catalog: catalog, registry: registry)
        trie = VocabularyTrie(tokenizer: language.tokenizer)
        session = language.session(threads: options.threads, contextCapacity: options.contextCapacity)
        endToken = end
    }

    /// Compiles the grammar and computes the prompt prefix's KV cache for `site` now, so that
    /// the first command there pays nothing extra.
    public func prepare(site: String? = nil) throws {
        let site = site ?? registry.site
        _ = grammar(for: site).precomputeAllMasks()
        try loadPrefix(site: site)
    }

    /// The compiled action grammar for a site (cached).
    public func grammar(for site: String?) -> CompiledGrammar {
        let key = site ?? ""
        if let grammar = grammars[key] { return grammar }
        let grammar = CompiledGrammar(ActionGrammar.expression(catalog: catalog, registry: registry, site: site), trie: trie)
        grammars[key] = grammar
        return grammar
    }

    /// A reason to refuse an action whose number the command did not say because the number it
    /// did say is out of the slot's range ("set the heating to 35" must not become 30).
    private func outOfRange(_ action: CanonicalAction, said: [String]) -> String? {
        guard !said.isEmpty, let intent = catalog.intent(named: action.intent) else { return nil }
        let numbers = said.compactMap { Double($0).flatMap(SlotNumber.init(exactly:)) }
        for (name, value) in action.slots {
            guard case .number(let n) = value, !numbers.contains(n),
                  let range = intent.slots.first(where: { $0.name == name })?.type.numericRange,
                  let outside = numbers.first(where: { $0 < range.min || $0 > range.max }) else { continue }
            return "\(outside) is out of range for \(name) (\(range.min)–\(range.max))"
        }
        return nil
    }

    /// A reason to refuse an action on a device the command does not name when it names another
    /// one fully: usually the named one cannot do what was asked ("make the blind blue"), and
    /// acting on a different device would be a guess.
    private func otherDevice(_ action: CanonicalAction, _ evidence: MentionEvidence) -> String? {
        guard case .id(let chosen)? = action.slots["device"],
              let named = evidence.namedDevices.max(by: { $0.score < $1.score }), named.score >= 1,
              !evidence.namedDevices.contains(where: { $0.id == chosen }) else { return nil }
        return "the command names \(named.id) but the action was \(action.intent) on \(chosen); nothing done"
    }

    /// The intent + target prefixes of the site's grammar (cached), for mention evidence.
    private func options(for site: String?) -> [ActionGrammar.TargetOption] {
        let key = site ?? ""
        if let cached = targetOptions[key] { return cached }
        let list = ActionGrammar.targetOptions(catalog: catalog, registry: registry, site: site)
        targetOptions[key] = list
        return list
    }

    public func parse(_ text: String, site requestedSite: String? = nil) throws -> ParseResult {
        let clock = ContinuousClock()
        let start = clock.now
        let site = requestedSite ?? registry.site
        let command = text.split(whereSeparator: \.isWhitespace).joined(separator: " ")
        var timings = ParseTimings()
        func finish(_ outcome: ParseResult.Outcome, canonical: String = "", resolved: ResolvedAction? = nil, confidence: Double = 0) -> ParseResult {
            timings.totalMs = (clock.now - start).seconds * 1000
            return ParseResult(text: text, site: site, outcome: outcome, canonical: canonical, resolved: resolved,
                               confidence: confidence, timings: timings)
        }
        if let site, registry.area(id: site) == nil {
            return finish(.notUnderstood(reason: "unknown site '\(site)'"))
        }
        guard !command.isEmpty else { return finish(.notUnderstood(reason: "empty command")) }
        // Nobody says "device=" or a chat marker: text like that is an attempt to write the answer.
        if let marker = ["=", "<|", "|>"].first(where: { command.contains($0) }) {
            return finish(.notUnderstood(reason: "the command contains action markup ('\(marker)')"))
        }
        if let reason = InstructionGuard.reason(for: command) { return finish(.notUnderstood(reason: reason)) }
        let commandTokens = ParserPrompt.userTurnTokens(command, tokenizer: language.tokenizer)
        guard commandTokens.count <= options.maxCommandTokens else {
            return finish(.notUnderstood(reason: "command too long (\(commandTokens.count) tokens, at most \(options.maxCommandTokens))"))
        }
        try loadPrefix(site: site)
        session.rewind(to: prefixLength)
        let decoder = ConstrainedDecoder(grammar: grammar(for: site), tokenizer: language.tokenizer, endToken: endToken)
        let evidence = options.mentionWeight > 0
            ? MentionEvidence(command: command, options: options(for: site), registry: registry, catalog: catalog,
                              weight: options.mentionWeight, intentWeight: options.mentionIntentWeight)
            : nil
        let result = try decoder.decode(session, pending: commandTokens, evidence: evidence)
        timings.promptTokens = commandTokens.count
        timings.outputTokens = result.tokens.count
        timings.modelCalls = result.modelCalls
        timings.forcedTokens = result.forcedTokens
        timings.maskMs = result.maskSeconds * 1000

        if result.text == Catalog.noneIntent {
            return finish(.notACommand, canonical: result.text, confidence: result.confidence)
        }
        if result.confidence < options.confidenceThreshold {
            return finish(.notUnderstood(reason: String(format: "confidence %.2f below %.2f", result.confidence, options.confidenceThreshold)),
                          canonical: result.text, confidence: result.confidence)
        }
        do {
            let resolved = try resolver.resolve(text: result.text, site: site)
            if let evidence, let problem = outOfRange(resolved.canonical, said: evidence.numbers) ?? otherDevice(resolved.canonical, evidence) {
                return finish(.notUnderstood(reason: problem), canonical: result.text, confidence: result.confidence)
            }
            return finish(.action, canonical: result.text, resolved: resolved, confidence: result.confidence)
        } catch {
            return finish(.notUnderstood(reason: "\(error)"), canonical: result.text, confidence: result.confidence)
        }
    }

    private func loadPrefix(site: String?) throws {
        if let cachedSite, cachedSite == site { return }
        if let index = prefixSnapshots.firstIndex(where: { $0.site == site }) {
            let entry = prefixSnapshots.remove(at: index)
            prefixSnapshots.append(entry)
            session.restore(entry.snapshot)
            prefixLength = entry.snapshot.count
            cachedSite = .some(site)
            return
        }
        let examples = options.examples > 0
            ? ParserPrompt.sampleExamples(catalog: catalog, registry: registry, site: site, count: options.examples) : []
        let prompt = ParserPrompt(catalog: catalog, registry: registry, examples: examples)
        let tokens = language.tokenizer.encode(prompt.prefix(site: site))
        session.rewind(to: 0)
        _ = try session.forward(tokens, logits: .none)
        prefixLength = tokens.count
        cachedSite = .some(site)
        if options.cachedSites > 0 {
            if prefixSnapshots.count >= options.cachedSites { prefixSnapshots.removeFirst() }
            prefixSnapshots.append((site, session.cache.snapshot(count: prefixLength)))
        }
    }
}

/// Problems building a parser for a model.
public enum ParserSetupError: Error, CustomStringConvertible {
    case missingToken(String)
    public var description: String {
        switch self {
        case .missingToken(let token): return "the model's vocabulary has no '\(token)' token, which the parser's chat prompt needs"
        }
    }
}
