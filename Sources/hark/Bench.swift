import ArgumentParser
import Foundation
import Inference

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

    /// A fixed English prompt; its first `promptTokens` tokens are the benchmark prompt.
    static let promptText = """
        The smart home hub sits on a shelf in the hallway. Every morning it turns on the kitchen \
        lights at half brightness, opens the living room blinds, and sets the thermostat to twenty \
        one degrees. In the evening it dims the bedroom lamp, locks the front door, and plays quiet \
        music in the study until everyone has gone to sleep. Nothing it hears ever leaves the house.
        """

    func run() throws {
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

    private func median(_ values: [Double]) -> Double {
        let sorted = values.sorted()
        return sorted.count % 2 == 1 ? sorted[sorted.count / 2] : (sorted[sorted.count / 2 - 1] + sorted[sorted.count / 2]) / 2
    }
}

extension Duration {
    var seconds: Double { Double(components.seconds) + Double(components.attoseconds) * 1e-18 }
    var milliseconds: Double { seconds * 1000 }
}
