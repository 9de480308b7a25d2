import Audio
import Foundation
import Intents
import Listening
import Speech
import SynthesisTestSupport
import XCTest

/// The speech path survives a consumer that stalls: the capture keeps the newest audio and counts
/// what it drops, the endpointer discards the utterance the gap cut through (never a half command
/// to the recogniser), and the next command is recognised exactly.
final class StalledConsumerTests: XCTestCase {
    func testAStallDropsAudioCountedAndTheNextCommandIsStillHeard() throws {
        let home = exampleHome
        var configuration = ListeningPipeline.Configuration()
        configuration.wake = nil
        let pipeline = try ListeningPipeline(model: speechModel, dictionary: cmuDictionary, catalog: home.catalog, registry: home.registry,
                                             configuration: configuration)
        let voice = Voice.testVoices[0]
        let sentences = ["turn on the ceiling light", "set the bedside lamp to thirty percent", "turn off the coffee machine"]
        let stream = SpokenStream(speech: try sentences.map { try Synthesizer.samples($0, voice: voice) }, gap: 1.5)
        let directory = try makeTemporaryDirectory(self)
        let fifo = try PacedFIFO(path: directory.appendingPathComponent("mic.fifo").path, speed: 2)
        defer { fifo.stop() }
        fifo.say(stream.samples)
        let alsa = try TestALSADevice.write(to: directory.appendingPathComponent("asound.conf").path, infile: fifo.path)
        var capture = ALSACaptureConfiguration(device: "hark_test", configurationFile: alsa)
        capture.bufferDuration = .seconds(1)
        let source = try ALSACapture(configuration: capture)
        try source.start()
        defer { source.stop() }

        var heard: [String] = []
        var discarded = 0
        var stalled = false
        var position: Int64 = 0
        // Through the end of the stream (the pipe carries noise afterwards).
        while position < Int64(stream.samples.count) {
            guard let frame = source.read(maxSamples: 1_600, timeout: .seconds(10)) else { return XCTFail("capture ended") }
            position = frame.endIndex
            // Stall for 2 s of wall time (4 s of audio at twice real time) inside the second command.
            if !stalled, frame.startIndex >= stream.spans[1].lowerBound + 8_000 {
                stalled = true
                Thread.sleep(forTimeInterval: 2)
            }
            for event in try pipeline.process(frame) {
                switch event {
                case let .command(c): heard.append(c.transcript.text)
                case .ignored: discarded += 1
                case .wake, .provisional: break
                }
            }
        }
        let stats = source.statistics
        print("heard \(heard), dropped \(stats.droppedSamples) samples")
        XCTAssertGreaterThan(stats.droppedSamples, 16_000, "the stall dropped audio, counted")
        XCTAssertEqual(heard.first, sentences[0])
        XCTAssertEqual(heard.last, sentences[2], "the command after the stall is heard exactly")
        XCTAssertFalse(heard.contains(sentences[1]), "the command the stall cut through is not acted on")
        XCTAssertLessThanOrEqual(heard.count, 3)
    }
}
