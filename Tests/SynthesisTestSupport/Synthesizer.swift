import Foundation
import Intents

/// An espeak-ng voice and speaking rate (words per minute).
public struct Voice: Hashable, Sendable, CustomStringConvertible {
    public var name: String
    public var speed: Int
    public init(name: String, speed: Int) {
        self.name = name
        self.speed = speed
    }
    public var description: String { "\(name) s\(speed)" }

    /// The three voices the speech tests use (DESIGN.md section 6: several voices and speeds).
    public static let testVoices = [Voice(name: "en-us", speed: 150), Voice(name: "en-us+f3", speed: 170), Voice(name: "en-gb", speed: 130)]
}

/// Speech synthesised with espeak-ng and converted by sox to 16 kHz mono signed 16-bit raw, cached in
/// a temporary directory by voice, speed and text (FNV-1a, so the key is the same in every run).
public enum Synthesizer {
    public static let cache: URL = {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("hark-speech-test-cache")
        try? FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        return dir
    }()

    public static func samples(_ text: String, voice: Voice) throws -> [Int16] {
        let key = fnv1a("\(voice.name)|\(voice.speed)|\(text)")
        let raw = cache.appendingPathComponent(String(format: "%016llx.raw", key))
        if !FileManager.default.fileExists(atPath: raw.path) {
            let wav = cache.appendingPathComponent("\(UUID().uuidString).wav")
            let tmp = cache.appendingPathComponent("\(UUID().uuidString).raw")
            defer { try? FileManager.default.removeItem(at: wav) }
            try run("/usr/bin/espeak-ng", ["-v", voice.name, "-s", String(voice.speed), "-w", wav.path, text])
            try run("/usr/bin/sox", [wav.path, "-r", "16000", "-c", "1", "-b", "16", "-e", "signed-integer", tmp.path])
            try FileManager.default.moveItem(at: tmp, to: raw)  // atomic: a killed run leaves no half file
        }
        return try RawAudio.read(raw)
    }

    public static func silence(seconds: Double) -> [Int16] { [Int16](repeating: 0, count: Int(seconds * 16_000)) }

    /// `samples` with white noise of ±40 (about −58 dBFS) added, as a microphone's noise floor.
    /// espeak-ng's pauses and the padding are exact zeros, which no microphone produces and which
    /// throw PocketSphinx's feature normalisation off (measured on 20 commands × 3 voices: 63 %
    /// exact sentences on zero padding, 80 % with this floor; `-dither yes` did not help).
    public static func withNoiseFloor(_ samples: [Int16], seed: UInt64 = 1) -> [Int16] {
        var rng = SeededGenerator(seed: seed)
        return samples.map { Int16(clamping: Int($0) + Int.random(in: -40...40, using: &rng)) }
    }

    /// Little-endian bytes of 16-bit samples, as a raw S16_LE file (and ALSA's `file` plugin) holds them.
    public static func rawBytes(_ samples: [Int16]) -> Data {
        var data = Data(capacity: samples.count * 2)
        for s in samples { data.append(contentsOf: [UInt8(truncatingIfNeeded: s), UInt8(truncatingIfNeeded: s >> 8)]) }
        return data
    }

    private static func run(_ tool: String, _ args: [String]) throws {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: tool)
        p.arguments = args
        p.standardOutput = FileHandle.nullDevice
        p.standardError = FileHandle.nullDevice
        try p.run()
        p.waitUntilExit()
        guard p.terminationStatus == 0 else { throw SynthesisError(command: ([tool] + args).joined(separator: " ")) }
    }

    private static func fnv1a(_ s: String) -> UInt64 {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for b in s.utf8 { h = (h ^ UInt64(b)) &* 0x100_0000_01b3 }
        return h
    }
}

public struct SynthesisError: Error, CustomStringConvertible {
    public var command: String
    public var description: String { "failed: \(command)" }
}

/// Test-only reader for 16-bit little-endian mono PCM: headerless raw files, or WAV files (RIFF,
/// PCM format 1, 16 bits, one channel), whose `data` chunk it returns.
public enum RawAudio {
    public static func read(_ url: URL) throws -> [Int16] {
        let data = try Data(contentsOf: url)
        var body = data[...]
        if data.starts(with: Array("RIFF".utf8)) {
            body = try wavData(data)
        }
        return body.withUnsafeBytes { raw in
            (0..<raw.count / 2).map { Int16(littleEndian: raw.loadUnaligned(fromByteOffset: $0 * 2, as: Int16.self)) }
        }
    }

    private static func wavData(_ data: Data) throws -> Data.SubSequence {
        func u32(_ at: Int) -> Int { data.withUnsafeBytes { Int(UInt32(littleEndian: $0.loadUnaligned(fromByteOffset: at, as: UInt32.self))) } }
        func u16(_ at: Int) -> Int { data.withUnsafeBytes { Int(UInt16(littleEndian: $0.loadUnaligned(fromByteOffset: at, as: UInt16.self))) } }
        var at = 12
        while at + 8 <= data.count {
            let id = String(decoding: data[at..<at + 4], as: UTF8.self)
            let size = u32(at + 4)
            if id == "fmt ", u16(at + 8) != 1 || u16(at + 10) != 1 || u16(at + 22) != 16 {
                throw SynthesisError(command: "WAV is not 16-bit mono PCM")
            }
            if id == "data" { return data[(at + 8)..<min(at + 8 + size, data.count)] }
            at += 8 + size + (size & 1)
        }
        throw SynthesisError(command: "WAV without a data chunk")
    }
}

/// An ALSA configuration file whose PCM `name` captures from `infile` (a raw S16_LE file or a
/// FIFO) through the `file` plugin over a `null` slave: the real capture API with no sound card
/// (DESIGN.md section 6). The plugin never signals end of file; end such files in silence.
public enum TestALSADevice {
    @discardableResult
    public static func write(to path: String, name: String = "hark_test", infile: String) throws -> String {
        let text = """
            pcm.\(name) {
                type file
                slave.pcm { type null }
                file "/dev/null"
                infile "\(infile)"
                format "raw"
            }

            """
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }
}
