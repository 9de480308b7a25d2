import Audio
import Foundation
import Grammar
import Intents
import Listening
import Speech
import SynthesisTestSupport
import XCTest

/// Speech to action with real parts only: 60 commands sampled from the template expander over the
/// example home, spoken by espeak-ng in three voices and speeds (in turn), joined with silence over
/// a noise floor, captured through the real ALSA API (`ALSACapture` on the `file` plugin reading a
/// pipe written at 8 times real time), endpointed,
/// recognised over the home's JSGF grammar, and parsed by the real model with the intent adapter.
/// Each command must yield exactly the canonical action its expansion stands for.
final class SpeechActionTests: XCTestCase {
    /// The share of commands that must come out as exactly the expected action: issue 6's 0.90.
    /// Measured: 0.883 (53/60) over the JSGF search with PocketSphinx's default `-topn 4`; 0.917
    /// (55/60) with `-topn 12`, and 0.917 (55/60) over the word graph with wider beams
    /// (`SphinxDecoder.gaussiansPerCodebook`, `SpeechRecognizer.defaultArguments`, chosen on another
    /// sample of commands). Of the 5 left, 3 are misrecognised numbers and directions ("ninety" →
    /// "twenty", "down"/"lower" → "up"/"open"), one "everything in the hall up" heard as a question, and "the living room speakers" becomes
    /// the room's one speaker rather than its media domain.
    static let required = 0.90

    /// Why a command failed, for the report.
    enum Failure: String, CaseIterable {
        case segmentation = "not one utterance"
        case recognition = "misrecognised"
        case parsing = "recognised exactly, parsed wrong"
        case parsingAfterMisrecognition = "misrecognised and parsed wrong"
    }

    func testSpokenCommandsThroughALSABecomeTheExpectedActions() throws {
        let home = exampleHome
        let commands = SpokenCommands.sample(catalog: home.catalog, registry: home.registry, dictionary: cmuDictionary, count: 60)
        XCTAssertEqual(commands.count, 60)
        XCTAssertGreaterThanOrEqual(Set(commands.map(\.expansion.intent)).count, 15, "the sample covers most intents")
        let parser = try makeExampleParser()
        var configuration = ListeningPipeline.Configuration()
        configuration.wake = nil  // every utterance is a command; the wake phrase is tested end to end
        let pipeline = try ListeningPipeline(model: speechModel, dictionary: cmuDictionary, catalog: home.catalog, registry: home.registry,
                                             configuration: configuration)
        let directory = try makeTemporaryDirectory(self)

        // One stream, the voices taking turns, written into a pipe that the `file` plugin reads
        // (from a plain file it reads as fast as it can and then endless zeros, which would push
        // the speech out of the capture buffer before the recogniser gets to it).
        let voices = Voice.testVoices
        var sentences: [[Int16]] = []
        for (i, command) in commands.enumerated() { sentences.append(try Synthesizer.samples(command.text, voice: voices[i % voices.count])) }
        let stream = SpokenStream(speech: sentences)
        let fifo = try PacedFIFO(path: directory.appendingPathComponent("mic.fifo").path, speed: 8)
        defer { fifo.stop() }
        fifo.say(stream.samples)
        let alsa = try TestALSADevice.write(to: directory.appendingPathComponent("asound.conf").path, infile: fifo.path)
        var capture = ALSACaptureConfiguration(device: "hark_test", configurationFile: alsa)
        capture.bufferDuration = .seconds(stream.samples.count / 16_000 + 5)  // the recogniser may fall behind 8x real time
        let source = try ALSACapture(configuration: capture)
        try source.start()
        defer { source.stop() }

        var events: [ListeningPipeline.Event] = []
        var consumed = 0
        // The plugin never signals the end of the stream: stop after the stream's samples.
        while consumed < stream.samples.count {
            guard var frame = source.read(maxSamples: min(1_600, stream.samples.count - consumed), timeout: .seconds(10)) else {
                XCTFail("the capture stopped after \(consumed) of \(stream.samples.count) samples")
                break
            }
            if frame.samples.count > stream.samples.count - consumed { frame.samples.removeLast(frame.samples.count - (stream.samples.count - consumed)) }
            consumed += frame.samples.count
            events += try pipeline.process(frame)
        }
        events += try pipeline.finish()
        XCTAssertEqual(source.statistics.droppedSamples, 0, "no samples dropped")
        XCTAssertEqual(source.statistics.overruns, 0, "no overruns")

        var heard: [Int: [HeardCommand]] = [:]
        var report: [String] = []
        var asrSeconds = 0.0, audioSeconds = 0.0
        for case let .command(command) in events {
            let span = command.utterance.speechStart..<command.utterance.speechEnd
            guard let index = stream.sentence(overlapping: span) else {
                report.append("  utterance at \(AudioFrame.seconds(span.lowerBound)) s overlaps no command: '\(command.transcript.text)'")
                continue
            }
            heard[index, default: []].append(command)
            asrSeconds += command.transcript.decodeSeconds
            audioSeconds += command.transcript.audioSeconds
        }
        var correct: [Voice: Int] = [:]
        var failures: [Failure: Int] = [:]
        for (index, command) in commands.enumerated() {
            let voice = voices[index % voices.count]
            let expected = parser.resolver.canonicalForm(command.expansion.action, site: command.expansion.site ?? home.registry.site)
            guard let utterances = heard[index], utterances.count == 1, let utterance = utterances.first else {
                failures[.segmentation, default: 0] += 1
                report.append("  [\(voice)] '\(command.text)': \(heard[index]?.count ?? 0) utterances (\(heard[index]?.map(\.transcript.text) ?? []))")
                continue
            }
            let result = try parser.parse(utterance.transcript.text, site: command.expansion.site ?? home.registry.site)
            let got = result.resolved?.canonical ?? CanonicalAction(intent: Catalog.noneIntent)
            let exactTranscript = utterance.transcript.text == command.text
            if got == expected {
                correct[voice, default: 0] += 1
                if !exactTranscript { report.append("  [\(voice)] ok despite ASR: '\(command.text)' → '\(utterance.transcript.text)'") }
            } else {
                failures[exactTranscript ? .parsing : .parsingAfterMisrecognition, default: 0] += 1
                report.append("  [\(voice)] '\(command.text)' → '\(utterance.transcript.text)' → \(got), expected \(expected)")
            }
        }
        let perVoice = commands.count / voices.count
        for voice in voices {
            print(String(format: "speech→action [%@]: %.1f %% (%d/%d) exact actions", voice.description,
                         100 * Double(correct[voice] ?? 0) / Double(perVoice), correct[voice] ?? 0, perVoice))
        }
        let total = commands.count
        let correctTotal = correct.values.reduce(0, +)
        let rate = Double(correctTotal) / Double(total)
        print(String(format: "speech→action all: %.1f %% (%d/%d) exact actions; recogniser RTF %.3f", 100 * rate, correctTotal, total,
                     asrSeconds / max(audioSeconds, 1e-9)))
        print("failure classes: " + Failure.allCases.map { "\($0.rawValue) \(failures[$0] ?? 0)" }.joined(separator: ", "))
        print("details:\n" + report.joined(separator: "\n"))
        XCTAssertGreaterThanOrEqual(rate, Self.required, "exact actions from speech")
    }
}
