/// A run of consecutive samples in Hark's one internal audio format: 16 kHz, mono, signed 16-bit.
///
/// `startIndex` counts samples from the start of the source's stream (at 16 kHz), so a frame
/// carries its own timestamp. Consecutive frames from one source are contiguous unless samples
/// were dropped in between (a stalled consumer, see `AudioSourceStatistics.droppedSamples`): then
/// the next frame's `startIndex` jumps by the number dropped. Time spent with no device at all
/// (a capture outage) is not counted: the stream simply continues after it.
public struct AudioFrame: Sendable, Equatable {
    /// Hark's sample rate, in samples per second.
    public static let sampleRate = 16_000

    /// Index of `samples[0]` in the source's stream.
    public var startIndex: Int64
    public var samples: [Int16]

    public init(startIndex: Int64, samples: [Int16]) {
        self.startIndex = startIndex
        self.samples = samples
    }

    /// Index one past the last sample.
    public var endIndex: Int64 { startIndex + Int64(samples.count) }
    /// Seconds from the start of the stream to the first sample.
    public var startTime: Double { AudioFrame.seconds(startIndex) }
    public var duration: Double { Double(samples.count) / Double(AudioFrame.sampleRate) }

    /// A sample count (or index) at 16 kHz in seconds.
    public static func seconds(_ samples: Int64) -> Double { Double(samples) / Double(sampleRate) }
    /// A duration as a whole number of samples at 16 kHz (rounded down).
    public static func samples(in duration: Duration) -> Int {
        let (seconds, attoseconds) = duration.components
        return Int(seconds) * sampleRate + Int(attoseconds / 1_000_000_000_000) * sampleRate / 1_000_000
    }
}
