import ArgumentParser
import Foundation
import Grammar
import Hub
import Inference
import Intents

/// `hark bench`: load time, prefill and decode speed, and memory, measured the same way each
/// run so that `bench/compare_llamacpp.py` can set them beside llama.cpp's.
struct Bench: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Measure model load time, prefill and decode speed, and resident memory.")

    @OptionGroup var options: ModelOptions

    @Option(name: .long, help: "Prompt tokens for the prefill measurement.")
    var promptTokens = 64

    @Option(name: .long, help: "Tokens for the decode measurement.")
    var decodeTokens = 32

    @Option(name: .long, help: "Repetitions of each measurement (the median is reported).")
    var repeats = 5

    @Flag(name: .long, help: "Print the result as one JSON object.")
    var json = false

    @Flag(name: .long, help: "Print the prompt's token ids as JSON and exit (for the llama.cpp comparison).")
    var printPromptIds = false

    @Option(name: .long, help: "With a home configuration: also measure per-command parse latency (warm) and the grammar's mask cost.")
    var config: String?

    @Option(name: .long, help: "Commands for the parse measurement, one per line (default: bench/commands.txt).")
    var commands = "bench/commands.txt"

    @Flag(name: .long, help: "Measure text-in to device-command-out over MQTT (the configured broker) with a table parser.")
    var mqtt = false

    @Flag(name: .long, help: "With --config: speech synthesised by espeak-ng through the endpointer, recogniser and parser (RTF, end of speech to action).")
    var speech = false

    @Option(name: .long, help: "Commands for --speech (each in three voices).")
    var speechCommands = 30

    @Option(name: .long, help: "With --speech: the seed that samples the commands (the speech tests use 2024).")
    var speechSeed: UInt64 = 2024

    @Flag(name: .long, help: "With --speech: decode each utterance whole after the endpoint instead of streaming it (no early end).")
    var speechWholeUtterance = false

    @Option(name: .long, help: "With --speech: override audio.endpointing.complete_silence_ms (0: always the full trailing silence).")
    var completeSilenceMs: Int?

    @Flag(name: .long, help: "With --speech: no speculative parse of the words heard when speech pauses.")
    var noSpeculativeParse = false

    @Flag(name: .long, help: "With --config: the parser does not draft named targets (same output, more model passes; for comparison).")
    var noDrafts = false

    /// A fixed English prompt; its first `promptTokens` tokens are the benchmark prompt.
    static let promptText = """
        The smart home hub sits on a shelf in the hallway. Every morning it turns on the kitchen \
        lights at half brightness, opens the living room blinds, and sets the thermostat to twenty \
        one degrees. In the evening it dims the bedroom lamp, locks the front door, and plays quiet \
        music in the study until everyone has gone to sleep. Nothing it hears ever leaves the house.
        """

    func run() throws {
        if speech, config == nil { throw ValidationError("--speech needs --config (the home whose commands are spoken)") }
        if let config {
            if mqtt { return try benchMQTT(config: config) }
            if speech { return try SpeechBenchmark(options: options, config: config, count: speechCommands, seed: speechSeed, json: json,
                                                     streaming: !speechWholeUtterance, completeSilenceMs: completeSilenceMs,
                                                     speculate: !noSpeculativeParse ? nil : false).run() }
            return try benchParse(config: config)
        }
        let path = try options.resolvedModelPath()
        let clock = ContinuousClock()
        let loadStart = clock.now
        let language = try options.load(adapter: options.adapter != nil)
        let session = language.session(threads: options.threads, contextCapacity: promptTokens + decodeTokens + 8)
        let loadMs = (clock.now - loadStart).milliseconds
        let rssAfterLoad = ProcessMemory.residentBytes() ?? 0

        var prompt = language.tokenizer.encode(Self.promptText)
        while prompt.count < promptTokens { prompt += prompt }
        prompt = Array(prompt.prefix(promptTokens))
        if printPromptIds {
            print("[" + prompt.map(String.init).joined(separator: ",") + "]")
            return
        }

        // Warm-up: touch every weight page once so that timings measure compute, not page faults.
        _ = try session.forward(prompt, logits: .last)

        var prefillTimes: [Double] = []
        var decodeTimes: [Double] = []
        for _ in 0..<max(1, repeats) {
            session.rewind(to: 0)
            let start = clock.now
            var logits = try session.forward(prompt, logits: .last)
            prefillTimes.append((clock.now - start).seconds)

            let decodeStart = clock.now
            for _ in 0..<decodeTokens {
                let next = Int32(LlamaSession.argmax(logits))
                logits = try session.forward([next], logits: .last)
            }
            decodeTimes.append((clock.now - decodeStart).seconds)
        }
        let result: [String: Any] = [
            "model": path,
            "threads": options.threads,
            "prompt_tokens": promptTokens,
            "decode_tokens": decodeTokens,
            "repeats": repeats,
            "load_ms": loadMs,
            "prefill_tokens_per_s": Double(promptTokens) / median(prefillTimes),
            "prefill_tokens_per_s_min": Double(promptTokens) / prefillTimes.max()!,
            "prefill_tokens_per_s_max": Double(promptTokens) / prefillTimes.min()!,
            "decode_tokens_per_s": Double(decodeTokens) / median(decodeTimes),
            "decode_tokens_per_s_min": Double(decodeTokens) / decodeTimes.max()!,
            "decode_tokens_per_s_max": Double(decodeTokens) / decodeTimes.min()!,
            "rss_after_load_mb": Double(rssAfterLoad) / 1_048_576,
            "peak_rss_mb": Double(ProcessMemory.peakResidentBytes() ?? 0) / 1_048_576,
        ]
        if json {
            let data = try JSONSerialization.data(withJSONObject: result, options: [.sortedKeys])
            print(String(decoding: data, as: UTF8.self))
        } else {
            func f(_ key: String) -> String { String(format: "%.1f", result[key] as? Double ?? 0) }
            print("model        \(path)")
            print("threads      \(options.threads)")
            print("load         \(f("load_ms")) ms")
            print("prefill      \(f("prefill_tokens_per_s")) tok/s  (\(promptTokens)-token prompt, median of \(repeats); range \(f("prefill_tokens_per_s_min"))–\(f("prefill_tokens_per_s_max")))")
            print("decode       \(f("decode_tokens_per_s")) tok/s  (\(decodeTokens) tokens, median of \(repeats); range \(f("decode_tokens_per_s_min"))–\(f("decode_tokens_per_s_max")))")
            print("rss          \(f("rss_after_load_mb")) MB after load, \(f("peak_rss_mb")) MB peak")
        }
    }

    /// Per-command latency of the intent parser on the committed command set, warm (every
    /// command once to warm up, then `repeats` rounds), and the grammar's mask lookup cost.
    private func benchParse(config: String) throws {
        let home = try HomeConfiguration.load(configFile: URL(fileURLWithPath: config))
        guard let text = FileManager.default.contents(atPath: commands) else { throw ValidationError("\(commands): cannot read") }
        let lines = String(decoding: text, as: UTF8.self).split(separator: "\n").map(String.init)
            .filter { !$0.hasPrefix("#") && !$0.trimmingCharacters(in: .whitespaces).isEmpty }
        var parserOptions = IntentParser.Options()
        parserOptions.threads = options.threads
        parserOptions.examples = options.resolvedAdapterPath() == nil ? 8 : 0
        parserOptions.draftTargets = !noDrafts
        let language = try options.load(adapter: true)
        let parser = try IntentParser(language: language, catalog: home.catalog, registry: home.registry, options: parserOptions)
        let clock = ContinuousClock()
        // Mask computation on its own: compile the grammar, then every state's legal tokens.
        let grammarStart = clock.now
        let grammar = parser.grammar(for: home.registry.site)
        let grammarMs = (clock.now - grammarStart).milliseconds
        let masksStart = clock.now
        let states = grammar.precomputeAllMasks()
        let masksMs = (clock.now - masksStart).milliseconds
        let prepareStart = clock.now
        try parser.prepare()
        let prepareMs = (clock.now - prepareStart).milliseconds
        for line in lines { _ = try parser.parse(line) }
        var latencies: [Double] = [], maskMs = 0.0, tokens = 0, calls = 0, forced = 0, promptTokens = 0, cachedTokens = 0, drafted = 0
        for _ in 0..<max(1, repeats) {
            for line in lines {
                let result = try parser.parse(line)
                latencies.append(result.timings.totalMs)
                maskMs += result.timings.maskMs
                tokens += result.timings.outputTokens
                calls += result.timings.modelCalls
                forced += result.timings.forcedTokens
                promptTokens += result.timings.promptTokens
                cachedTokens += result.timings.cachedTokens
                drafted += result.timings.draftedDecisions
            }
        }
        let sorted = latencies.sorted()
        let p95 = sorted[min(sorted.count - 1, Int(Double(sorted.count) * 0.95))]
        let result: [String: Any] = [
            "threads": options.threads, "commands": lines.count, "rounds": repeats,
            "adapter": language.adapter?.file.path ?? "none",
            "prepare_ms": prepareMs,
            "grammar_compile_ms": grammarMs, "grammar_states": states, "mask_compute_ms": masksMs,
            "mask_compute_us_per_state": masksMs * 1000 / Double(max(states, 1)),
            "parse_ms_median": median(latencies), "parse_ms_p95": p95,
            "model_calls_per_command": Double(calls) / Double(latencies.count),
            "output_tokens_per_command": Double(tokens) / Double(latencies.count),
            "forced_tokens_per_command": Double(forced) / Double(latencies.count),
            "command_tokens_per_command": Double(promptTokens) / Double(latencies.count),
            "cached_opening_tokens_per_command": Double(cachedTokens) / Double(latencies.count),
            "drafted_decisions_per_command": Double(drafted) / Double(latencies.count),
            "mask_us_per_token": tokens == 0 ? 0 : maskMs * 1000 / Double(tokens),
            "peak_rss_mb": Double(ProcessMemory.peakResidentBytes() ?? 0) / 1_048_576,
        ]
        if json {
            let data = try JSONSerialization.data(withJSONObject: result, options: [.sortedKeys])
            print(String(decoding: data, as: UTF8.self))
        } else {
            print(String(format: "parse        median %.1f ms, p95 %.1f ms over %d commands x %d rounds (threads %d, adapter %@)",
                         median(latencies), p95, lines.count, repeats, options.threads, result["adapter"] as! String))
            print(String(format: "per command  %.1f model calls (%.1f decisions more from verified drafts), %.1f output tokens (%.1f forced by the grammar), %.1f command tokens (%.1f from cached openings)",
                         result["model_calls_per_command"] as! Double, result["drafted_decisions_per_command"] as! Double,
                         result["output_tokens_per_command"] as! Double,
                         result["forced_tokens_per_command"] as! Double, result["command_tokens_per_command"] as! Double,
                         result["cached_opening_tokens_per_command"] as! Double))
            print(String(format: "masks        %.2f us per output token to look up; computed once per registry: %d states in %.0f ms (%.0f us per state), grammar compiled in %.0f ms",
                         result["mask_us_per_token"] as! Double, states, masksMs, masksMs * 1000 / Double(max(states, 1)), grammarMs))
            print(String(format: "prepare      %.0f ms (prompt prefix KV)", prepareMs))
        }
    }

    /// Text in over MQTT to device command out, with a deterministic table parser so that the
    /// figure is the daemon's own overhead; `hark bench --config` gives the parser's time.
    private func benchMQTT(config: String) throws {
        let url = URL(fileURLWithPath: config)
        let home = try HomeConfiguration.load(configFile: url)
        let daemon = try DaemonConfiguration.load(configFile: url, registry: home.registry)
        let box = ResultBox()
        let semaphore = DispatchSemaphore(value: 0)
        Task {
            do {
                box.set(.success(try await RoundTripBenchmark.run(configuration: daemon, catalog: home.catalog, registry: home.registry, count: 1000)))
            } catch {
                box.set(.failure(error))
            }
            semaphore.signal()
        }
        semaphore.wait()
        print(try box.get())
    }

    private func median(_ values: [Double]) -> Double {
        let sorted = values.sorted()
        return sorted.count % 2 == 1 ? sorted[sorted.count / 2] : (sorted[sorted.count / 2 - 1] + sorted[sorted.count / 2]) / 2
    }
}

extension Duration {
    var seconds: Double { Double(components.seconds) + Double(components.attoseconds) * 1e-18 }
    var milliseconds: Double { seconds * 1000 }
}

/// Carries the benchmark's result out of its task.
private final class ResultBox: @unchecked Sendable {
    private let lock = NSLock()
    private var value: Result<RoundTripBenchmark.Report, Error>?
    func set(_ result: Result<RoundTripBenchmark.Report, Error>) { lock.lock(); value = result; lock.unlock() }
    func get() throws -> RoundTripBenchmark.Report { lock.lock(); defer { lock.unlock() }; return try value!.get() }
}
