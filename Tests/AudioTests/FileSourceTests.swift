import Foundation
import XCTest

@testable import Audio

/// WAV and raw files as audio sources: formats converted to 16 kHz mono, and errors that name the
/// file and the problem.
final class FileSourceTests: XCTestCase {
    func testWAVAt44kStereoIsMixedAndResampledTo16kMono() throws {
        let directory = try makeTemporaryDirectory(self)
        let left = sine(frequency: 500, rate: 44100, count: 44100, amplitude: 0.4)
        let right = sine(frequency: 500, rate: 44100, count: 44100, amplitude: 0.2)
        let interleaved = int16(zip(left, right).flatMap { [$0, $1] })
        let path = directory.appendingPathComponent("tone.wav").path
        try WAVFile(sampleRate: 44100, channels: 2, samples: interleaved).data.write(to: URL(fileURLWithPath: path))

        let source = try WAVFileSource(path: path)
        XCTAssertEqual(source.fileSampleRate, 44100)
        XCTAssertEqual(source.fileChannels, 2)
        var frames: [AudioFrame] = []
        while let frame = source.read(maxSamples: 320) { frames.append(frame) }
        XCTAssertEqual(frames.map(\.samples.count).reduce(0, +), 16000)
        XCTAssertEqual(frames.first?.startIndex, 0)
        XCTAssertEqual(zip(frames, frames.dropFirst()).allSatisfy { $0.endIndex == $1.startIndex }, true)
        let samples = frames.flatMap(\.samples).map { Double($0) / 32768 }
        let ideal = sine(frequency: 500, rate: 16000, count: 16000, amplitude: 0.3)
        XCTAssertGreaterThan(snr(Array(samples[400..<15600]), Array(ideal[400..<15600])), 50)
        XCTAssertNil(source.read(maxSamples: 320))
        XCTAssertEqual(source.statistics.producedSamples, 16000)
    }

    /// espeak-ng writes 22.05 kHz: Hark's conversion of it must agree with sox's.
    func testEspeakRecordingConvertsLikeSox() throws {
        let directory = try makeTemporaryDirectory(self)
        let (soxSamples, espeakFile) = try synthesize("open the garage door", in: directory)
        let source = try WAVFileSource(path: espeakFile)
        XCTAssertEqual(source.fileSampleRate, 22050)
        let ours = source.samples
        XCTAssertLessThanOrEqual(abs(ours.count - soxSamples.count), 1)
        let n = min(ours.count, soxSamples.count)
        let ratio = snr(ours[..<n].map { Double($0) / 32768 }, soxSamples[..<n].map { Double($0) / 32768 })
        XCTAssertGreaterThan(ratio, 25, "Hark vs sox: \(ratio) dB")
    }

    func testRawFileIsReadAsS16LE16kMono() throws {
        let directory = try makeTemporaryDirectory(self)
        let path = directory.appendingPathComponent("ramp.raw").path
        let ramp = (0..<1000).map { Int16($0 * 7 - 3500) }
        try rawBytes(ramp).write(to: URL(fileURLWithPath: path))
        let source = try RawFileSource(path: path)
        XCTAssertEqual(source.read(maxSamples: 600), AudioFrame(startIndex: 0, samples: Array(ramp[0..<600])))
        source.stop()
        XCTAssertNil(source.read(maxSamples: 600), "stop ends the stream")

        try Data([1, 2, 3]).write(to: URL(fileURLWithPath: path))
        XCTAssertThrowsError(try RawFileSource(path: path)) { error in
            XCTAssertEqual(error as? AudioError, .invalidRaw(path: path, detail: "3 bytes, an odd count cannot hold 16-bit samples"))
        }
    }

    func testBrokenWAVFilesAreRejectedWithTheFileAndTheProblem() throws {
        let directory = try makeTemporaryDirectory(self)
        let good = WAVFile(sampleRate: 16000, channels: 1, samples: [1, 2, 3, 4]).data
        func header(tag: Int, channels: Int = 1, bits: Int = 16) -> Data {
            var data = good
            data[20] = UInt8(tag & 0xFF); data[21] = UInt8(tag >> 8)
            data[22] = UInt8(channels)
            data[32] = UInt8(channels * bits / 8)
            data[34] = UInt8(bits)
            return data
        }
        var truncated = good
        truncated.removeLast(3)
        var mp3 = good
        mp3.replaceSubrange(0..<4, with: Array("ID3\u{3}".utf8))
        let cases: [(String, Data, (String) -> AudioError)] = [
            ("mp3", mp3, { .notRIFFWave(path: $0, detail: "starts with 'ID3\\x3' instead of 'RIFF'") }),
            ("empty", Data(), { .notRIFFWave(path: $0, detail: "0 bytes, no RIFF header") }),
            ("float", header(tag: 3, bits: 32), { .notPCM(path: $0, formatTag: 3) }),
            ("mulaw", header(tag: 7, bits: 8), { .notPCM(path: $0, formatTag: 7) }),
            ("pcm8", header(tag: 1, bits: 8), { .unsupportedBitDepth(path: $0, bits: 8) }),
            ("truncated", truncated, { .truncated(path: $0, detail: "the 'data' chunk declares 8 bytes but only 5 follow") }),
            ("headeronly", good.prefix(44), { .truncated(path: $0, detail: "the 'data' chunk declares 8 bytes but only 0 follow") }),
            ("cutheader", good.prefix(40), { .truncated(path: $0, detail: "the file ends inside a chunk header at byte 36") }),
            ("nodata", good.prefix(36), { .invalidWAV(path: $0, detail: "no 'data' chunk") }),
        ]
        for (name, data, expected) in cases {
            let path = directory.appendingPathComponent("\(name).wav").path
            try data.write(to: URL(fileURLWithPath: path))
            XCTAssertThrowsError(try WAVFileSource(path: path), name) { error in
                XCTAssertEqual(error as? AudioError, expected(path), name)
                XCTAssertTrue("\(error)".contains(path), "the message names the file: \(error)")
            }
        }
        let missing = directory.appendingPathComponent("missing.wav").path
        XCTAssertThrowsError(try WAVFileSource(path: missing)) { error in
            XCTAssertEqual(error as? AudioError, .fileUnreadable(path: missing, reason: "no such file"))
        }
        XCTAssertEqual(
            "\(AudioError.notPCM(path: "x.wav", formatTag: 3))",
            "'x.wav' is not PCM audio: WAVE format tag 3 (IEEE float); Hark reads 16-bit integer PCM")
    }

    /// WAVE_FORMAT_EXTENSIBLE with a PCM sub-format, odd-sized chunks before the data, and a
    /// LIST chunk after it are all read.
    func testExtensibleFormatAndExtraChunksAreRead() throws {
        var data = Data(Array("RIFF".utf8)) + le32(0) + Data(Array("WAVE".utf8))
        data += Data(Array("fmt ".utf8)) + le32(40)
        data += le16(0xFFFE) + le16(2) + le32(16000) + le32(64000) + le16(4) + le16(16)
        data += le16(22) + le16(16) + le32(3) + le16(1) + Data([0, 0, 0, 0, 0x10, 0, 0x80, 0, 0, 0xAA, 0, 0x38, 0x9B, 0x71])
        data += Data(Array("junk".utf8)) + le32(3) + Data([9, 9, 9, 0])  // odd size, padded
        data += Data(Array("data".utf8)) + le32(8) + le16(100) + le16(300) + le16(0xFFFF) + le16(0xFFFD)
        data += Data(Array("LIST".utf8)) + le32(4) + Data(Array("INFO".utf8))
        let file = try WAVFile(data: data, path: "ext.wav")
        XCTAssertEqual(file.channels, 2)
        XCTAssertEqual(file.samples, [100, 300, -1, -3])
        XCTAssertEqual(file.hark, [200, -2])
    }

    private func le16(_ v: Int) -> Data { Data([UInt8(v & 0xFF), UInt8(v >> 8 & 0xFF)]) }
    private func le32(_ v: Int) -> Data { le16(v & 0xFFFF) + le16(v >> 16) }
}
