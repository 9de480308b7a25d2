import Foundation
import XCTest

@testable import Audio

/// Segmentation of real synthesized speech (espeak-ng, converted by sox as DESIGN.md section 6
/// says) padded with silence or noise, against where the speech really is.
final class EndpointerTests: XCTestCase {
    private let rate = 16000
    private let toleranceSamples = 16000 * 150 / 1000  // ±150 ms

    /// Runs `samples` through an endpointer in 20 ms frames, as the capture delivers them.
    private func segment(_ samples: [Int16], configuration: Endpointer.Configuration = Endpointer.Configuration(), frame: Int = 320) -> [EndpointerEvent] {
        var endpointer = Endpointer(configuration: configuration)
        var events: [EndpointerEvent] = []
        for start in stride(from: 0, to: samples.count, by: frame) {
            events += endpointer.process(AudioFrame(startIndex: Int64(start), samples: Array(samples[start..<min(samples.count, start + frame)])))
        }
        return events + endpointer.finish()
    }

    private func utterances(_ events: [EndpointerEvent]) -> [Utterance] {
        events.compactMap { if case let .utterance(u) = $0 { return u } else { return nil } }
    }

    private func silence(_ seconds: Double) -> [Int16] { [Int16](repeating: 0, count: Int(seconds * Double(rate))) }

    /// One command in silence and in two levels of noise, three voices: one utterance whose speech
    /// boundaries are within ±150 ms of the truth, with the pre-roll in its samples.
    func testOneCommandIsOneUtteranceWithAccurateBoundaries() throws {
        let directory = try makeTemporaryDirectory(self)
        var report: [String] = []
        for (voice, speed) in [("en-us", 150), ("en-gb", 170), ("en-us+f3", 130)] {
            let speech = try synthesize("turn on the kitchen light", voice: voice, speed: speed, in: directory).samples
            let extent = speechExtent(speech)
            let lead = silence(1.0), tail = silence(1.5)
            let clean = lead + speech + tail
            for noise in [nil, -55.0, -45.0, -40.0] {
                let input = noise.map { mix(clean, whiteNoise(count: clean.count, rmsDBFS: $0)) } ?? clean
                let events = segment(input)
                let found = utterances(events)
                let label = "\(voice) \(speed) wpm, noise \(noise.map { "\($0) dBFS" } ?? "none")"
                guard found.count == 1, let u = found.first else {
                    XCTFail("\(label): \(found.count) utterances, events \(events.map(describe))")
                    continue
                }
                let trueStart = lead.count + extent.lowerBound, trueEnd = lead.count + extent.upperBound
                let startError = Int(u.speechStart) - trueStart, endError = Int(u.speechEnd) - trueEnd
                report.append("\(label): start \(startError * 1000 / rate) ms, end \(endError * 1000 / rate) ms")
                XCTAssertLessThanOrEqual(abs(startError), toleranceSamples, "\(label): start off by \(startError) samples")
                XCTAssertLessThanOrEqual(abs(endError), toleranceSamples, "\(label): end off by \(endError) samples")
                XCTAssertEqual(u.endReason, .silence, label)
                XCTAssertEqual(u.startIndex, u.speechStart - 4800, "\(label): 300 ms of pre-roll")
                XCTAssertEqual(u.endIndex, u.speechEnd + 3200, "\(label): 200 ms of post-roll")
                XCTAssertEqual(u.samples, Array(input[Int(u.startIndex)..<Int(u.endIndex)]), label)
                XCTAssertEqual(events.first, .speechStarted(sampleIndex: u.speechStart), label)
            }
        }
        print("endpointer boundary errors (detected − true):\n  " + report.joined(separator: "\n  "))
    }

    /// Two commands 1.5 s apart are two utterances, each around its own command.
    func testTwoCommandsSeparatedBySilenceAreTwoUtterances() throws {
        let directory = try makeTemporaryDirectory(self)
        let first = try synthesize("turn on the kitchen light", in: directory).samples
        let second = try synthesize("set the thermostat to twenty degrees", in: directory).samples
        let e1 = speechExtent(first), e2 = speechExtent(second)
        let lead = silence(0.8)
        // 1.5 s of silence between the end of the first command's speech and the second's start.
        let gap = silence(1.5 - Double(first.count - e1.upperBound + e2.lowerBound) / Double(rate))
        let clean = lead + first + gap + second + silence(1.2)
        let input = mix(clean, whiteNoise(count: clean.count, rmsDBFS: -50))
        let found = utterances(segment(input))
        XCTAssertEqual(found.count, 2)
        guard found.count == 2 else { return }
        let secondOffset = lead.count + first.count + gap.count
        let truth = [(lead.count + e1.lowerBound, lead.count + e1.upperBound), (secondOffset + e2.lowerBound, secondOffset + e2.upperBound)]
        for (u, (start, end)) in zip(found, truth) {
            XCTAssertLessThanOrEqual(abs(Int(u.speechStart) - start), toleranceSamples, "start \(u.speechStart) vs \(start)")
            XCTAssertLessThanOrEqual(abs(Int(u.speechEnd) - end), toleranceSamples, "end \(u.speechEnd) vs \(end)")
        }
    }

    /// The same through the whole source path: a WAV file of two commands read by
    /// `WAVFileSource` in capture-sized frames.
    func testWAVFileSourceFeedsTheEndpointer() throws {
        let directory = try makeTemporaryDirectory(self)
        let command = try synthesize("lock the front door", in: directory).samples
        let path = directory.appendingPathComponent("two.wav").path
        try WAVFile(sampleRate: 16000, channels: 1, samples: silence(0.5) + command + silence(1.5) + command + silence(1)).data
            .write(to: URL(fileURLWithPath: path))
        let source = try WAVFileSource(path: path)
        var endpointer = Endpointer()
        var events: [EndpointerEvent] = []
        while let frame = source.read(maxSamples: 320) { events += endpointer.process(frame) }
        events += endpointer.finish()
        XCTAssertEqual(events.filter { if case .speechStarted = $0 { return true } else { return false } }.count, 2)
        XCTAssertEqual(utterances(events).map(\.endReason), [.silence, .silence])
    }

    func testLongSpeechIsCutAtTheMaximumLengthAndNotRestartedUntilSilence() {
        // 12 s of loud babble-like noise bursts with no pause long enough to end an utterance.
        let loud = whiteNoise(count: 12 * rate, rmsDBFS: -20)
        let input = silence(0.5) + loud + silence(1.5)
        let events = segment(input)
        let found = utterances(events)
        XCTAssertEqual(found.count, 1, "\(events.map(describe))")
        guard let u = found.first else { return }
        XCTAssertEqual(u.endReason, .maximumLength)
        XCTAssertEqual(u.speechDuration, 8.0, accuracy: 0.011)
        XCTAssertEqual(Int(u.speechStart), 8000, "speech starts where the noise does")
    }

    func testShortClickIsDiscardedAsTooShort() {
        let click = whiteNoise(count: 800, rmsDBFS: -10)  // 50 ms
        let events = segment(silence(0.5) + click + silence(1.5))
        XCTAssertEqual(events, [.speechStarted(sampleIndex: 8000), .speechDiscarded(start: 8000, end: 8800, reason: .tooShort)])
    }

    func testMissingSamplesDuringSpeechDiscardTheUtterance() throws {
        let directory = try makeTemporaryDirectory(self)
        let speech = try synthesize("open the garage door", in: directory).samples
        let input = silence(0.5) + speech + silence(1.5)
        var endpointer = Endpointer()
        var events: [EndpointerEvent] = []
        let holeAt = 8000 + speech.count / 2
        for start in stride(from: 0, to: input.count, by: 320) where !(holeAt..<holeAt + 1600).contains(start) {
            events += endpointer.process(AudioFrame(startIndex: Int64(start), samples: Array(input[start..<min(input.count, start + 320)])))
        }
        events += endpointer.finish()
        guard case .speechDiscarded(_, _, .discontinuity)? = events.first(where: { if case .speechDiscarded = $0 { return true } else { return false } }) else {
            return XCTFail("no discontinuity: \(events.map(describe))")
        }
        XCTAssertFalse(utterances(events).contains { $0.speechStart < Int64(holeAt) }, "no utterance spans the hole")
    }

    /// During speech the buffer reaches back to the pre-roll and the silence so far is counted;
    /// `endUtterance` ends the utterance at once with the same boundaries the trailing silence
    /// would have given it, and the next command starts a new one.
    func testEndUtteranceEndsAtOnceWithTheBoundariesOfTheTrailingSilence() throws {
        let directory = try makeTemporaryDirectory(self)
        let speech = try synthesize("open the garage door", in: directory).samples
        let input = mix(silence(0.8) + speech + silence(1.5) + speech + silence(1.5), whiteNoise(count: 2 * speech.count + 60_800, rmsDBFS: -50))
        let reference = utterances(segment(input))
        XCTAssertEqual(reference.count, 2)

        var endpointer = Endpointer()
        var found: [Utterance] = []
        var speechStart: Int64?
        var silenceSeen = 0
        for start in stride(from: 0, to: input.count, by: 160) {
            for event in endpointer.process(AudioFrame(startIndex: Int64(start), samples: Array(input[start..<min(input.count, start + 160)]))) {
                if case let .speechStarted(s) = event { speechStart = s }
            }
            guard let silence = endpointer.trailingSilenceSamples, let speechStart else { continue }
            XCTAssertEqual(endpointer.judgedEnd, Int64(start + 160))
            let from = Int(speechStart) - endpointer.preRollSamples
            XCTAssertEqual(Array(endpointer.bufferedSamples(from: Int64(from))), Array(input[from..<start + 160]), "the pre-roll and the speech so far")
            silenceSeen = max(silenceSeen, silence)
            if silence >= 3_200 {  // 200 ms
                for case let .utterance(u) in endpointer.endUtterance() { found.append(u) }
                XCTAssertNil(endpointer.trailingSilenceSamples)
                XCTAssertFalse(endpointer.inSpeech)
            }
        }
        XCTAssertEqual(silenceSeen, 3_200, "never more silence than it took to end")
        XCTAssertEqual(found.count, 2)
        XCTAssertEqual(found.map(\.speechStart), reference.map(\.speechStart))
        XCTAssertEqual(found.map(\.speechEnd), reference.map(\.speechEnd))
        XCTAssertEqual(found.map(\.samples), reference.map(\.samples), "pre-roll and post-roll as usual")
        XCTAssertEqual(found.map(\.endReason), [.silence, .silence])
        XCTAssertEqual(endpointer.endUtterance(), [], "nothing in progress")
    }

    /// Frames of any size give the same result as 10 ms frames.
    func testFrameSizeDoesNotChangeTheResult() throws {
        let directory = try makeTemporaryDirectory(self)
        let speech = try synthesize("dim the bedroom lamp", in: directory).samples
        let input = mix(silence(0.7) + speech + silence(1.2), whiteNoise(count: speech.count + 30400, rmsDBFS: -50))
        let reference = segment(input, frame: 160)
        XCTAssertEqual(utterances(reference).count, 1)
        for size in [1, 97, 320, 1024, 4000] {
            XCTAssertEqual(segment(input, frame: size), reference, "frames of \(size)")
        }
    }

    private func describe(_ event: EndpointerEvent) -> String {
        switch event {
        case .speechStarted(let i): return "started \(i)"
        case .utterance(let u): return "utterance \(u.speechStart)-\(u.speechEnd) \(u.endReason)"
        case let .speechDiscarded(s, e, r): return "discarded \(s)-\(e) \(r)"
        }
    }
}

/// Where the speech in a clean recording is: from the first to one past the last sample whose
/// magnitude exceeds 16 (about -66 dBFS, above sox's dither; espeak-ng's pauses are digital
/// silence), so the truth does not depend on the detector's framing.
func speechExtent(_ samples: [Int16]) -> Range<Int> {
    let first = samples.firstIndex { abs(Int($0)) > 16 } ?? 0
    let last = samples.lastIndex { abs(Int($0)) > 16 } ?? 0
    return first..<last + 1
}
