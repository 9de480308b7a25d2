import Foundation
import Synchronization
import XCTest

@testable import Audio

/// A fresh temporary directory per test, removed afterwards.
func makeTemporaryDirectory(_ test: XCTestCase) throws -> URL {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("hark-audio-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    test.addTeardownBlock { try? FileManager.default.removeItem(at: url) }
    return url
}

/// Little-endian bytes of 16-bit samples, as a raw S16_LE file holds them.
func rawBytes(_ samples: [Int16]) -> Data {
    var data = Data(capacity: samples.count * 2)
    for s in samples { data.append(contentsOf: [UInt8(truncatingIfNeeded: s), UInt8(truncatingIfNeeded: s >> 8)]) }
    return data
}

/// `amplitude · sin(2π f n / rate)` for `count` samples (as Doubles in -1...1).
func sine(frequency: Double, rate: Int, count: Int, amplitude: Double = 0.5) -> [Double] {
    (0..<count).map { amplitude * sin(2 * Double.pi * frequency * Double($0) / Double(rate)) }
}

func int16(_ x: [Double]) -> [Int16] { x.map { Int16(max(-32768, min(32767, ($0 * 32768).rounded()))) } }

/// Signal-to-error ratio in dB of `actual` against `expected` (both scaled to -1...1).
func snr(_ actual: [Double], _ expected: [Double]) -> Double {
    precondition(actual.count == expected.count)
    var signal = 0.0, error = 0.0
    for (a, e) in zip(actual, expected) {
        signal += e * e
        error += (a - e) * (a - e)
    }
    return 10 * log10(signal / max(error, 1e-30))
}

/// Deterministic white noise (a 64-bit LCG), uniform with the given RMS in dBFS.
func whiteNoise(count: Int, rmsDBFS: Double, seed: UInt64 = 0x9E37_79B9_7F4A_7C15) -> [Int16] {
    var state = seed
    let rms = pow(10, rmsDBFS / 20) * 32768
    let amplitude = rms * 3.0.squareRoot()  // uniform on [-a, a] has RMS a/sqrt(3)
    return (0..<count).map { _ in
        state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
        let u = Double(state >> 11) / Double(1 << 53) * 2 - 1
        return Int16(max(-32768, min(32767, (u * amplitude).rounded())))
    }
}

func mix(_ a: [Int16], _ b: [Int16]) -> [Int16] {
    precondition(a.count == b.count)
    return zip(a, b).map { Int16(clamping: Int32($0) + Int32($1)) }
}

/// Runs a command-line tool, failing the test with its output when it does not succeed.
func run(_ tool: String, _ arguments: [String]) throws {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = [tool] + arguments
    let pipe = Pipe()
    process.standardOutput = pipe
    process.standardError = pipe
    try process.run()
    let output = pipe.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    guard process.terminationStatus == 0 else {
        throw TestFailure("\(tool) \(arguments.joined(separator: " ")) failed (\(process.terminationStatus)): \(String(decoding: output, as: UTF8.self))")
    }
}

struct TestFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// Speech as DESIGN.md section 6 makes it: espeak-ng, then sox to 16 kHz mono 16-bit.
/// Returns the 16 kHz samples and the path of espeak-ng's own file (22.05 kHz).
func synthesize(_ text: String, voice: String = "en-us", speed: Int = 150, in directory: URL) throws -> (samples: [Int16], espeakFile: String) {
    let name = UUID().uuidString
    let original = directory.appendingPathComponent("\(name)-espeak.wav").path
    let converted = directory.appendingPathComponent("\(name)-16k.wav").path
    try run("espeak-ng", ["-v", voice, "-s", String(speed), "-w", original, text])
    try run("sox", [original, "-r", "16000", "-c", "1", "-b", "16", converted])
    let file = try WAVFile(contentsOf: converted)
    XCTAssertEqual(file.sampleRate, 16000)
    XCTAssertEqual(file.channels, 1)
    return (file.samples, original)
}

// MARK: - ALSA test devices

/// An ALSA configuration file defining test PCMs over the `file` plugin (DESIGN.md section 6):
/// the `null` slave makes no sound card necessary and `infile` supplies the captured samples.
struct TestALSAConfiguration {
    let path: String

    /// `pcm.<name>` reads S16_LE samples from `infile` at whatever rate and channels are asked for;
    /// `pcm.<name>_48k_stereo` is a `plug` over it whose slave is fixed at 48 kHz stereo, so a
    /// capture that forbids alsa-lib's own conversion gets 48 kHz stereo, as from a real card.
    init(directory: URL, name: String = "hark_test", infile: String) throws {
        path = directory.appendingPathComponent("asound-\(name).conf").path
        let text = """
            pcm.\(name) {
                type file
                slave.pcm { type null }
                file "/dev/null"
                infile "\(infile)"
                format "raw"
            }
            pcm.\(name)_48k_stereo {
                type plug
                slave { pcm "\(name)"; rate 48000; channels 2 }
            }

            """
        try text.write(toFile: path, atomically: true, encoding: .utf8)
    }
}

/// The faults a test wants a capture device to show, and what the capture did about them.
final class FaultPlan: Sendable {
    struct State {
        /// Errno to return instead of reading, keyed by the 1-based number of the read call.
        var faults: [Int: Int32] = [:]
        var reads = 0
        var framesRead = 0
        /// After this many frames the device delivers nothing (waits, then `-EAGAIN`).
        var frameLimit = Int.max
        var prepares = 0
        var resumes = 0
        /// What `snd_pcm_resume` answers, in order; `nil` (or none left) asks the real device.
        var resumeResults: [Int32?] = []
        var openAttempts = 0
        var openTimes: [ContinuousClock.Instant] = []
        /// Open attempts still to fail (with `-ENODEV`, as for an unplugged device).
        var failingOpens = 0
        /// Sleep per read, for pacing the otherwise instant `file` plugin.
        var pace: Duration = .zero
    }

    let state = Mutex(State())

    func update(_ change: (inout State) -> Void) { state.withLock { change(&$0) } }
    var snapshot: State { state.withLock { $0 } }
}

/// A capture device that passes every call to a real ALSA PCM except where `plan` says to fail.
final class FaultInjectingPCM: CapturePCM {
    let inner: any CapturePCM
    let plan: FaultPlan

    init(_ inner: any CapturePCM, plan: FaultPlan) {
        self.inner = inner
        self.plan = plan
    }

    var format: CaptureFormat { inner.format }

    func read(into buffer: UnsafeMutablePointer<Int16>, frames: Int) -> Int {
        let (fault, pace, limited) = plan.state.withLock { s -> (Int32?, Duration, Bool) in
            s.reads += 1
            return (s.faults.removeValue(forKey: s.reads), s.pace, s.framesRead >= s.frameLimit)
        }
        if let fault { return -Int(fault) }
        if limited {
            Thread.sleep(forTimeInterval: 0.005)
            return -Int(EAGAIN)
        }
        if pace > .zero { Thread.sleep(forTimeInterval: pace.seconds) }
        let n = inner.read(into: buffer, frames: frames)
        if n > 0 { plan.update { $0.framesRead += n } }
        return n
    }

    func prepare() -> Int32 {
        plan.update { $0.prepares += 1 }
        return inner.prepare()
    }

    func resume() -> Int32 {
        let result = plan.state.withLock { s -> Int32? in
            s.resumes += 1
            return s.resumeResults.isEmpty ? nil : s.resumeResults.removeFirst()
        }
        return result ?? inner.resume()
    }
}

/// An opener for `ALSACapture` that opens the real ALSA device through the test configuration
/// and wraps it in a `FaultInjectingPCM`.
func faultInjectingOpener(
    device: String, configuration: TestALSAConfiguration, plan: FaultPlan, periodTime: Duration = .milliseconds(20)
) -> CapturePCMOpener {
    let path = configuration.path
    return {
        let fail = plan.state.withLock { s -> Bool in
            s.openAttempts += 1
            s.openTimes.append(.now)
            guard s.failingOpens > 0 else { return false }
            s.failingOpens -= 1
            return true
        }
        if fail { throw AudioError.deviceOpenFailed(device: device, code: -ENODEV, reason: "No such device") }
        let pcm = try ALSAPCM(
            device: device, configurationFile: path, periodTime: periodTime, bufferTime: .milliseconds(200),
            allowALSAConversion: false)
        return FaultInjectingPCM(pcm, plan: plan)
    }
}

/// Compares sample arrays without printing thousands of numbers on failure.
func assertSamplesEqual(_ actual: [Int16], _ expected: [Int16], _ message: String = "", file: StaticString = #filePath, line: UInt = #line) {
    guard actual != expected else { return }
    let mismatch = (0..<min(actual.count, expected.count)).first { actual[$0] != expected[$0] } ?? min(actual.count, expected.count)
    let got = actual[mismatch..<min(actual.count, mismatch + 5)]
    let want = expected[mismatch..<min(expected.count, mismatch + 5)]
    XCTFail("samples differ (\(actual.count) vs \(expected.count)) from index \(mismatch): \(Array(got)) instead of \(Array(want)). \(message)", file: file, line: line)
}

/// Reads from `source` until `count` samples have arrived (or `timeout` passes), checking that
/// the frames are contiguous.
func collect(_ source: ALSACapture, count: Int, timeout: Duration = .seconds(10)) throws -> [Int16] {
    var samples: [Int16] = []
    var next: Int64?
    let deadline = ContinuousClock.now + timeout
    while samples.count < count {
        guard ContinuousClock.now < deadline else {
            throw TestFailure("only \(samples.count) of \(count) samples within \(timeout)")
        }
        guard let frame = source.read(maxSamples: count - samples.count, timeout: .milliseconds(200)) else { continue }
        if let next, frame.startIndex != next {
            throw TestFailure("frame starts at \(frame.startIndex), expected \(next)")
        }
        next = frame.endIndex
        samples += frame.samples
    }
    return samples
}

/// Waits until `condition` holds, polling; fails the test after `timeout`.
func waitUntil(_ what: String, timeout: Duration = .seconds(10), _ condition: () -> Bool) throws {
    let deadline = ContinuousClock.now + timeout
    while !condition() {
        guard ContinuousClock.now < deadline else { throw TestFailure("timed out waiting for \(what)") }
        Thread.sleep(forTimeInterval: 0.005)
    }
}
