import ArgumentParser
import Foundation
import Grammar
import Inference
import Intents

/// Options shared by the subcommands that parse commands: the home configuration and the parser.
struct ParserOptions: ParsableArguments {
    @Option(name: .long, help: "The home configuration (registry) YAML.")
    var config: String

    @Option(name: .long, help: "An extra intent catalog directory (repeatable).")
    var catalog: [String] = []

    @Option(name: .long, help: "Below this confidence a command is 'not understood'.")
    var threshold = IntentParser.Options().confidenceThreshold

    @Option(name: .long, help: "Logit bias per point of evidence that the command names a device, area or scene (0: off).")
    var mentionWeight: Float = IntentParser.Options().mentionWeight

    @Option(name: .long, help: "The mention weight while the intent is open, against 'none' (default: --mention-weight).")
    var mentionIntentWeight: Float?

    @Option(name: .long, help: "Worked examples in the prompt (default: none with the intent adapter, 8 without).")
    var examples: Int?

    @Flag(name: .long, help: "Do not draft the named target and verify it in one pass (same output, more passes).")
    var noDrafts = false

    @Flag(name: .long, help: "Do not refuse actions whose capability the command's words argue against ('dim' on an on/off light), effects no action has ('twinkle'), or acting on a question.")
    var noCapabilityCheck = false

    @Flag(name: .long, help: "Do not refuse actions asked for later ('in ten minutes', 'at 6 am').")
    var noScheduleCheck = false

    @Flag(name: .long, help: "Do not refuse commands that name a common room or device this home lacks.")
    var noAbsentNameCheck = false

    @Option(name: .long, help: "Refuse an action when the model put this much probability on 'not a command' and the command has words no action is asked with ('how much energy is the heater using'); 1 or more: off.")
    var leaningNone: Double = IntentParser.Options().leaningNoneThreshold ?? 1

    /// Loads the configuration, printing every problem with its file and line on failure.
    func loadHome() throws -> HomeConfiguration {
        do {
            return try HomeConfiguration.load(configFile: URL(fileURLWithPath: config),
                                              extraCatalogDirectories: catalog.map { URL(fileURLWithPath: $0) })
        } catch {
            for problem in error.items { FileHandle.standardError.write(Data("\(problem)\n".utf8)) }
            throw ExitCode(1)
        }
    }

    func makeParser(model: ModelOptions, home: HomeConfiguration) throws -> IntentParser {
        var options = IntentParser.Options()
        options.threads = model.threads
        options.confidenceThreshold = threshold
        options.mentionWeight = mentionWeight
        options.mentionIntentWeight = mentionIntentWeight
        options.draftTargets = !noDrafts
        options.capabilityCheck = !noCapabilityCheck
        options.scheduleCheck = !noScheduleCheck
        options.absentNameCheck = !noAbsentNameCheck
        options.leaningNoneThreshold = leaningNone < 1 ? leaningNone : nil
        let language = try model.load()
        options.examples = examples ?? (language.adapter == nil ? 8 : 0)
        return try IntentParser(language: language, catalog: home.catalog, registry: home.registry, options: options)
    }
}

extension ParseResult {
    /// The Action JSON line (DESIGN.md section 3) for this result; "not a command" and
    /// "not understood" are the intent `none` with no devices.
    /// `timings` are earlier stages' (`asr`); the parse time follows them.
    func actionJSON(id: String, source: ActionSource = .text, timings earlier: StageTimings = StageTimings()) -> String {
        var ms = earlier
        ms["parse"] = Int(timings.totalMs.rounded())
        let siteName = site ?? ""
        if let resolved {
            return resolved.action(id: id, text: text, confidence: confidence, source: source, ms: ms, site: siteName).jsonLine
        }
        return Action(id: id, site: siteName, text: text, intent: Catalog.noneIntent, slots: SlotValues(), devices: [],
                      confidence: confidence, source: source, ms: ms).jsonLine
    }
}

/// A short random id for actions (16 hex digits).
func newActionID() -> String {
    String(UInt64.random(in: 0...UInt64.max), radix: 16).leftPadded(to: 16)
}

extension String {
    func leftPadded(to width: Int) -> String { String(repeating: "0", count: max(0, width - count)) + self }
}
