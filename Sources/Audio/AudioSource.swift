/// Where 16 kHz mono frames come from: the microphone (`ALSACapture`) or a file (`WAVFileSource`,
/// `RawFileSource`), so the pipeline and the tests read both the same way.
///
/// The model is a producer feeding one consumer: `read` blocks until samples are available and is
/// meant to be called in a loop on one consumer thread (the speech stage's). It returns `nil`
/// once the stream has ended (end of file, or `stop()`), and from then on. Sources are `Sendable`
/// so `stop()` may be called from any thread, e.g. a signal handler's task, while a read waits.
public protocol AudioSource: AnyObject, Sendable {
    /// Begins producing (opens the device, starts the capture thread). Throws when the source
    /// cannot start at all; file sources are ready once initialised and do nothing here.
    func start() throws
    /// The next frame of at most `maxSamples` samples (at least one), waiting for it if need be;
    /// `nil` when the stream has ended.
    func read(maxSamples: Int) -> AudioFrame?
    /// Ends the stream: a waiting `read` returns what is left, then `nil`. Idempotent.
    func stop()
    /// Counters for the stats topic.
    var statistics: AudioSourceStatistics { get }
}

/// A source's counters since it was created, for `hark/<site>/stats` and for tests.
public struct AudioSourceStatistics: Sendable, Equatable {
    /// Samples (at 16 kHz, mono) the source has produced, dropped ones included.
    public var producedSamples: Int64 = 0
    /// Samples dropped because the consumer fell more than the buffer's length behind.
    public var droppedSamples: Int64 = 0
    /// Capture overruns (ALSA `-EPIPE`): the device's own buffer overflowed before the capture
    /// thread read it, and audio was lost inside the device.
    public var overruns: Int = 0
    /// Times the device was suspended (`-ESTRPIPE`, system sleep) and resumed.
    public var suspends: Int = 0
    /// Times the device was closed after a fatal error and opened again successfully.
    public var reopens: Int = 0

    public init() {}
}
