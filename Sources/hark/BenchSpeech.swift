import ArgumentParser
import Audio
import Foundation
import Grammar
import Hub
import Intents
import Listening
import Speech

/// `hark bench --speech`: commands sampled from the home's templates, spoken by espeak-ng in three
/// voices, each run through the daemon's speech path (endpointer → recogniser) and the parser.
/// Reports the recogniser's real-time factor and the latency from the end of speech (the
/// endpointer's speech end sample) to the parser's result: the silence the endpointer waits for
/// (audio time, as it passes in real time: `complete_silence_ms` after a complete command, else
/// `trailing_silence_ms`) plus recognition and parsing after its decision (wall time). The
/// recogniser is streamed while the speech is fed, as in the daemon (`--speech-whole-utterance`:
/// decoded whole after the endpoint, for comparison).
struct SpeechBenchmark {
    var options: ModelOptions
    var config: String
    var count: Int
    /// Samples the commands (`SpokenCommands.sample`).
    var seed: UInt64
    var json: Bool
    /// Feed the recogniser during speech (the daemon's way) rather than decode each utterance whole.
    var streaming = true
    /// Overrides `audio.endpointing.complete_silence_ms` (0: off).
    var completeSilenceMs: Int?
    /// Parse the `.provisional` words at the pause, as the daemon does, and report the latency with
    /// them (nil: as `speech.speculative_parse` says).
    var speculate: Bool?

    static let voices: [(name: String, speed: Int)] = [("en-us", 150), ("en-us+f3", 170), ("en-gb", 130)]

    func run() throws {
        let loaded: HarkConfiguration
        do { loaded = try HarkConfiguration.load(configFile: URL(fileURLWithPath: config)) } catch {
            for problem in error.items { FileHandle.standardError.write(Data("\(problem)\n".utf8)) }
            throw ExitCode(1)
        }
        let (home, daemon) = (loaded.home, loaded.daemon)
        var parserOptions = IntentParser.Options()
        parserOptions.threads = options.threads
        daemon.parser.apply(to: &parserOptions)
        let language = try options.load()
        if language.adapter == nil { parserOptions.examples = 8 }
        let parser = try IntentParser(language: language, catalog: home.catalog, registry: home.registry, options: parserOptions)
        try parser.prepare()
        let model = try SpeechModel(directory: URL(fileURLWithPath: daemon.speech.model))
        let dictionary = try PronunciationDictionary.load(model: model, added: daemon.speech.pronunciations)
        var audio = daemon.audio
        if let completeSilenceMs { audio.completeSilenceMs = completeSilenceMs }
        var configuration = SpeechService.pipelineConfiguration(audio: audio, speech: daemon.speech, wake: false)
        configuration.streaming = streaming
        let pipeline = try ListeningPipeline(model: model, dictionary: dictionary, catalog: home.catalog, registry: home.registry,
                                             configuration: configuration)
        let commands = SpokenCommands.sample(catalog: home.catalog, registry: home.registry, dictionary: dictionary, count: count, seed: seed)
        let cache = FileManager.default.temporaryDirectory.appendingPathComponent("hark-bench-speech")
        try FileManager.default.createDirectory(at: cache, withIntermediateDirectories: true)

        var asr: [Double] = [], parse: [Double] = [], endpoint: [Double] = [], afterDecision: [Double] = [], total: [Double] = []
        var decide: [Double] = [], finish: [Double] = [], earlyEnds = 0, withSpeculation: [Double] = [], speculationHits = 0
        var audioSeconds = 0.0, decodeSeconds = 0.0
        var exactTranscripts = 0, exactActions = 0, utterances = 0
        var noise = SeededGenerator(seed: 1)
        let clock = ContinuousClock()
        let speculate = self.speculate ?? daemon.speech.speculativeParse
        for command in commands {
            for voice in Self.voices {
                let speech = try Self.synthesize(command.text, voice: voice, cache: cache)
                var samples = [Int16](repeating: 0, count: 8_000) + speech + [Int16](repeating: 0, count: 24_000)
                for i in samples.indices { samples[i] = Int16(clamping: Int(samples[i]) + Int.random(in: -40...40, using: &noise)) }
                var heard: HeardCommand?
                var decided = clock.now
                var recognised = clock.now
                // Speculative parses of `.provisional` words: each starts when its words were
                // heard (stream index) or when the previous one ends (the parser is serial), and
                // takes its wall time; their end is in stream samples.
                var speculated: (text: String, end: Double)?
                let site = command.expansion.site ?? home.registry.site
                for start in stride(from: 0, to: samples.count, by: 320) where heard == nil {
                    let frame = AudioFrame(startIndex: Int64(start), samples: Array(samples[start..<min(start + 320, samples.count)]))
                    let before = clock.now
                    var provisional: [(String, Int64)] = []
                    for event in try pipeline.process(frame) {
                        switch event {
                        case let .command(c):
                            heard = c
                            decided = before
                            recognised = clock.now
                        case let .provisional(text, index): provisional.append((text, index))
                        default: break
                        }
                    }
                    for (text, index) in provisional where speculate && heard == nil {
                        let t0 = clock.now
                        _ = try parser.parse(text, site: site)
                        let wall = (clock.now - t0).milliseconds * 16
                        speculated = (text, max(Double(index), speculated?.end ?? 0) + wall)
                    }
                }
                if heard == nil {
                    decided = clock.now
                    for case let .command(c) in try pipeline.finish() { heard = c }
                    recognised = clock.now
                }
                _ = try pipeline.finish()  // a fresh endpointer state for the next utterance
                utterances += 1
                guard let heard else { continue }
                let result = try parser.parse(heard.transcript.text, site: site)
                let after = (clock.now - decided).milliseconds
                let recognition = (recognised - decided).milliseconds
                asr.append(heard.asrMilliseconds)
                parse.append(result.timings.totalMs)
                endpoint.append(heard.endpointMilliseconds)
                decide.append(recognition)
                if let speculated, speculated.text == heard.transcript.text {
                    // The action was ready when the speculative parse ended or the recogniser finished, whichever is later.
                    speculationHits += 1
                    let ready = (speculated.end - Double(heard.utterance.speechEnd)) / 16
                    withSpeculation.append(max(heard.endpointMilliseconds + recognition, ready))
                } else {
                    withSpeculation.append(heard.endpointMilliseconds + after)
                }
                finish.append(heard.transcript.finishSeconds * 1000)
                if heard.endedOnCompleteSentence { earlyEnds += 1 }
                afterDecision.append(after)
                total.append(heard.endpointMilliseconds + after)
                audioSeconds += heard.transcript.audioSeconds
                decodeSeconds += heard.transcript.decodeSeconds
                if heard.transcript.text == command.text { exactTranscripts += 1 }
                if result.resolved?.canonical == parser.resolver.canonicalForm(command.expansion.action, site: command.expansion.site) { exactActions += 1 }
            }
        }
        func median(_ v: [Double]) -> Double { Self.percentile(v, 0.5) }
        func p95(_ v: [Double]) -> Double { Self.percentile(v, 0.95) }
        let result: [String: Any] = [
            "utterances": utterances, "commands": commands.count, "voices": Self.voices.map { "\($0.name) s\($0.speed)" },
            "recognised": asr.count, "exact_transcripts": exactTranscripts, "exact_actions": exactActions,
            "rtf": audioSeconds > 0 ? decodeSeconds / audioSeconds : 0,
            "asr_ms_median": median(asr), "asr_ms_p95": p95(asr),
            "parse_ms_median": median(parse), "parse_ms_p95": p95(parse),
            "endpoint_delay_ms_median": median(endpoint), "endpoint_delay_ms_p95": p95(endpoint),
            "trailing_silence_ms": audio.trailingSilenceMs, "complete_silence_ms": audio.completeSilenceMs,
            "streaming": streaming, "ended_on_complete_sentence": earlyEnds,
            "recognition_after_decision_ms_median": median(decide), "recognition_after_decision_ms_p95": p95(decide),
            "finish_ms_median": median(finish), "finish_ms_p95": p95(finish),
            "speculative_parse": speculate, "speculation_hits": speculationHits,
            "speech_end_to_action_speculative_ms_median": median(withSpeculation), "speech_end_to_action_speculative_ms_p95": p95(withSpeculation),
            "decision_to_action_ms_median": median(afterDecision), "decision_to_action_ms_p95": p95(afterDecision),
            "speech_end_to_action_ms_median": median(total), "speech_end_to_action_ms_p95": p95(total),
            "goal_ms": 150, "threads": options.threads, "adapter": language.adapter?.file.path ?? "none",
        ]
        if json {
            let data = try JSONSerialization.data(withJSONObject: result, options: [.sortedKeys])
            print(String(decoding: data, as: UTF8.self))
            return
        }
        print(String(format: "speech       %d utterances (%d commands x %d voices): %d exact transcripts, %d exact actions",
                     utterances, commands.count, Self.voices.count, exactTranscripts, exactActions))
        print(String(format: "recogniser   RTF %.3f; %.0f ms median, %.0f ms p95 per utterance", result["rtf"] as! Double, median(asr), p95(asr)))
        print(String(format: "parser       %.1f ms median, %.1f ms p95", median(parse), p95(parse)))
        print(String(format: "end of speech → action   %.0f ms median, %.0f ms p95 (goal 150 ms) = endpointer %.0f ms (trailing_silence_ms %d, complete_silence_ms %d; %d of %d ended on a complete sentence) + recognition and parse after its decision %.0f ms median, %.0f ms p95",
                     median(total), p95(total), median(endpoint), audio.trailingSilenceMs, audio.completeSilenceMs, earlyEnds, asr.count,
                     median(afterDecision), p95(afterDecision)))
        if speculate {
            print(String(format: "speculative parse        %.0f ms median, %.0f ms p95 end of speech → action; %d of %d final transcripts were the words parsed at the pause",
                         median(withSpeculation), p95(withSpeculation), speculationHits, asr.count))
        }
        print(String(format: "after the decision       recognition %.1f ms median, %.1f ms p95 (%@; finish %.1f ms median); parse as above",
                     median(decide), p95(decide), streaming ? "streamed" : "whole utterance", median(finish)))
    }

    static func percentile(_ values: [Double], _ p: Double) -> Double {
        guard !values.isEmpty else { return 0 }
        let sorted = values.sorted()
        return sorted[min(sorted.count - 1, Int((Double(sorted.count - 1) * p).rounded()))]
    }

    /// espeak-ng, then sox to 16 kHz mono 16-bit raw; cached by voice and text.
    static func synthesize(_ text: String, voice: (name: String, speed: Int), cache: URL) throws -> [Int16] {
        let name = "\(voice.name)-\(voice.speed)-" + text.replacingOccurrences(of: " ", with: "_").prefix(120) + ".raw"
        let raw = cache.appendingPathComponent(String(name))
        if !FileManager.default.fileExists(atPath: raw.path) {
            let wav = cache.appendingPathComponent(UUID().uuidString + ".wav")
            let tmp = cache.appendingPathComponent(UUID().uuidString + ".raw")
            defer { try? FileManager.default.removeItem(at: wav) }
            try tool("espeak-ng", ["-v", voice.name, "-s", String(voice.speed), "-w", wav.path, text])
            try tool("sox", [wav.path, "-r", "16000", "-c", "1", "-b", "16", "-e", "signed-integer", tmp.path])
            try FileManager.default.moveItem(at: tmp, to: raw)
        }
        let data = try Data(contentsOf: raw)
        return data.withUnsafeBytes { b in (0..<b.count / 2).map { Int16(littleEndian: b.loadUnaligned(fromByteOffset: $0 * 2, as: Int16.self)) } }
    }

    private static func tool(_ name: String, _ arguments: [String]) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = [name] + arguments
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        do { try process.run() } catch { throw ValidationError("cannot run \(name) (hark bench --speech needs espeak-ng and sox): \(error)") }
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { throw ValidationError("\(name) \(arguments.joined(separator: " ")) failed") }
    }
}
