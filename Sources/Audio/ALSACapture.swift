import CALSA
import Foundation
import Synchronization

/// Where and how `ALSACapture` records.
public struct ALSACaptureConfiguration: Sendable, Equatable {
    /// The ALSA PCM name (`default`, `plughw:1,0`, `dsnoop:...`, or one defined in
    /// `configurationFile`).
    public var device: String
    /// An ALSA configuration file loaded on top of the global one before opening `device`
    /// (`snd_pcm_open_lconf`); `nil` uses the global configuration only.
    public var configurationFile: String?
    /// How much each `snd_pcm_readi` asks for (the device period, as near as it allows).
    public var periodTime: Duration = .milliseconds(20)
    /// The device's own buffer: how long the capture thread may be late before an overrun.
    public var deviceBufferTime: Duration = .milliseconds(200)
    /// How much converted audio waits for a slow consumer before the oldest is dropped.
    public var bufferDuration: Duration = .seconds(3)
    /// The first wait before reopening a lost device; it doubles per failed attempt up to
    /// `maximumReopenDelay`.
    public var reopenDelay: Duration = .milliseconds(500)
    public var maximumReopenDelay: Duration = .seconds(8)
    /// Lets alsa-lib's `plug` layer resample and remix instead of Hark (see `ALSAPCM`).
    public var allowALSAConversion = false

    public init(device: String = "default", configurationFile: String? = nil) {
        self.device = device
        self.configurationFile = configurationFile
    }

    func validate() throws {
        guard !device.isEmpty else { throw AudioError.invalidConfiguration(field: "device", problem: "is empty") }
        for (field, value) in [
            ("periodTime", periodTime), ("deviceBufferTime", deviceBufferTime), ("bufferDuration", bufferDuration),
            ("reopenDelay", reopenDelay), ("maximumReopenDelay", maximumReopenDelay),
        ] where value <= .zero {
            throw AudioError.invalidConfiguration(field: field, problem: "must be positive, not \(value)")
        }
        guard deviceBufferTime >= periodTime * 2 else {
            throw AudioError.invalidConfiguration(field: "deviceBufferTime", problem: "must hold at least two periods (\(periodTime * 2))")
        }
        guard AudioFrame.samples(in: bufferDuration) >= AudioFrame.samples(in: periodTime) else {
            throw AudioError.invalidConfiguration(field: "bufferDuration", problem: "must hold at least one period")
        }
        guard maximumReopenDelay >= reopenDelay else {
            throw AudioError.invalidConfiguration(field: "maximumReopenDelay", problem: "must not be shorter than reopenDelay")
        }
    }
}

/// What happened to the capture device, for the log: one event per open, one per outage and one
/// when the device is back, never one per retry. Overruns and drops are counters instead
/// (`AudioSourceStatistics`), since they can come many times a second.
public enum CaptureEvent: Sendable, Equatable, CustomStringConvertible {
    /// The device was opened (first open and every reopen) in this format.
    case opened(device: String, format: CaptureFormat)
    /// A fatal error closed the device; reopening with backoff begins.
    case deviceLost(device: String, reason: String)
    /// The device opened again after `attempts` attempts and `seconds` without it.
    case deviceRestored(device: String, attempts: Int, seconds: Double)

    public var description: String {
        switch self {
        case let .opened(device, format):
            return "capturing from ALSA device '\(device)': \(format)"
        case let .deviceLost(device, reason):
            return "ALSA capture device '\(device)' lost (\(reason)); reopening with backoff"
        case let .deviceRestored(device, attempts, seconds):
            return "ALSA capture device '\(device)' back after \(String(format: "%.1f", seconds)) s (\(attempts) attempts)"
        }
    }
}

/// Records from an ALSA capture device on a thread of its own and hands 16 kHz mono frames to
/// one consumer through a bounded buffer.
///
/// - The capture thread reads one period at a time with blocking `snd_pcm_readi`, converts the
///   device's format to 16 kHz mono (`FormatConverter`: averaged channels, windowed-sinc
///   resampling), and writes into a `SampleRingBuffer` that drops the oldest audio, counted, when
///   the consumer falls `bufferDuration` behind. The thread never waits for the consumer.
/// - `-EPIPE` (overrun): counted, `snd_pcm_prepare`, carry on. `-ESTRPIPE` (suspend):
///   `snd_pcm_resume` until it stops answering `-EAGAIN`, then `snd_pcm_prepare` if resuming
///   failed. Any other error (`-ENODEV` when a USB microphone is unplugged, `-EIO`, a failed
///   prepare): the device is closed and reopened after `reopenDelay`, doubling to
///   `maximumReopenDelay`, for as long as the capture runs; the consumer just sees a pause.
///   One `deviceLost` and one `deviceRestored` event per outage.
/// - `start()` opens the device on the capture thread and throws if that first open fails
///   (a wrong device name should stop the daemon's start, not retry forever).
/// - `stop()` ends the thread, closes the device, and lets the consumer drain what is buffered.
///   A started capture must be stopped: until then its thread keeps it alive.
///
/// Thread safety: the device, the conversion state and the read buffer are the capture thread's
/// alone; what other threads see (counters, the current format, the phase) sits in atomics and a
/// `Mutex`, and frames cross only through the ring buffer.
public final class ALSACapture: AudioSource {
    public let configuration: ALSACaptureConfiguration
    /// Device events (opens, outages). Finishes after `stop()`; keeps the newest 64 if unread.
    public let events: AsyncStream<CaptureEvent>

    private let open: CapturePCMOpener
    private let ring: SampleRingBuffer
    private let eventSink: AsyncStream<CaptureEvent>.Continuation
    private let phase = Mutex(Phase.idle)
    private let currentFormat = Mutex<CaptureFormat?>(nil)
    private let stopping = Atomic<Bool>(false)
    private let overruns = Atomic<Int>(0)
    private let suspends = Atomic<Int>(0)
    private let reopens = Atomic<Int>(0)
    /// Cuts backoff waits short when `stop()` is called.
    private let wakeup = DispatchSemaphore(value: 0)
    private let finished = DispatchSemaphore(value: 0)

    private enum Phase { case idle, running, stopped }

    /// A capture of `configuration.device`. Does not open it: call `start()`.
    public convenience init(configuration: ALSACaptureConfiguration = ALSACaptureConfiguration()) throws {
        try configuration.validate()
        self.init(validated: configuration) {
            try ALSAPCM(
                device: configuration.device, configurationFile: configuration.configurationFile,
                periodTime: configuration.periodTime, bufferTime: configuration.deviceBufferTime,
                allowALSAConversion: configuration.allowALSAConversion)
        }
    }

    /// A capture whose device comes from `open` (tests wrap the real device to inject faults).
    init(validated configuration: ALSACaptureConfiguration, open: @escaping CapturePCMOpener) {
        self.configuration = configuration
        self.open = open
        ring = SampleRingBuffer(capacity: AudioFrame.samples(in: configuration.bufferDuration))
        (events, eventSink) = AsyncStream.makeStream(of: CaptureEvent.self, bufferingPolicy: .bufferingNewest(64))
    }

    deinit {
        eventSink.finish()
    }

    private var device: String { configuration.device }

    /// The device's format while it is open (`nil` before the first open and during outages).
    public var format: CaptureFormat? { currentFormat.withLock { $0 } }

    public var statistics: AudioSourceStatistics {
        let (written, dropped) = ring.counters
        var stats = AudioSourceStatistics()
        stats.producedSamples = written
        stats.droppedSamples = dropped
        stats.overruns = overruns.load(ordering: .relaxed)
        stats.suspends = suspends.load(ordering: .relaxed)
        stats.reopens = reopens.load(ordering: .relaxed)
        return stats
    }

    /// Opens the device on a new capture thread and starts recording. Throws the open's
    /// `AudioError` if the device cannot be opened and configured.
    public func start() throws {
        try phase.withLock { phase in
            guard phase == .idle else { throw AudioError.alreadyStarted(device: device) }
            phase = .running
        }
        let opened = DispatchSemaphore(value: 0)
        let failure = Mutex<AudioError?>(nil)
        let thread = Thread { [self] in
            let pcm: any CapturePCM
            do {
                pcm = try open()
            } catch {
                failure.withLock { $0 = error as? AudioError ?? .deviceOpenFailed(device: device, code: -1, reason: "\(error)") }
                opened.signal()
                finished.signal()
                return
            }
            // Published before `start` returns and before the first read can fail.
            currentFormat.withLock { $0 = pcm.format }
            eventSink.yield(.opened(device: device, format: pcm.format))
            opened.signal()
            run(pcm)
            finished.signal()
        }
        thread.name = "capture \(device)"
        thread.qualityOfService = .userInteractive
        thread.start()
        opened.wait()
        if let error = failure.withLock({ $0 }) {
            phase.withLock { $0 = .stopped }
            ring.close()
            eventSink.finish()
            throw error
        }
    }

    public func read(maxSamples: Int) -> AudioFrame? {
        ring.read(maxSamples: maxSamples)
    }

    /// `read` that gives up after `timeout`, returning `nil` (also at the end of the stream).
    public func read(maxSamples: Int, timeout: Duration) -> AudioFrame? {
        ring.read(maxSamples: maxSamples, timeout: timeout)
    }

    /// Stops the capture thread and closes the device; returns once both are done. Buffered
    /// frames stay readable. Idempotent.
    public func stop() {
        let wasRunning = phase.withLock { phase -> Bool in
            defer { phase = .stopped }
            return phase == .running
        }
        stopping.store(true, ordering: .sequentiallyConsistent)
        guard wasRunning else { return }
        wakeup.signal()
        finished.wait()
        ring.close()
        currentFormat.withLock { $0 = nil }
        eventSink.finish()
    }

    // MARK: - The capture thread

    private var isStopping: Bool { stopping.load(ordering: .sequentiallyConsistent) }

    private func run(_ first: any CapturePCM) {
        var pcm: (any CapturePCM)? = first
        var converter = FormatConverter(inputRate: first.format.rate, channels: first.format.channels)
        var buffer = [Int16]()
        while !isStopping {
            guard let device = pcm else { break }
            let format = device.format
            let needed = format.periodFrames * format.channels
            if buffer.count != needed { buffer = [Int16](repeating: 0, count: needed) }
            let n = buffer.withUnsafeMutableBufferPointer { b -> Int in
                // A PCM that delivers fewer frames than it reports (the `null` device) must not
                // leave the previous period's samples behind.
                b.update(repeating: 0)
                return device.read(into: b.baseAddress!, frames: format.periodFrames)
            }
            if n > 0 {
                let samples = buffer.withUnsafeBufferPointer { b in
                    converter.convert(UnsafeBufferPointer(rebasing: b[0..<n * format.channels]))
                }
                ring.write(samples)
                continue
            }
            var failure = Int32(truncatingIfNeeded: n)
            switch -failure {
            case 0, EAGAIN, EINTR:
                continue
            case EPIPE:
                overruns.add(1, ordering: .relaxed)
                failure = device.prepare()
            case ESTRPIPE:
                suspends.add(1, ordering: .relaxed)
                failure = resume(device)
            default:
                break
            }
            if failure >= 0 || isStopping { continue }
            // A fatal error: close the device and get it back.
            pcm = nil
            currentFormat.withLock { $0 = nil }
            pcm = reopen(after: failure)
            if let pcm {
                let format = pcm.format
                converter = FormatConverter(inputRate: format.rate, channels: format.channels)
                currentFormat.withLock { $0 = format }
                eventSink.yield(.opened(device: self.device, format: format))
            }
        }
    }

    /// `snd_pcm_resume` until the device is awake; `snd_pcm_prepare` when it cannot resume.
    private func resume(_ device: any CapturePCM) -> Int32 {
        var rc = device.resume()
        while rc == -EAGAIN && !isStopping {
            _ = wakeup.wait(timeout: .now() + .milliseconds(100))
            rc = device.resume()
        }
        return rc < 0 ? device.prepare() : rc
    }

    /// Opens the device again, waiting `reopenDelay` doubling to `maximumReopenDelay` between
    /// attempts; `nil` when stopped first.
    private func reopen(after failure: Int32) -> (any CapturePCM)? {
        eventSink.yield(.deviceLost(device: device, reason: "\(ALSAPCM.describe(failure)) (error \(failure))"))
        let began = ContinuousClock.now
        var delay = configuration.reopenDelay
        var attempts = 0
        while !isStopping {
            _ = wakeup.wait(timeout: .now() + .nanoseconds(Int(delay.nanoseconds)))
            if isStopping { break }
            attempts += 1
            if let pcm = try? open() {
                reopens.add(1, ordering: .relaxed)
                let seconds = (ContinuousClock.now - began).seconds
                eventSink.yield(.deviceRestored(device: device, attempts: attempts, seconds: seconds))
                return pcm
            }
            delay = min(delay * 2, configuration.maximumReopenDelay)
        }
        return nil
    }
}
