import Intents

/// The checks on the command's words that the parser applies to the model's action, in order,
/// each a reason to refuse it: names the home lacks (`AbsentNames`), another capability or query
/// topic asked (`CapabilityWords`), "how much" of a yes/no state, kinds of device the action does
/// not reach (`DomainWords`), times other than now (`ScheduleWords`), nothing asked
/// (`EmptyRequest`), two requests (`CompoundWords`), negations (`NegationWords`), open questions
/// (`QuestionForm`), operations and effects no action has (`EffectWords`), and words no action is
/// asked with where the model leant to `none`. The grammar guarantees a valid action, not the asked
/// one; these read what the model cannot be made to. Built once per home.
struct RequestChecks: Sendable {
    let catalog: Catalog
    let capabilityWords: CapabilityWords
    let absentNames: AbsentNames
    let effectWords: EffectWords
    let domainWords: DomainWords
    let compoundWords: CompoundWords
    let emptyRequest: EmptyRequest
    /// Words of the home's names, which `ScheduleWords` does not read as times ("sunset" scene).
    let nameWords: Set<String>

    init(catalog: Catalog, registry: Registry) {
        self.catalog = catalog
        capabilityWords = CapabilityWords(catalog: catalog, registry: registry)
        absentNames = AbsentNames(catalog: catalog, registry: registry)
        effectWords = EffectWords(catalog: catalog, registry: registry)
        domainWords = DomainWords(catalog: catalog, registry: registry)
        compoundWords = CompoundWords(catalog: catalog, registry: registry)
        emptyRequest = EmptyRequest(catalog: catalog, registry: registry)
        nameWords = Set(MentionEvidence.nameWords(registry).flatMap { $0 })
    }

    /// Why `command` does not ask for `action` (resolved to its canonical target; `asSaid` as the
    /// model said it, reaching `devices`), or nil. `noneProbability` is the model's own weight on
    /// `none` at its first decision.
    func refusal(command: String, action: CanonicalAction, asSaid: CanonicalAction, devices: [Device],
                 noneProbability: Double?, options: IntentParser.Options) -> String? {
        let query = isQuery(action.intent)
        // Words no action is asked with: read only for a query or when the model leant to none.
        lazy var unexplained = effectWords.unexplainedWords(in: command)
        if options.absentNameCheck, let name = absentNames.absentName(in: command) ?? absentNames.unknownName(in: command) {
            return "this home has no '\(name)'; nothing done"
        }
        if options.capabilityCheck, let problem = capabilityWords.mismatch(command: command, action: action)
            ?? capabilityWords.unaskedQuery(command: command, action: action, unexplained: query ? unexplained : [])
            ?? howMuchOfAState(action, command: command)
            ?? domainWords.mismatch(command: command, action: asSaid, devices: devices) {
            return problem
        }
        if options.scheduleCheck, !query, let time = ScheduleWords.schedule(in: command, names: nameWords) {
            return "Hark acts at once and keeps no schedule ('\(time)'); nothing done"
        }
        if options.capabilityCheck {
            if let problem = emptyRequest.reason(command: command, action: action) { return problem }
            if let second = compoundWords.secondRequest(in: command) {
                return "the command asks for two things; Hark does one per command (say '\(second)' on its own); nothing done"
            }
            if !query, let negation = NegationWords.negation(in: command) { return "the command says '\(negation)'; nothing done" }
            if !query, QuestionForm.isOpenQuestion(command) {
                return "the command asks a question that \(action.intent) does not answer; nothing done"
            }
            if let operation = effectWords.unsupportedOperation(in: command) { return "no action does '\(operation)'; nothing done" }
            if let effect = effectWords.unknownEffect(in: command) { return "no action makes something '\(effect)'; nothing done" }
        }
        if let threshold = options.leaningNoneThreshold, let noneProbability, noneProbability >= threshold, !unexplained.isEmpty {
            let leaning = String(format: "%.2f", noneProbability)
            return "the model leant to 'not a command' (\(leaning)), and no action is asked for with '\(unexplained.joined(separator: " "))'; nothing done"
        }
        return nil
    }

    /// Whether `intent` is a query: an intent with a response, which answers and never acts.
    func isQuery(_ intent: String) -> Bool {
        catalog.intent(named: intent)?.response != nil
    }

    /// A reason to refuse a query that says whether (devices are on, locks locked) for a command
    /// that asks for an amount or a duration ("how much has the car charger charged", "how long
    /// has the fridge been running"): on or off answers neither.
    func howMuchOfAState(_ action: CanonicalAction, command: String) -> String? {
        guard isQuery(action.intent), let target = catalog.intent(named: action.intent)?.target,
              [.onOff, .lock].contains(target.capability), QuestionForm.asksHowMuch(command) else { return nil }
        return "the command asks how much or how long, and \(action.intent) only says whether; nothing done"
    }
}
