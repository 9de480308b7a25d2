import Foundation

/// Decides, 10 ms at a time, whether a frame of 16 kHz audio holds speech: an energy detector
/// against an adaptive noise floor, helped by the zero-crossing rate for weak fricatives.
///
/// Why not the WebRTC VAD DESIGN.md section 5 measured: Debian's `libwebrtc-audio-processing`
/// (0.3) is not part of Hark's set-up, ships only the C++ `AudioProcessing` API as headers (its
/// C `WebRtcVad_*` functions are exported from the library but have no installed header), and a
/// hub should not need a C++ shim for this. The detector here is plain Swift at a few
/// multiply-adds per sample. Measured on espeak-ng commands (three voices) padded with silence
/// and white noise down to about 20 dB SNR: starts within 5 ms of the speech, ends within 20 ms,
/// except a weak final plosive under noise, whose end is reported up to 140 ms early (the
/// utterance's post-roll still carries it to the recogniser). Tuned on white noise only: babble,
/// music and a television are not tested.
///
/// How a frame is judged:
/// - its level `E` in dBFS (mean square of the frame, DC removed) and its zero-crossing rate;
/// - the noise floor `F` follows the level of non-speech frames: down quickly (a fifth of the way
///   per frame) and up slowly (`floorRise` of the way per frame: a time constant of 1 s), never below
///   `minimumFloor` (so digital silence does not make every hiss speech);
/// - speech when `E ≥ F + onsetMargin` (or `sustainMargin`, lower, once speech has begun: the
///   hysteresis that keeps word endings), or when `E ≥ F + fricativeMargin` with a zero-crossing
///   rate of at least `fricativeCrossings` (an /s/ or /f/ is weak but crosses zero often; noise at
///   the floor's level does not pass the margin).
public struct VoiceActivityDetector: Sendable {
    /// The detector's thresholds. Margins are in dB above the noise floor.
    public struct Configuration: Sendable, Equatable {
        public var onsetMargin = 10.0
        public var sustainMargin = 6.0
        public var fricativeMargin = 4.0
        /// Zero crossings per sample (0...1); 0.3 is about 2.4 kHz of dominant frequency.
        public var fricativeCrossings = 0.3
        /// The lowest noise floor, in dBFS.
        public var minimumFloor = -70.0
        /// Fraction of the distance to a louder non-speech frame the floor moves per frame.
        public var floorRise = 0.01

        public init() {}
    }

    /// Samples per frame: 10 ms at 16 kHz.
    public static let frameLength = 160

    public let configuration: Configuration
    /// The current noise floor in dBFS; `nil` before the first frame.
    public private(set) var noiseFloor: Double?

    public init(configuration: Configuration = Configuration()) {
        self.configuration = configuration
    }

    /// A frame's level in dBFS (mean square after removing its mean) and zero-crossing rate.
    public static func measure(_ frame: UnsafeBufferPointer<Int16>) -> (level: Double, crossings: Double) {
        guard frame.count > 1 else { return (-100, 0) }
        var sum = 0.0
        for s in frame { sum += Double(s) }
        let mean = sum / Double(frame.count)
        var energy = 0.0
        var crossings = 0
        var previous = Double(frame[0]) - mean
        for s in frame {
            let x = Double(s) - mean
            energy += x * x
            if (x >= 0) != (previous >= 0) { crossings += 1 }
            previous = x
        }
        let meanSquare = energy / Double(frame.count) / (32768.0 * 32768.0)
        return (max(-100, 10 * log10(meanSquare + 1e-12)), Double(crossings) / Double(frame.count - 1))
    }

    /// Whether `frame` holds speech. `inSpeech` selects the lower sustain margin. The noise floor
    /// learns from the frame when it is not speech, or always when `adaptAlways` (the endpointer
    /// uses that after a forced cut, to get over a new loud steady noise).
    public mutating func isSpeech(_ frame: UnsafeBufferPointer<Int16>, inSpeech: Bool, adaptAlways: Bool = false) -> Bool {
        let (level, crossings) = Self.measure(frame)
        let c = configuration
        let floor = noiseFloor ?? max(level, c.minimumFloor)
        let margin = inSpeech ? c.sustainMargin : c.onsetMargin
        let speech = level >= floor + margin || (level >= floor + c.fricativeMargin && crossings >= c.fricativeCrossings)
        if !speech || adaptAlways {
            let rate = level < floor ? 0.2 : (adaptAlways ? max(c.floorRise, 0.05) : c.floorRise)
            noiseFloor = max(c.minimumFloor, floor + rate * (level - floor))
        } else if noiseFloor == nil {
            noiseFloor = floor
        }
        return speech
    }
}
