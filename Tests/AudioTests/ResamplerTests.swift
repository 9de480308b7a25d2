import Foundation
import XCTest

@testable import Audio

/// The windowed-sinc resampler against ideal signals: accuracy in the pass band, rejection of
/// what would alias, lengths, streaming equal to one-shot, and channel mixing.
final class ResamplerTests: XCTestCase {
    /// A 1 kHz tone resampled from the common device rates matches the ideal 16 kHz tone.
    func testToneFromCommonRatesMatchesTheIdealToneAt16kHz() {
        for rate in [8000, 22050, 44100, 48000] {
            let input = sine(frequency: 1000, rate: rate, count: rate)  // one second
            let output = Resampler.resample(input.map { Float($0) }, from: rate, to: 16000).map { Double($0) }
            XCTAssertEqual(output.count, 16000, "\(rate) Hz: one second in, one second out")
            let ideal = sine(frequency: 1000, rate: 16000, count: 16000)
            // Skip the edges, where the input's abrupt start and end are not a steady tone.
            let middle = 400..<15600
            let ratio = snr(Array(output[middle]), Array(ideal[middle]))
            XCTAssertGreaterThan(ratio, 60, "\(rate) Hz → 16 kHz: SNR \(ratio) dB")
        }
    }

    /// 10 kHz at 48 kHz lies above the 8 kHz Nyquist frequency of 16 kHz: it must be filtered
    /// out, not folded down to 6 kHz.
    func testToneAboveTheNewNyquistFrequencyIsRemovedNotAliased() {
        let input = sine(frequency: 10000, rate: 48000, count: 48000).map { Float($0) }
        let output = Resampler.resample(input, from: 48000, to: 16000)
        let middle = Array(output[400..<15600])
        let rms = (middle.reduce(0) { $0 + Double($1 * $1) } / Double(middle.count)).squareRoot()
        let attenuation = 20 * log10(rms / (0.5 / 2.0.squareRoot()))
        XCTAssertLessThan(attenuation, -60, "10 kHz leaks through at \(attenuation) dB")
        // A naive decimator (every third sample) would keep it at full strength.
        let naive = stride(from: 1200, to: 46800, by: 3).map { Double(input[$0]) }
        let naiveRMS = (naive.reduce(0) { $0 + $1 * $1 } / Double(naive.count)).squareRoot()
        XCTAssertGreaterThan(naiveRMS, 0.3)
    }

    func testStreamingInUnevenPiecesEqualsOneShot() {
        let input = sine(frequency: 440, rate: 44100, count: 20000).map { Float($0) }
        let whole = Resampler.resample(input, from: 44100, to: 16000)
        var streaming = Resampler(inputRate: 44100, outputRate: 16000)
        var pieces: [Float] = []
        var offset = 0
        for size in [1, 7, 441, 1000, 3, 5000].cycled(until: input.count) {
            let end = min(input.count, offset + size)
            pieces += streaming.process(Array(input[offset..<end]))
            offset = end
        }
        pieces += streaming.flush()
        XCTAssertEqual(pieces.count, whole.count)
        XCTAssertEqual(pieces.count, (20000 * 160 + 440) / 441)
        XCTAssertEqual(pieces, whole)
    }

    func testEqualRatesPassThroughAndUpsamplingKeepsTheTone() {
        let input = sine(frequency: 300, rate: 16000, count: 1000).map { Float($0) }
        XCTAssertEqual(Resampler.resample(input, from: 16000, to: 16000), input)
        let up = Resampler.resample(sine(frequency: 1000, rate: 8000, count: 8000).map { Float($0) }, from: 8000, to: 16000)
        XCTAssertEqual(up.count, 16000)
        XCTAssertGreaterThan(snr(Array(up[400..<15600]).map { Double($0) }, Array(sine(frequency: 1000, rate: 16000, count: 16000)[400..<15600])), 60)
    }

    func testStereoIsAveragedToMonoAndClampedToInt16() {
        // Left full-scale positive, right half: the mono average is three quarters.
        let interleaved: [Int16] = [32767, 16384, -32768, -16384, 1000, -1000]
        let mono = FormatConverter.convertAll(interleaved, rate: 16000, channels: 2)
        XCTAssertEqual(mono, [24576, -24576, 0])
        // A full-scale square wave overshoots in the filter; the result must clamp, not wrap.
        let square = (0..<4800).flatMap { i -> [Int16] in
            let v: Int16 = (i / 24) % 2 == 0 ? 32767 : -32768
            return [v, v]
        }
        let converted = FormatConverter.convertAll(square, rate: 48000, channels: 2)
        XCTAssertEqual(converted.count, 1600)
        XCTAssertEqual(converted.max(), 32767)
        XCTAssertEqual(converted.min(), -32768)
    }
}

extension Array {
    /// The elements repeated until their sum (of `Int` elements) reaches `total`.
    fileprivate func cycled(until total: Int) -> [Element] where Element == Int {
        var result: [Int] = []
        var sum = 0
        var i = 0
        while sum < total {
            result.append(self[i % count])
            sum += self[i % count]
            i += 1
        }
        return result
    }
}
