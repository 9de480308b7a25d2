import Foundation
import Synchronization

/// A RIFF/WAVE file (16-bit PCM, any rate and channel count) as an `AudioSource` of 16 kHz mono
/// frames: channels are averaged and the rate converted (`Resampler`) when the file is opened.
///
/// Meant for commands and test recordings (seconds, not hours): the whole file is decoded in
/// `init`, which throws an `AudioError` naming the file and its problem (not RIFF, not PCM,
/// truncated, unsupported bit depth). `read` never waits; it returns `nil` after the last sample.
public final class WAVFileSource: AudioSource {
    public let path: String
    /// The file's own format, before conversion.
    public let fileSampleRate: Int
    public let fileChannels: Int
    private let buffer: RecordedSamples

    public init(path: String) throws {
        let file = try WAVFile(contentsOf: path)
        self.path = path
        fileSampleRate = file.sampleRate
        fileChannels = file.channels
        buffer = RecordedSamples(file.hark)
    }

    /// All the samples, converted (the pipeline reads frames; tests and tools want the lot).
    public var samples: [Int16] { buffer.samples }
    public func start() {}
    public func read(maxSamples: Int) -> AudioFrame? { buffer.read(maxSamples: maxSamples) }
    public func stop() { buffer.stop() }
    public var statistics: AudioSourceStatistics { buffer.statistics }
}

/// A headerless file of S16_LE, 16 kHz, mono samples (what `arecord -t raw -f S16_LE -r 16000`
/// writes) as an `AudioSource`. Read whole in `init`; an odd byte count is an error.
public final class RawFileSource: AudioSource {
    public let path: String
    private let buffer: RecordedSamples

    public init(path: String) throws {
        let bytes: [UInt8]
        do {
            bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: path)))
        } catch {
            throw AudioError.fileUnreadable(path: path, reason: WAVFile.reason(error))
        }
        guard bytes.count % 2 == 0 else {
            throw AudioError.invalidRaw(path: path, detail: "\(bytes.count) bytes, an odd count cannot hold 16-bit samples")
        }
        self.path = path
        buffer = RecordedSamples(WAVFile.int16LittleEndian(bytes[...]))
    }

    public var samples: [Int16] { buffer.samples }
    public func start() {}
    public func read(maxSamples: Int) -> AudioFrame? { buffer.read(maxSamples: maxSamples) }
    public func stop() { buffer.stop() }
    public var statistics: AudioSourceStatistics { buffer.statistics }
}

/// Decoded samples served front to back, for the file sources.
private final class RecordedSamples: Sendable {
    let samples: [Int16]
    private let cursor = Mutex(0)

    init(_ samples: [Int16]) { self.samples = samples }

    func read(maxSamples: Int) -> AudioFrame? {
        precondition(maxSamples > 0, "read at least one sample")
        return cursor.withLock { position in
            guard position < samples.count else { return nil }
            let end = min(samples.count, position + maxSamples)
            defer { position = end }
            return AudioFrame(startIndex: Int64(position), samples: Array(samples[position..<end]))
        }
    }

    func stop() { cursor.withLock { $0 = samples.count } }

    var statistics: AudioSourceStatistics {
        var stats = AudioSourceStatistics()
        stats.producedSamples = Int64(samples.count)
        return stats
    }
}
