import CALSA
import Foundation
import Synchronization
import XCTest

@testable import Audio

/// Capture through the real ALSA API with no sound card: the `file` PCM plugin reads a raw file
/// (or a FIFO) as if it were a microphone (DESIGN.md section 6). Faults are injected between the
/// capture loop and the real device.
final class ALSACaptureTests: XCTestCase {
    /// A ramp that never repeats within a test, so any lost, repeated or shifted sample shows.
    private func ramp(_ count: Int, from start: Int = 1) -> [Int16] {
        (0..<count).map { Int16(truncatingIfNeeded: start + $0) }
    }

    private func writeRaw(_ samples: [Int16], in directory: URL, name: String = "input.raw") throws -> String {
        let path = directory.appendingPathComponent(name).path
        try rawBytes(samples).write(to: URL(fileURLWithPath: path))
        return path
    }

    // MARK: The device itself

    func testFilePluginDeviceDeliversTheFileAt16kMonoThenSilence() throws {
        let directory = try makeTemporaryDirectory(self)
        let samples = ramp(1000)
        let config = try TestALSAConfiguration(directory: directory, infile: try writeRaw(samples, in: directory))
        let pcm = try ALSAPCM(
            device: "hark_test", configurationFile: config.path, periodTime: .milliseconds(20), bufferTime: .milliseconds(200),
            allowALSAConversion: false)
        XCTAssertEqual(pcm.format, CaptureFormat(rate: 16000, channels: 1, periodFrames: 320))
        var buffer = [Int16](repeating: -1, count: 1280)
        var got: [Int16] = []
        for _ in 0..<4 {
            let n = buffer.withUnsafeMutableBufferPointer { b -> Int in
                b.update(repeating: 0)
                return pcm.read(into: b.baseAddress!, frames: 320)
            }
            XCTAssertEqual(n, 320)
            got += buffer[0..<n]
        }
        assertSamplesEqual(Array(got[0..<1000]), samples)
        // End of file is never signalled: reads go on "succeeding", here with the zeros we wrote.
        XCTAssertEqual(Array(got[1000...]), [Int16](repeating: 0, count: 280))
    }

    func testDeviceThatRefuses16kMonoKeepsItsOwnFormat() throws {
        let directory = try makeTemporaryDirectory(self)
        let config = try TestALSAConfiguration(directory: directory, infile: try writeRaw(ramp(100), in: directory))
        let pcm = try ALSAPCM(
            device: "hark_test_48k_stereo", configurationFile: config.path, periodTime: .milliseconds(20),
            bufferTime: .milliseconds(200), allowALSAConversion: false)
        XCTAssertEqual(pcm.format.rate, 48000)
        XCTAssertEqual(pcm.format.channels, 2)
        XCTAssertEqual(pcm.format.periodFrames, 960)
        // Allowing alsa-lib's conversion, the same device pretends to do 16 kHz mono.
        let converted = try ALSAPCM(
            device: "hark_test_48k_stereo", configurationFile: config.path, periodTime: .milliseconds(20),
            bufferTime: .milliseconds(200), allowALSAConversion: true)
        XCTAssertEqual(converted.format.rate, 16000)
        XCTAssertEqual(converted.format.channels, 1)
    }

    func testOpenErrorsNameTheDeviceOrTheConfigurationFile() throws {
        let directory = try makeTemporaryDirectory(self)
        let config = try TestALSAConfiguration(directory: directory, infile: "/dev/null")
        XCTAssertThrowsError(try ALSACapture(configuration: ALSACaptureConfiguration(device: "no_such_pcm", configurationFile: config.path)).start()) { error in
            guard case let .deviceOpenFailed(device, code, _) = error as? AudioError else { return XCTFail("\(error)") }
            XCTAssertEqual(device, "no_such_pcm")
            XCTAssertEqual(code, -ENOENT)
            XCTAssertTrue("\(error)".hasPrefix("cannot open ALSA capture device 'no_such_pcm': "), "\(error)")
            // alsa-lib's own diagnostic comes with the error instead of going to stderr.
            XCTAssertTrue("\(error)".contains("(alsa-lib: Unknown PCM no_such_pcm)"), "\(error)")
        }
        let missing = directory.appendingPathComponent("missing.conf").path
        XCTAssertThrowsError(try ALSACapture(configuration: ALSACaptureConfiguration(device: "x", configurationFile: missing)).start()) { error in
            XCTAssertEqual(error as? AudioError, .alsaConfigurationFailed(path: missing, reason: "no such file or not readable"))
        }
        let broken = directory.appendingPathComponent("broken.conf").path
        try "pcm.x { type file ".write(toFile: broken, atomically: true, encoding: .utf8)
        XCTAssertThrowsError(try ALSACapture(configuration: ALSACaptureConfiguration(device: "x", configurationFile: broken)).start()) { error in
            guard case .alsaConfigurationFailed(broken, _) = error as? AudioError else { return XCTFail("\(error)") }
        }
        var invalid = ALSACaptureConfiguration(device: "hark_test", configurationFile: config.path)
        invalid.deviceBufferTime = .milliseconds(30)
        XCTAssertThrowsError(try ALSACapture(configuration: invalid)) { error in
            XCTAssertEqual(error as? AudioError, .invalidConfiguration(field: "deviceBufferTime", problem: "must hold at least two periods (0.04 seconds)"))
        }
    }

    // MARK: The capture thread

    /// Real-time pacing through a FIFO: the capture thread blocks in `snd_pcm_readi` until the
    /// writer supplies the next period, as with a microphone.
    func testCaptureThreadDeliversFIFOAudioInOrderAsItArrives() throws {
        let directory = try makeTemporaryDirectory(self)
        let fifo = directory.appendingPathComponent("mic.fifo").path
        XCTAssertEqual(mkfifo(fifo, 0o600), 0)
        // Read-write, so neither side's open blocks and the capture sees no end of file early.
        let writer = Foundation.open(fifo, O_RDWR)
        XCTAssertGreaterThanOrEqual(writer, 0)
        var writerOpen = true
        defer { if writerOpen { close(writer) } }
        let config = try TestALSAConfiguration(directory: directory, infile: fifo)
        let capture = try ALSACapture(configuration: ALSACaptureConfiguration(device: "hark_test", configurationFile: config.path))
        let events = Mutex<[CaptureEvent]>([])
        let eventsDone = DispatchSemaphore(value: 0)
        Task.detached {
            for await event in capture.events { events.withLock { $0.append(event) } }
            eventsDone.signal()
        }
        try capture.start()
        let period = try XCTUnwrap(capture.format).periodFrames
        XCTAssertEqual(period, 320)

        let samples = ramp(25 * period)
        let writing = Thread {
            // Whole periods, a little faster than real time: the `file` plugin reads what the
            // pipe holds, so a write must never straddle two reads.
            for p in 0..<25 {
                let bytes = rawBytes(Array(samples[p * period..<(p + 1) * period]))
                _ = bytes.withUnsafeBytes { write(writer, $0.baseAddress, $0.count) }
                Thread.sleep(forTimeInterval: 0.004)
            }
        }
        writing.start()
        let received = try collect(capture, count: samples.count)
        assertSamplesEqual(received, samples)
        XCTAssertEqual(capture.statistics.droppedSamples, 0)
        XCTAssertEqual(capture.statistics.overruns, 0)
        close(writer)
        writerOpen = false
        capture.stop()
        XCTAssertNil(capture.format)
        XCTAssertEqual(eventsDone.wait(timeout: .now() + 5), .success, "events finish after stop")
        XCTAssertEqual(events.withLock { $0 }, [.opened(device: "hark_test", format: CaptureFormat(rate: 16000, channels: 1, periodFrames: 320))])
        XCTAssertThrowsError(try capture.start()) { XCTAssertEqual($0 as? AudioError, .alreadyStarted(device: "hark_test")) }
    }

    /// A device at 48 kHz stereo (as most USB microphones and HATs): the capture reads it in its
    /// own format and converts to 16 kHz mono itself.
    func testCaptureResamplesAndMixesDownA48kStereoDevice() throws {
        let directory = try makeTemporaryDirectory(self)
        let frames = 48000
        let left = sine(frequency: 1000, rate: 48000, count: frames, amplitude: 0.5)
        let right = sine(frequency: 1000, rate: 48000, count: frames, amplitude: 0.25)
        let infile = try writeRaw(int16(zip(left, right).flatMap { [$0, $1] }), in: directory)
        let config = try TestALSAConfiguration(directory: directory, infile: infile)
        let plan = FaultPlan()
        plan.update { $0.frameLimit = frames }
        var configuration = ALSACaptureConfiguration(device: "hark_test_48k_stereo", configurationFile: config.path)
        configuration.bufferDuration = .seconds(2)
        let capture = ALSACapture(validated: configuration, open: faultInjectingOpener(device: configuration.device, configuration: config, plan: plan))
        try capture.start()
        XCTAssertEqual(capture.format, CaptureFormat(rate: 48000, channels: 2, periodFrames: 960))
        let received = try collect(capture, count: 15900).map { Double($0) / 32768 }
        capture.stop()
        let ideal = sine(frequency: 1000, rate: 16000, count: 16000, amplitude: 0.375)
        let ratio = snr(Array(received[400..<15600]), Array(ideal[400..<15600]))
        XCTAssertGreaterThan(ratio, 50, "48 kHz stereo → 16 kHz mono: SNR \(ratio) dB")
        XCTAssertEqual(capture.statistics.droppedSamples, 0)
    }

    /// The consumer stops reading: the capture thread keeps going, the buffer keeps the newest
    /// audio, and the oldest is dropped and counted.
    func testStalledConsumerLosesTheOldestAudioCountedAndGetsTheNewest() throws {
        let directory = try makeTemporaryDirectory(self)
        let total = 16000 * 3
        let config = try TestALSAConfiguration(directory: directory, infile: try writeRaw(ramp(total), in: directory))
        let plan = FaultPlan()
        plan.update { $0.frameLimit = total }
        var configuration = ALSACaptureConfiguration(device: "hark_test", configurationFile: config.path)
        configuration.bufferDuration = .seconds(1)
        let capture = ALSACapture(validated: configuration, open: faultInjectingOpener(device: "hark_test", configuration: config, plan: plan))
        try capture.start()
        defer { capture.stop() }
        try waitUntil("the whole file captured") { capture.statistics.producedSamples == Int64(total) }
        XCTAssertEqual(capture.statistics.droppedSamples, Int64(total - 16000))
        let frame = try XCTUnwrap(capture.read(maxSamples: 100_000, timeout: .seconds(1)))
        XCTAssertEqual(frame.startIndex, Int64(total - 16000))
        assertSamplesEqual(frame.samples, ramp(16000, from: total - 16000 + 1))
    }

    /// `-EPIPE` mid-stream is an overrun: counted, the device prepared, and capture goes on with
    /// no reopen.
    func testOverrunIsCountedAndCaptureContinues() throws {
        let directory = try makeTemporaryDirectory(self)
        let samples = ramp(320 * 12)
        let config = try TestALSAConfiguration(directory: directory, infile: try writeRaw(samples, in: directory))
        let plan = FaultPlan()
        plan.update {
            $0.faults = [3: EPIPE, 7: EPIPE]
            $0.frameLimit = samples.count
        }
        let configuration = ALSACaptureConfiguration(device: "hark_test", configurationFile: config.path)
        let capture = ALSACapture(validated: configuration, open: faultInjectingOpener(device: "hark_test", configuration: config, plan: plan))
        try capture.start()
        defer { capture.stop() }
        // The injected faults took the place of reads, so no file data was lost.
        assertSamplesEqual(try collect(capture, count: samples.count), samples)
        let stats = capture.statistics
        XCTAssertEqual(stats.overruns, 2)
        XCTAssertEqual(stats.reopens, 0)
        XCTAssertEqual(plan.snapshot.prepares, 2)
        XCTAssertEqual(plan.snapshot.openAttempts, 1)
    }

    /// `-ESTRPIPE` (system suspend): resume is retried while it answers `-EAGAIN`; a device that
    /// cannot resume (`-ENOSYS`) is prepared instead, as alsa-lib's own examples do.
    func testSuspendIsResumedOrPrepared() throws {
        let directory = try makeTemporaryDirectory(self)
        let samples = ramp(320 * 6)
        let config = try TestALSAConfiguration(directory: directory, infile: try writeRaw(samples, in: directory))
        let plan = FaultPlan()
        plan.update {
            $0.faults = [2: ESTRPIPE, 5: ESTRPIPE]
            // First suspend: still waking twice, then the real device resumes. Second: no resume.
            $0.resumeResults = [-EAGAIN, -EAGAIN, nil, -ENOSYS]
            $0.frameLimit = samples.count
        }
        let configuration = ALSACaptureConfiguration(device: "hark_test", configurationFile: config.path)
        let capture = ALSACapture(validated: configuration, open: faultInjectingOpener(device: "hark_test", configuration: config, plan: plan))
        try capture.start()
        defer { capture.stop() }
        assertSamplesEqual(try collect(capture, count: samples.count), samples)
        XCTAssertEqual(capture.statistics.suspends, 2)
        XCTAssertEqual(capture.statistics.reopens, 0)
        XCTAssertEqual(plan.snapshot.resumes, 4)
        XCTAssertEqual(plan.snapshot.prepares, 1)
    }

    /// `-ENODEV` (the microphone was unplugged): the device is closed and reopened with doubling
    /// waits while opening fails; one `deviceLost` and one `deviceRestored` event for the whole
    /// outage; the reopened device (the `file` plugin starts its file again) keeps feeding the
    /// same stream.
    func testUnpluggedDeviceIsReopenedWithBackoffAndOneEventPerOutage() throws {
        let directory = try makeTemporaryDirectory(self)
        let period = 320
        let samples = ramp(period * 4)
        let config = try TestALSAConfiguration(directory: directory, infile: try writeRaw(samples, in: directory))
        let plan = FaultPlan()
        plan.update { $0.frameLimit = period * 2 }  // two periods before the fault...
        var configuration = ALSACaptureConfiguration(device: "hark_test", configurationFile: config.path)
        configuration.reopenDelay = .milliseconds(20)
        configuration.maximumReopenDelay = .milliseconds(80)
        let capture = ALSACapture(validated: configuration, open: faultInjectingOpener(device: "hark_test", configuration: config, plan: plan))
        let events = Mutex<[CaptureEvent]>([])
        Task.detached {
            for await event in capture.events { events.withLock { $0.append(event) } }
        }
        try capture.start()
        defer { capture.stop() }
        assertSamplesEqual(try collect(capture, count: period * 2), Array(samples[0..<period * 2]))
        // ...then the device disappears, and the next four opens fail.
        plan.update {
            $0.failingOpens = 4
            $0.frameLimit = $0.framesRead + period * 4
            $0.faults = [$0.reads + 1: ENODEV]
        }
        let after = try collect(capture, count: period * 4)
        assertSamplesEqual(after, samples, "the reopened file plugin starts its file again")

        let snapshot = plan.snapshot
        XCTAssertEqual(snapshot.openAttempts, 6, "the first open, four failures, one success")
        XCTAssertEqual(capture.statistics.reopens, 1)
        // Waits between attempts: 20, 40, 80, 80, 80 ms (doubling, capped).
        let gaps = zip(snapshot.openTimes.dropFirst(2), snapshot.openTimes.dropFirst()).map { ($0 - $1).seconds }
        for (gap, expected) in zip(gaps, [0.040, 0.080, 0.080, 0.080]) {
            XCTAssertGreaterThanOrEqual(gap, expected * 0.9, "gaps \(gaps)")
            XCTAssertLessThan(gap, expected + 0.1, "gaps \(gaps)")
        }
        try waitUntil("the restore event") { events.withLock { $0.count } >= 4 }
        let seen = events.withLock { $0 }
        XCTAssertEqual(seen.count, 4, "\(seen)")
        XCTAssertEqual(seen[0], .opened(device: "hark_test", format: CaptureFormat(rate: 16000, channels: 1, periodFrames: 320)))
        XCTAssertEqual(seen[1], .deviceLost(device: "hark_test", reason: "No such device (error -19)"))
        guard case let .deviceRestored(device, attempts, seconds) = seen[2] else { return XCTFail("\(seen)") }
        XCTAssertEqual(device, "hark_test")
        XCTAssertEqual(attempts, 5)
        XCTAssertGreaterThan(seconds, 0.27)
        XCTAssertEqual(seen[3], seen[0])
        XCTAssertEqual(capture.statistics.producedSamples, Int64(period * 6), "one stream across the outage")
    }

    /// `stop()` during the backoff returns promptly instead of waiting out the delay.
    func testStopDuringAnOutageReturnsPromptly() throws {
        let directory = try makeTemporaryDirectory(self)
        let config = try TestALSAConfiguration(directory: directory, infile: try writeRaw(ramp(320), in: directory))
        let plan = FaultPlan()
        plan.update { $0.faults = [1: EIO] }
        var configuration = ALSACaptureConfiguration(device: "hark_test", configurationFile: config.path)
        configuration.reopenDelay = .seconds(5)
        configuration.maximumReopenDelay = .seconds(5)
        let capture = ALSACapture(validated: configuration, open: faultInjectingOpener(device: "hark_test", configuration: config, plan: plan))
        try capture.start()
        plan.update { $0.failingOpens = 100 }
        try waitUntil("the outage") { capture.format == nil }
        let began = ContinuousClock.now
        capture.stop()
        XCTAssertLessThan(ContinuousClock.now - began, .seconds(1))
        XCTAssertNil(capture.read(maxSamples: 10))
    }
}
