import Foundation
import Intents
import Speech
import SynthesisTestSupport
import XCTest

final class WakePhraseTests: XCTestCase {
    /// A 60-second stream: sampled commands in three voices with gaps of 0.5–1.5 s, and five wake
    /// phrases among them, each followed by a command as a user would say it. Returns the samples and
    /// the sample ranges of the wake phrases.
    static func stream() throws -> (samples: [Int16], wakes: [Range<Int>]) {
        let voices = RecognitionTests.voices
        let commands = RecognitionTests.commands(count: 60).map(\.text)
        var samples = Synthesizer.silence(seconds: 1)
        var wakes: [Range<Int>] = []
        var rng = SeededGenerator(seed: 60)
        var i = 0
                while samples.count < 60 * 16_000 {
            let voice = voices[i % voices.count]
            if i % 3 == 1, wakes.count < 5 {
                let wake = try Synthesizer.samples(WakePhraseSpotter.defaultPhrase, voice: voice)
                wakes.append(samples.count..<samples.count + wake.count)
                samples += wake + Synthesizer.silence(seconds: 0.4)
            }
            samples += try Synthesizer.samples(commands[i % commands.count], voice: voice)
            samples += Synthesizer.silence(seconds: Double.random(in: 0.5...1.5, using: &rng))
            i += 1
        }
        return (Synthesizer.withNoiseFloor(Array(samples.prefix(60 * 16_000))), wakes)
    }

    /// Detections matched to wake phrases (a detection made inside a phrase or up to the spotter's
    /// latency after its end).
    static func score(_ detections: [WakeDetection], wakes: [Range<Int>]) -> (hits: Int, falseAlarms: Int) {
        var found = Set<Int>()
        var falseAlarms = 0
        for d in detections {
            if let w = wakes.firstIndex(where: { d.endSample >= $0.lowerBound && d.endSample <= $0.upperBound + WakePhraseSpotter.latencySamples }), !found.contains(w) {
                found.insert(w)
            } else {
                falseAlarms += 1
            }
        }
        return (found.count, falseAlarms)
    }

    func testWakePhraseInSixtySecondStream() throws {
        let (samples, wakes) = try Self.stream()
        XCTAssertEqual(wakes.count, 5)
        XCTAssertEqual(samples.count, 60 * 16_000)

        // The sweep behind the defaults, printed so a change of model, phrase or voices can be re-measured.
        var atDefault: (hits: Int, falseAlarms: Int)?
        for plp in [1e-5, 1e-10, 1e-20] {
            for threshold in [1e-10, 1e-20, 1e-30, 1e-40] {
                let spotter = try WakePhraseSpotter(model: speechModel, dictionary: cmuDictionary, threshold: threshold, phoneLoopProbability: plp)
                var detections: [WakeDetection] = []
                let t0 = Date()
                for start in stride(from: 0, to: samples.count, by: 4_000) {  // 250 ms blocks, as a capture loop delivers them
                    detections += try spotter.process(Array(samples[start..<min(start + 4_000, samples.count)]))
                }
                let seconds = Date().timeIntervalSince(t0)
                let s = Self.score(detections, wakes: wakes)
                print(String(format: "kws_plp %g, threshold %g: %d/5 wake phrases found, %d false alarms, RTF %.3f", plp, threshold, s.hits, s.falseAlarms, seconds / 60))
                if threshold == WakePhraseSpotter.defaultThreshold, plp == WakePhraseSpotter.defaultPhoneLoopProbability {
                    atDefault = s
                    for d in detections { XCTAssertEqual(d.phrase, WakePhraseSpotter.defaultPhrase) }
                }
            }
        }
        let s = try XCTUnwrap(atDefault, "the default threshold is among those measured")
        XCTAssertGreaterThanOrEqual(s.hits, 4, "wake phrases found at the default threshold")
        XCTAssertLessThanOrEqual(s.falseAlarms, 1, "false alarms at the default threshold")
    }

    /// Commands alone (no wake phrase) never wake the spotter at the default threshold.
    func testNoDetectionWithoutWakePhrase() throws {
        let spotter = try WakePhraseSpotter(model: speechModel, dictionary: cmuDictionary)
        var detections: [WakeDetection] = []
        for text in RecognitionTests.commands(count: 20).map(\.text) {
            detections += try spotter.process(Synthesizer.withNoiseFloor(try Synthesizer.samples(text, voice: RecognitionTests.voices[1]) + Synthesizer.silence(seconds: 0.5)))
        }
        XCTAssertEqual(detections, [])
        detections = try spotter.process(Synthesizer.withNoiseFloor(try Synthesizer.samples(WakePhraseSpotter.defaultPhrase, voice: RecognitionTests.voices[0]) + Synthesizer.silence(seconds: 0.5)))
        XCTAssertEqual(detections.count, 1, "and it still wakes for the phrase")
    }
}
