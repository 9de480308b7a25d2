import Audio
import Foundation
import Grammar
import Intents
import Listening
import Speech
import SynthesisTestSupport
import XCTest

/// Speech to action with real parts only: 60 commands sampled from the template expander over the
/// example home, spoken by espeak-ng in three voices and speeds, joined with silence over a noise
/// floor, captured through the real ALSA API (`ALSACapture` on the `file` plugin), endpointed,
/// recognised over the home's JSGF grammar, and parsed by the real model with the intent adapter.
/// Each command must yield exactly the canonical action its expansion stands for.
final class SpeechActionTests: XCTestCase {
    /// The share of commands that must come out as exactly the expected action.
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

        var total = 0, correct = 0
        var failures: [Failure: Int] = [:]
        var report: [String] = []
        var asrSeconds = 0.0, audioSeconds = 0.0
        for voice in Voice.testVoices {
            let stream = try SpokenStream(sentences: commands.map(\.text), voice: voice)
            let raw = directory.appendingPathComponent("\(voice.name)-\(voice.speed).raw")
            try Synthesizer.rawBytes(stream.samples).write(to: raw)
            let alsa = try TestALSADevice.write(to: directory.appendingPathComponent("asound-\(voice.speed).conf").path, infile: raw.path)
            var capture = ALSACaptureConfiguration(device: "hark_test", configurationFile: alsa)
            // The file plugin reads as fast as it can; a buffer the length of the stream keeps every
            // sample for the consumer (pacing and drops are the end-to-end and stall tests' part).
            capture.bufferDuration = .seconds(stream.samples.count / 16_000 + 5)
            let source = try ALSACapture(configuration: capture)
            try source.start()
            defer { source.stop() }

            var heard: [Int: [HeardCommand]] = [:]
            var consumed = 0
            var events: [ListeningPipeline.Event] = []
            // The plugin never signals the end of the file: stop after the stream's samples.
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
            for case let .command(command) in events {
                let span = command.utterance.speechStart..<command.utterance.speechEnd
                guard let index = stream.sentence(overlapping: span) else {
                    report.append("  [\(voice)] utterance at \(AudioFrame.seconds(span.lowerBound)) s overlaps no command: '\(command.transcript.text)'")
                    continue
                }
                heard[index, default: []].append(command)
                asrSeconds += command.transcript.decodeSeconds
                audioSeconds += command.transcript.audioSeconds
            }

            var voiceCorrect = 0
            for (index, command) in commands.enumerated() {
                total += 1
                let expected = home.catalog.canonicalize(command.expansion.action)
                guard let utterances = heard[index], utterances.count == 1, let utterance = utterances.first else {
                    failures[.segmentation, default: 0] += 1
                    report.append("  [\(voice)] '\(command.text)': \(heard[index]?.count ?? 0) utterances (\(heard[index]?.map(\.transcript.text) ?? []))")
                    continue
                }
                let result = try parser.parse(utterance.transcript.text, site: command.expansion.site ?? home.registry.site)
                let got = result.resolved?.canonical ?? CanonicalAction(intent: Catalog.noneIntent)
                let exactTranscript = utterance.transcript.text == command.text
                if got == expected {
                    voiceCorrect += 1
                    if !exactTranscript { report.append("  [\(voice)] ok despite ASR: '\(command.text)' → '\(utterance.transcript.text)'") }
                } else {
                    failures[exactTranscript ? .parsing : .parsingAfterMisrecognition, default: 0] += 1
                    report.append("  [\(voice)] '\(command.text)' → '\(utterance.transcript.text)' → \(got), expected \(expected)")
                }
            }
            correct += voiceCorrect
            print(String(format: "speech→action [%@]: %.1f %% (%d/%d) exact actions", voice.description,
                         100 * Double(voiceCorrect) / Double(commands.count), voiceCorrect, commands.count))
        }
        let rate = Double(correct) / Double(total)
        print(String(format: "speech→action all: %.1f %% (%d/%d) exact actions; recogniser RTF %.3f", 100 * rate, correct, total,
                     asrSeconds / max(audioSeconds, 1e-9)))
        print("failure classes: " + Failure.allCases.map { "\($0.rawValue) \(failures[$0] ?? 0)" }.joined(separator: ", "))
        print("details:\n" + report.joined(separator: "\n"))
        XCTAssertGreaterThanOrEqual(rate, Self.required, "exact actions from speech")
    }
}
