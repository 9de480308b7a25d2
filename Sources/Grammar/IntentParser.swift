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
    /// The model's own probability of `none` at its first decision (before any check or bias).
    public var noneProbability: Double? = nil
    public var timings: ParseTimings
}

/// Where a parse spent its time.
public struct ParseTimings: Sendable, Equatable {
    public var totalMs: Double = 0
    public var promptTokens = 0
    /// Of `promptTokens`, those whose keys and values came from a cached opening.
    public var cachedTokens = 0
    public var outputTokens = 0
    public var modelCalls = 0
    public var forcedTokens = 0
    /// Decisions taken from a verified draft, without a model pass of their own.
    public var draftedDecisions = 0
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
        /// the outcome is `.notUnderstood`. 0.5 (as the daemon's default) was the best of 0.15–0.6
        /// on the dev set (`intents/dev`) and template-phrased held-out commands, not the eval set.
        public var confidenceThreshold = 0.5
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
        /// Sites whose prompt prefix is kept: the one in the session's cache and snapshots of the
        /// others used last (each about 14 MB for a 300-token prefix).
        public var cachedSites = 4
        /// Command openings ("turn off the") whose keys and values are kept after each site's
        /// prefix, so a command that begins with one feeds only the rest (0: off): a few common in
        /// the catalog's sentences from the start, then the openings of commands heard twice.
        public var cachedOpenings = 16
        /// Refuse an action when the command asks for another capability in the catalog's words
        /// and not for the action's ("dim the porch light" on an on/off light; `CapabilityWords`),
        /// or for an effect or setting no action has (`EffectWords`), and decide a yes/no
        /// question again among the queries (`QuestionForm`).
        public var capabilityCheck = true
        /// Refuse an action when the model itself put at least this probability on `none` at its
        /// first decision (before the mention bias) and the command has words that no action of the
        /// catalog is asked with (`EffectWords.unexplainedWords`: "how much energy is the slow
        /// cooker using"); nil turns it off. 0.8 is above every command with such words that the
        /// dev, template-phrased held-out and eval sets (A–I) expect an action for (at most 0.74).
        public var leaningNoneThreshold: Double? = 0.8
        /// Refuse an action the command asks for later, for a while or repeatedly ("in ten
        /// minutes", "at 6 am"; `ScheduleWords`): Hark acts at once and keeps no schedule.
        public var scheduleCheck = true
        /// Refuse a command that names a common room or device this home lacks ("the bedroom
        /// lights" without a bedroom; `AbsentNames`), whatever the model chose.
        public var absentNameCheck = true
        /// When the command fully names one device but the model's action does not reach it, or
        /// the model was unsure, decide again among the actions on the named device (or `none`).
        public var retryNamedDevice = true
        /// Draft the rest of a target the command names and verify it in the pass of the next
        /// decision (`ConstrainedDecoder`): the same output in fewer passes.
        public var draftTargets = true
        public init() {}
    }

    public let language: LanguageModel
    public let catalog: Catalog
    public let registry: Registry
    public let options: Options
    public let resolver: ActionResolver
    private let trie: VocabularyTrie
    /// The checks on the command's words after the model (`RequestChecks`).
    private let checks: RequestChecks
    private var capabilityWords: CapabilityWords { checks.capabilityWords }
    private let directionWords: DirectionWords
    /// The catalog's domain words that are no value's word (`MentionEvidence.domainWordsNotValues`).
    private let domainWordsNotValues: Set<String>
    /// Numbers in the home's names ("lamp 2"), which say no value.
    private let nameNumbers: Set<String>
    private let session: LlamaSession
    private let endToken: Int32
    private var grammars: [String: CompiledGrammar] = [:]
    /// Grammars of the actions on one device (for `retryNamedDevice`), by device id.
    private var deviceGrammars: [String: CompiledGrammar] = [:]
    /// The grammars of the queries (intents with a response) and `none` per site and per named
    /// device, for questions.
    private var queryGrammars: [String: CompiledGrammar] = [:]
    /// Grammars of some acting intents on one device or in one area (for the re-decisions after
    /// the model), by device or area id and what they keep; nil where no intent is kept.
    private var narrowGrammars: [String: CompiledGrammar?] = [:]
    private var targetOptions: [String: [ActionGrammar.TargetOption]] = [:]
    /// The site whose prompt prefix the session's cache holds now.
    private var cachedSite: String??
    private var prefixLength = 0
    /// Computed prefixes of recently used sites other than the cached one (most recent last), so
    /// that commands from a few sites (Hermes satellites) do not recompute a prefix each time
    /// they alternate.
    private var prefixSnapshots: [(site: String?, snapshot: KVSnapshot, openings: [CachedOpening])] = []
    /// The openings' positions after the prefix now in the session's cache.
    private var openings: [CachedOpening] = []
    /// The openings to cache with a newly computed prefix (chosen from the catalog, then learnt).
    private lazy var openingTokens: [[Int32]] = chooseOpenings()
    /// How often each opening (two to four tokens) began a command; cleared when it grows large.
    private var openingCounts: [[Int32]: Int] = [:]
    /// The command tokens of the last parse (for learning openings after it).
    private var lastCommandTokens: [Int32] = []

    /// A command opening's tokens and their keys and values right after a site's prefix.
    struct CachedOpening {
        var tokens: [Int32]
        var snapshot: KVSnapshot
    }

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
        checks = RequestChecks(catalog: catalog, registry: registry)
        directionWords = DirectionWords(catalog: catalog, registry: registry)
        domainWordsNotValues = MentionEvidence.domainWordsNotValues(catalog)
        nameNumbers = Set(MentionEvidence.nameWords(registry).flatMap { MentionEvidence.numbers(in: $0.joined(separator: " ")) })
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

    /// The command's words that no action of the catalog is asked with and that name nothing in
    /// the home (`EffectWords.unexplainedWords`), for `hark eval --details`.
    public func unexplainedWords(in command: String) -> [String] {
        checks.effectWords.unexplainedWords(in: command)
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

    /// A reason to refuse an acting action that takes no value when the command says a number
    /// (`said`, outside the home's names): "patio heater to half" on a switch is not `turn_off`,
    /// and the number cannot be dropped. An action with a value is left alone ("fan to full" is
    /// speed high). The re-decision among the named device's numeric actions has run before.
    private func unusedNumber(_ action: CanonicalAction, said: [String]) -> String? {
        guard let first = said.first, !checks.isQuery(action.intent),
              action.slots.names.allSatisfy(["device", "area", "domain"].contains) else { return nil }
        return "the command says \(first), which \(action.intent) does not take; nothing done"
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

    /// A reason to refuse an action aimed at an area (or, with no target, the site) when the
    /// command fully names other areas and not that one ("how warm is it in the galley" is not a
    /// reading of the cabin): the named area usually has nothing that does what was asked.
    private func otherArea(_ action: CanonicalAction, site: String?, _ evidence: MentionEvidence) -> String? {
        guard action.slots["device"] == nil, action.slots["scene"] == nil,
              catalog.intent(named: action.intent)?.target != nil,
              let area = action.slots["area"]?.id ?? site else { return nil }
        let named = evidence.fullyNamedAreas
        guard let first = named.first, !named.contains(area) else { return nil }
        return "the command names \(first) but the action was \(action.intent) in \(area); nothing done"
    }

    /// The one area the command names fully (outside device names), or nil.
    private func onlyNamedArea(_ evidence: MentionEvidence) -> Area? {
        let named = evidence.fullyNamedAreas
        return named.count == 1 ? registry.area(id: named[0]) : nil
    }

    /// The device the command names best (every word of one of its names, better than any other
    /// device), or nil.
    private func onlyNamedDevice(_ evidence: MentionEvidence) -> Device? {
        let ranked = evidence.namedDevices.sorted { $0.score > $1.score }
        guard let best = ranked.first, best.score >= 1, ranked.count == 1 || ranked[1].score < best.score else { return nil }
        return registry.device(id: best.id)
    }

    /// Whether canonical action text reaches `device` (by its id, or as one of an area's or the
    /// site's devices: "the porch doors" may be the porch's locks).
    private func reaches(_ device: String, _ text: String, site: String?) -> Bool {
        guard let resolved = try? resolver.resolve(text: text, site: site) else { return false }
        return resolved.devices.contains(device)
    }

    /// Whether `intent` (a name, or canonical action text that begins with one) is a query: an
    /// intent with a response, which answers and never acts.
    private func isQuery(_ intent: some StringProtocol) -> Bool {
        checks.isQuery(String(intent.prefix(while: { $0 != " " })))
    }

    /// Whether `intent` is a query of whether devices are on (`query_state`).
    private func isOnOffQuery(_ intent: some StringProtocol) -> Bool {
        guard let intent = catalog.intent(named: String(intent)) else { return false }
        return intent.response != nil && intent.target?.capability == .onOff
    }

    /// The queries (intents with a response) that can be asked of `device`.
    private func queries(on device: Device) -> [Intent] {
        catalog.intents.filter { $0.response != nil && $0.target.map { device.has($0.capability) } == true }
    }

    /// The grammar of the queries on `device` when the command names one (a question about a
    /// device the model took for a command on it: "is the porch light on"), else of the queries
    /// and `none` at `site` (cached).
    private func queryGrammar(for site: String?, device: Device?) -> CompiledGrammar {
        let key = device.map { "device:" + $0.id } ?? "site:" + (site ?? "")
        if let grammar = queryGrammars[key] { return grammar }
        let queries = Set(catalog.intents.filter { $0.response != nil }.map(\.name))
        let expression = device.map { ActionGrammar.deviceExpression(catalog: catalog, registry: registry, device: $0, only: queries) }
            ?? ActionGrammar.expression(catalog: catalog, registry: registry, site: site, only: queries)
        let grammar = CompiledGrammar(expression, trie: trie)
        queryGrammars[key] = grammar
        return grammar
    }

    /// The grammar of the acting intents (no queries, no `none`) that `keep` keeps, on `device`
    /// (cached under `key`), or nil when it can do none of them.
    private func deviceGrammar(_ device: Device, _ key: String, keeping keep: (Intent) -> Bool) -> CompiledGrammar? {
        let key = device.id + " " + key
        if let grammar = narrowGrammars[key] { return grammar }
        let kept = Set(catalog.intents.filter { intent in
            intent.response == nil && intent.target.map { device.has($0.capability) } == true && keep(intent)
        }.map(\.name))
        let grammar = kept.isEmpty ? nil
            : CompiledGrammar(ActionGrammar.deviceExpression(catalog: catalog, registry: registry, device: device, only: kept), trie: trie)
        narrowGrammars[key] = grammar
        return grammar
    }

    /// The grammar of the actions on `device` of the capabilities `asked` (cached), or nil when
    /// none is asked or the device does none of them.
    private func askedGrammar(_ device: Device, _ asked: Set<Capability>) -> CompiledGrammar? {
        guard !asked.isEmpty else { return nil }
        return deviceGrammar(device, "asked " + asked.map(\.rawValue).sorted().joined(separator: ","),
                             keeping: { $0.target.map { asked.contains($0.capability) } == true })
    }

    /// The grammar of the intents that `keep` keeps, in `area` (aimed at the area, at its devices
    /// of a domain or at one of its devices), with `none` or without (cached under `key`), or nil
    /// when nothing there does any of them.
    private func areaGrammar(_ area: Area, _ key: String, withNone: Bool, keeping keep: (Intent) -> Bool) -> CompiledGrammar? {
        let key = area.id + " " + key
        if let grammar = narrowGrammars[key] { return grammar }
        let local = Registry(areas: [area], devices: registry.devices.filter { $0.area == area.id })
        let kept = Set(catalog.intents.filter { intent in
            intent.target.map { !local.devices(with: $0.capability).isEmpty } == true && keep(intent)
        }.map(\.name))
        let grammar = kept.isEmpty ? nil
            : CompiledGrammar(ActionGrammar.expression(catalog: catalog, registry: local, site: nil, only: kept, withNone: withNone), trie: trie)
        narrowGrammars[key] = grammar
        return grammar
    }

    /// Whether canonical action text has the field `slot=value`.
    private static func has(_ text: String, field: String) -> Bool {
        text.split(separator: " ").contains { $0 == field }
    }

    /// Whether canonical action text has a slot whose value is one of `numbers`.
    private static func uses(_ text: String, anyOf numbers: [String]) -> Bool {
        text.split(separator: " ").contains { field in
            guard let equals = field.firstIndex(of: "=") else { return false }
            return numbers.contains(String(field[field.index(after: equals)...]))
        }
    }

    /// The grammar of the actions on one device (cached).
    private func deviceGrammar(_ device: Device) -> CompiledGrammar {
        if let grammar = deviceGrammars[device.id] { return grammar }
        let grammar = CompiledGrammar(ActionGrammar.deviceExpression(catalog: catalog, registry: registry, device: device), trie: trie)
        deviceGrammars[device.id] = grammar
        return grammar
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
        lastCommandTokens = []
        let result = try parseCommand(text, site: requestedSite)
        try learnOpenings()
        return result
    }

    private func parseCommand(_ text: String, site requestedSite: String? = nil) throws -> ParseResult {
        let clock = ContinuousClock()
        let start = clock.now
        let site = requestedSite ?? registry.site
        let command = text.split(whereSeparator: \.isWhitespace).joined(separator: " ")
        var timings = ParseTimings()
        var noneProbability: Double?
        func finish(_ outcome: ParseResult.Outcome, canonical: String = "", resolved: ResolvedAction? = nil, confidence: Double = 0) -> ParseResult {
            timings.totalMs = (clock.now - start).seconds * 1000
            return ParseResult(text: text, site: site, outcome: outcome, canonical: canonical, resolved: resolved,
                               confidence: confidence, noneProbability: noneProbability, timings: timings)
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
        lastCommandTokens = commandTokens
        // The longest cached opening the command begins with (and goes on after) is not fed again.
        var pendingTokens = commandTokens
        if let opening = openings.first(where: { $0.tokens.count < commandTokens.count && commandTokens.starts(with: $0.tokens) }) {
            session.append(opening.snapshot)
            pendingTokens.removeFirst(opening.tokens.count)
            timings.cachedTokens = opening.tokens.count
        }
        var decoder = ConstrainedDecoder(grammar: grammar(for: site), tokenizer: language.tokenizer, endToken: endToken)
        decoder.drafts = options.draftTargets
        decoder.watchedOpening = Array(Catalog.noneIntent.utf8)
        let evidence = options.mentionWeight > 0
            ? MentionEvidence(command: command, options: options(for: site), registry: registry, catalog: catalog,
                              weight: options.mentionWeight, intentWeight: options.mentionIntentWeight,
                              domainWordsNotValues: domainWordsNotValues)
            : nil
        var result = try decoder.decode(session, pending: pendingTokens, evidence: evidence)
        noneProbability = result.watchedProbability
        timings.promptTokens = commandTokens.count
        timings.outputTokens = result.tokens.count
        timings.modelCalls = result.modelCalls
        timings.forcedTokens = result.forcedTokens
        timings.draftedDecisions = result.draftedDecisions
        timings.maskMs = result.maskSeconds * 1000

        let named = options.retryNamedDevice ? evidence.flatMap(onlyNamedDevice) : nil
        // Numbers the command says, less those of the home's names ("lamp 2").
        let said = evidence?.numbers.filter { !nameNumbers.contains($0) } ?? []
        // "none" for a command that names one device and asks for something it can do, in the
        // catalog's keywords ("set the ecobee to 20 degrees") or with a verb that works a device
        // ("start the extractor", "turn on the dehumidifier"), is decided again among the actions
        // on that device that do it. The model learnt such verbs from things homes lack ("start
        // the car"), and asked again with `none` open it says `none` again.
        lazy var askedOfNamed: Set<Capability> = named.map { device in
            var asked = capabilityWords.askedCapabilities(command)
            if capabilityWords.asksToOperate(command) { asked.formUnion([.onOff, .playback]) }
            return asked.intersection(device.capabilities)
        } ?? []
        let noneForNamed = result.text == Catalog.noneIntent && options.capabilityCheck && !askedOfNamed.isEmpty
        // "none" for a command that names one room and, word for word, a value that some of its
        // devices take ("turn the nursery lights red") is decided again among the room's actions
        // with that slot.
        var noneForArea: (grammar: CompiledGrammar, field: String)?
        if result.text == Catalog.noneIntent, !noneForNamed, named == nil, options.capabilityCheck, let evidence,
           let value = evidence.strongestSaidValue, let area = onlyNamedArea(evidence),
           let grammar = areaGrammar(area, "value " + value.slot, withNone: false,
                                     keeping: { $0.response == nil && $0.slots.contains { $0.name == value.slot && !$0.isTarget } }) {
            noneForArea = (grammar, value.field)
        }
        if result.text == Catalog.noneIntent, !noneForNamed, noneForArea == nil {
            return finish(.notACommand, canonical: result.text, confidence: result.confidence)
        }
        // The command names one device that the model's action does not reach (or the model was
        // unsure): decide again among the actions on it, or none.
        // Decides again under a narrower grammar. The command's tokens are in the cache; the last
        // is fed again for the first decision.
        func decideAgain(under narrower: CompiledGrammar) throws -> DecodeResult {
            session.rewind(to: prefixLength + commandTokens.count - 1)
            var again = ConstrainedDecoder(grammar: narrower, tokenizer: language.tokenizer, endToken: endToken)
            again.drafts = options.draftTargets
            let retried = try again.decode(session, pending: [commandTokens[commandTokens.count - 1]], evidence: evidence)
            timings.outputTokens += retried.tokens.count
            timings.modelCalls += retried.modelCalls
            timings.maskMs += retried.maskSeconds * 1000
            return retried
        }
        if let noneForArea {
            let retried = try decideAgain(under: noneForArea.grammar)
            guard Self.has(retried.text, field: noneForArea.field) else {
                return finish(.notACommand, canonical: result.text, confidence: result.confidence)
            }
            result = retried
        } else if let named, noneForNamed, let request = askedGrammar(named, askedOfNamed) {
            result = try decideAgain(under: request)
        } else if let named, result.confidence < options.confidenceThreshold || !reaches(named.id, result.text, site: site) {
            // When the command asks the device for something in a capability's words ("the lens
            // lamp at full brightness") and the model chose another, only the asked actions are open.
            let chosen = capabilityWords.intentNeeds[String(result.text.prefix(while: { $0 != " " }))].flatMap(Capability.init(rawValue:))
            let asked = chosen.map(askedOfNamed.contains) == true ? nil : askedGrammar(named, askedOfNamed)
            let retried = try decideAgain(under: asked ?? deviceGrammar(named))
            if retried.text == Catalog.noneIntent {
                return finish(.notUnderstood(reason: "the command names \(named.id), which cannot do what it asks (the model first said '\(result.text)')"),
                              canonical: result.text, confidence: result.confidence)
            }
            result = retried
        }
        // A yes/no question ("is the shed door open") is answered, never acted on: decide again
        // among the queries (on the device it names, if it names one).
        let chosenIntent = result.text.prefix(while: { $0 != " " })
        if options.capabilityCheck, !isQuery(chosenIntent), QuestionForm.isYesNoQuestion(command) {
            if let named, queries(on: named).isEmpty {
                return finish(.notUnderstood(reason: "the command asks a question about \(named.id), and no query answers one about a \(named.type.rawValue); nothing done"),
                              canonical: result.text, confidence: result.confidence)
            }
            let retried = try decideAgain(under: queryGrammar(for: site, device: named))
            if retried.text == Catalog.noneIntent {
                return finish(.notUnderstood(reason: "the command asks a question, which \(chosenIntent) does not answer (the model first said '\(result.text)'); nothing done"),
                              canonical: result.text, confidence: result.confidence)
            }
            result = retried
        } else if options.capabilityCheck, isOnOffQuery(chosenIntent), !QuestionForm.asksWhetherOn(command) {
            // Whether something is on is asked as a question, a check or its status. "washer on
            // please" is a command: decide again among the named device's acting actions. "what's
            // playing on the radio" asks something no query answers.
            guard !QuestionForm.isQuestion(command), let named,
                  let acting = deviceGrammar(named, "acting", keeping: { _ in true }) else {
                return finish(.notUnderstood(reason: "the command does not ask whether something is on, which \(chosenIntent) answers; nothing done"),
                              canonical: result.text, confidence: result.confidence)
            }
            result = try decideAgain(under: acting)
        }
        // A number the command says that the action leaves unused ("open the velux about a
        // quarter" is not open_cover): decide again among the actions that take one on the named
        // device, or in the one room named ("raise the shutters in the living room to 42").
        if let evidence, !said.isEmpty, !Self.uses(result.text, anyOf: said), !isQuery(result.text) {
            let takesNumber = { (intent: Intent) in intent.slots.contains { $0.type.numericRange != nil && !$0.isTarget } }
            let numeric = named.map { deviceGrammar($0, "numeric", keeping: takesNumber) }
                ?? onlyNamedArea(evidence).map { areaGrammar($0, "numeric", withNone: false, keeping: { takesNumber($0) && $0.response == nil }) }
            if let numeric = numeric.flatMap({ $0 }) {
                let retried = try decideAgain(under: numeric)
                if Self.uses(retried.text, anyOf: said) { result = retried }
            }
        }
        // The command names one area and the action is aimed at another ("turn the kitchen lights
        // off" → the site's lights): decide the target again in the named area, or none.
        if named == nil, let evidence, let asSaid = try? resolver.resolve(text: result.text, site: site),
           otherArea(asSaid.canonical, site: site, evidence) != nil, let area = onlyNamedArea(evidence) {
            let retried = try areaGrammar(area, "intent " + asSaid.intent, withNone: true, keeping: { $0.name == asSaid.intent })
                .map(decideAgain(under:))
            guard let retried, retried.text != Catalog.noneIntent else {
                return finish(.notUnderstood(reason: "the command names \(area.id), and the model's action was elsewhere ('\(result.text)'); nothing done"),
                              canonical: result.text, confidence: result.confidence)
            }
            result = retried
        }
        // A value the command names (a fan speed, a colour, a white tone) that the action leaves
        // unused ("extractor on high" is not turn_on): decide again among the named device's
        // actions with that slot.
        // A query is decided again too, unless the command is a question ("monitor light to
        // daylight" is not "is the monitor light on").
        if let named, let evidence, !isQuery(result.text) || !QuestionForm.isYesNoQuestion(command),
           let value = evidence.strongestSaidValue, !Self.has(result.text, field: value.field),
           let grammar = deviceGrammar(named, "value " + value.slot, keeping: { $0.slots.contains { $0.name == value.slot && !$0.isTarget } }) {
            let retried = try decideAgain(under: grammar)
            if Self.has(retried.text, field: value.field) { result = retried }
        }
        // The opposite of what the command says ("close up the skylight" → open_cover) is the
        // other action of the pair, on the same target.
        if options.capabilityCheck, let space = result.text.firstIndex(of: " "),
           let opposite = directionWords.opposite(of: String(result.text[..<space]), in: command) {
            result.text = opposite + result.text[space...]
        }
        if result.confidence < options.confidenceThreshold {
            return finish(.notUnderstood(reason: String(format: "confidence %.2f below %.2f", result.confidence, options.confidenceThreshold)),
                          canonical: result.text, confidence: result.confidence)
        }
        do {
            let asSaid = try resolver.resolve(text: result.text, site: site)
            let resolved = resolver.canonicalTarget(asSaid)
            if let evidence, let problem = outOfRange(resolved.canonical, said: evidence.numbers)
                ?? unusedNumber(resolved.canonical, said: said)
                ?? otherDevice(resolved.canonical, evidence) ?? otherArea(asSaid.canonical, site: site, evidence)
                ?? evidence.unsaidValue(of: resolved.canonical, catalog: catalog) {
                return finish(.notUnderstood(reason: problem), canonical: result.text, confidence: result.confidence)
            }
            if let problem = checks.refusal(command: command, action: resolved.canonical, asSaid: asSaid.canonical,
                                            devices: asSaid.devices.compactMap(registry.device(id:)),
                                            noneProbability: noneProbability, options: options) {
                return finish(.notUnderstood(reason: problem), canonical: result.text, confidence: result.confidence)
            }
            return finish(.action, canonical: result.text, resolved: resolved, confidence: result.confidence)
        } catch {
            return finish(.notUnderstood(reason: "\(error)"), canonical: result.text, confidence: result.confidence)
        }
    }

    private func loadPrefix(site: String?) throws {
        if let cachedSite, cachedSite == site { return }
        // The site in the cache now is kept as a snapshot when another takes its place (not
        // before: a home heard at one site holds one copy of its prefix, not two).
        if let current = cachedSite, options.cachedSites > 1 {
            prefixSnapshots.removeAll { $0.site == current }
            if prefixSnapshots.count >= options.cachedSites - 1 { prefixSnapshots.removeFirst() }
            prefixSnapshots.append((current, session.cache.snapshot(count: prefixLength), openings))
        }
        if let index = prefixSnapshots.firstIndex(where: { $0.site == site }) {
            let entry = prefixSnapshots.remove(at: index)
            session.restore(entry.snapshot)
            prefixLength = entry.snapshot.count
            openings = entry.openings
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
        openings = try openingTokens.sorted(by: { $0.count > $1.count }).map(computeOpening)
        cachedSite = .some(site)
    }

    /// Counts the openings of the last command; the longest one now heard twice is computed and
    /// kept (after the parse, so the command that taught it does not wait for it).
    private func learnOpenings() throws {
        let tokens = lastCommandTokens
        guard options.cachedOpenings > 0, tokens.count > 2, cachedSite != nil else { return }
        if openingCounts.count > 4_096 { openingCounts.removeAll() }
        var learnt: [Int32]?
        for prefix in Self.openings(of: tokens) {
            let seen = (openingCounts[prefix] ?? 0) + 1
            openingCounts[prefix] = seen
            if seen == 2, !openingTokens.contains(prefix) { learnt = prefix }
        }
        guard let opening = learnt, openingTokens.count < options.cachedOpenings else { return }
        openingTokens.append(opening)
        openings.append(try computeOpening(opening))
        openings.sort { $0.tokens.count > $1.tokens.count }
    }

    /// The keys and values of `tokens` right after the prefix in the cache (left as it was).
    private func computeOpening(_ tokens: [Int32]) throws -> CachedOpening {
        session.rewind(to: prefixLength)
        _ = try session.forward(tokens, logits: .none)
        defer { session.rewind(to: prefixLength) }
        return CachedOpening(tokens: tokens, snapshot: session.cache.snapshot(positions: prefixLength..<(prefixLength + tokens.count)))
    }

    /// The openings a command's tokens could share with others: their first two to four tokens,
    /// always leaving at least one.
    private static func openings(of tokens: [Int32]) -> [[Int32]] {
        guard tokens.count > 2 else { return [] }
        return (2...min(4, tokens.count - 1)).map { Array(tokens.prefix($0)) }
    }

    /// A few token sequences (two to four tokens) that most often begin the catalog's sentences
    /// for this registry, weighted by the tokens they save.
    private func chooseOpenings() -> [[Int32]] {
        guard options.cachedOpenings > 0 else { return [] }
        let expander = TemplateExpander(catalog: catalog, registry: registry, site: registry.site)
        var rng = SeededGenerator(seed: 0x4F50_454E)
        var counts: [[Int32]: Int] = [:]
        for expansion in expander.sample(count: 3000, using: &rng) {
            for opening in Self.openings(of: language.tokenizer.encode(expansion.text, parseSpecial: false)) { counts[opening, default: 0] += 1 }
        }
        let chosen = counts.filter { $0.value >= 10 }
            .sorted { ($0.value * $0.key.count, $0.key.count) > ($1.value * $1.key.count, $1.key.count) }
            .prefix(options.cachedOpenings / 4).map(\.key)
        return Array(chosen)
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
