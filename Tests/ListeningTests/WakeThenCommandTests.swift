import Audio
import Foundation
import Intents
import Listening
import Speech
import SynthesisTestSupport
import XCTest

/// The wake phrase and the command in one utterance ("hey hark house", a pause shorter than the
/// endpointer's trailing silence, "turn off the coffee machine"): the command is recognised from
/// the pause after the phrase, as if said alone. Before, the whole utterance went through the
/// grammar's optional wake prefix and mostly came out wrong or as nothing (the 30-minute soak
/// lost 46 of 337 spoken commands this way).
final class WakeThenCommandTests: XCTestCase {
    private func heard(_ samples: [Int16]) throws -> (commands: [String], wakes: Int) {
        var configuration = ListeningPipeline.Configuration(completeSilence: .milliseconds(200))
        configuration.endpointer.trailingSilence = .milliseconds(700)
        let pipeline = try ListeningPipeline(model: speechModel, dictionary: cmuDictionary, catalog: exampleHome.catalog,
                                             registry: exampleHome.registry, configuration: configuration)
        var commands: [String] = [], wakes = 0
        for start in stride(from: 0, to: samples.count, by: 320) {
            let frame = AudioFrame(startIndex: Int64(start), samples: Array(samples[start..<min(samples.count, start + 320)]))
            for event in try pipeline.process(frame) {
                switch event {
                case let .command(c): commands.append(c.transcript.text)
                case .wake: wakes += 1
                case .ignored, .provisional: break
                }
            }
        }
        for event in try pipeline.finish() { if case let .command(c) = event { commands.append(c.transcript.text) } }
        return (commands, wakes)
    }

    /// Speech without espeak-ng's own leading and trailing silence.
    private func trimmed(_ samples: [Int16]) -> [Int16] {
        let first = samples.firstIndex { abs(Int($0)) > 16 } ?? 0
        let last = (samples.lastIndex { abs(Int($0)) > 16 } ?? samples.count - 1) + 1
        return Array(samples[first..<last])
    }

    func testACommandAfterAShortPauseInTheSameUtteranceIsHeard() throws {
        let commands = ["turn off the coffee machine", "turn on the bedside lamp"]
        var right = 0, total = 0
        for voice in Voice.testVoices {
            // The first utterance of a stream warms up the recogniser's running cepstral mean; it is
            // a wake phrase said alone, so listening is open for the first command too.
            var speech: [[Int16]] = [try Synthesizer.samples("hey hark house", voice: voice)]
            for command in commands {
                let wake = trimmed(try Synthesizer.samples("hey hark house", voice: voice))
                let words = trimmed(try Synthesizer.samples(command, voice: voice))
                speech.append(wake + Synthesizer.silence(seconds: 0.35) + words)
            }
            let result = try heard(SpokenStream(speech: speech, gap: 1.5).samples)
            print("\(voice.name): wakes \(result.wakes), heard \(result.commands)")
            XCTAssertGreaterThanOrEqual(result.wakes, commands.count, voice.name)
            total += commands.count
            // Right: the same device and the same on/off word ("put on the bedside lamp" is the
            // same command as "turn on the bedside lamp").
            right += zip(result.commands.suffix(commands.count), commands).filter { heard, said in
                let words = said.split(separator: " "), device = words.suffix(2).joined(separator: " ")
                return heard.hasSuffix(device) && heard.split(separator: " ").contains(words[1])
            }.count
            XCTAssertLessThanOrEqual(result.commands.count, commands.count, "one command per utterance: \(result.commands)")
        }
        print("wake + command in one utterance: \(right) of \(total) heard as the same command")
        // Measured: 4 of 6 (en-us and en-gb right; en-us+f3 misheard at every pause from 0.2 to
        // 0.6 s); the whole-utterance decoding before this change heard 2 of 6 exactly.
        XCTAssertGreaterThanOrEqual(right, 4)
    }
}
