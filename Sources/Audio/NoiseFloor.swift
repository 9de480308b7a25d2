/// Gives digital silence the noise floor of a microphone: a 10 ms block whose samples all lie within
/// ±`quietPeak` (32: −60 dBFS) gets uniform pseudo-random noise of ±`amplitude` (40: about −58 dBFS
/// peak) added.
///
/// Why: a TTS file, a muted USB microphone or a network source pads with exact zeros (or ±1–2 after
/// resampling), which no microphone produces. PocketSphinx's features of such frames sit far below
/// anything its acoustic model saw, and its running cepstral mean drifts. Measured here (espeak-ng
/// "hey hark house", 0.4 s of digital silence, one of six commands; en-us at 150 and 175 words a
/// minute, en-us+f3 at 170, en-gb at 130; 24 WAV files through `hark listen --wav`): the wake
/// phrase was heard in 13 of 24 files without the floor (0 of 6 for en-us at 150) and in 22 of 24
/// with it. PocketSphinx's own `-dither yes` (±½ bit) did not help.
/// Louder blocks (any speech, a microphone's own noise) pass unchanged.
///
/// Deterministic (a fixed-seed xorshift), so the same audio always gives the same transcript.
public struct NoiseFloor: Sendable {
    public let amplitude: Int
    /// The largest magnitude a block may hold and still count as digital silence.
    public let quietPeak: Int
    /// Samples per block judged quiet or not: 10 ms at 16 kHz.
    public static let blockLength = 160
    private var state: UInt64

    public init(amplitude: Int = 40, quietPeak: Int = 32, seed: UInt64 = 0x9E37_79B9_7F4A_7C15) {
        precondition(amplitude >= 1 && amplitude <= 1000, "noise floor amplitude \(amplitude) outside 1...1000")
        precondition(quietPeak >= 0 && quietPeak < amplitude, "quiet peak \(quietPeak) outside 0..<\(amplitude)")
        self.amplitude = amplitude
        self.quietPeak = quietPeak
        state = seed == 0 ? 1 : seed
    }

    /// `samples` with noise added to each block of digital silence; blocks start at the first
    /// sample of each call.
    public mutating func fill(_ samples: [Int16]) -> [Int16] {
        var out = samples
        let span = UInt64(2 * amplitude + 1)
        var start = 0
        while start < out.count {
            let end = min(start + Self.blockLength, out.count)
            if out[start..<end].allSatisfy({ abs(Int($0)) <= quietPeak }) {
                for i in start..<end {
                    state ^= state << 13
                    state ^= state >> 7
                    state ^= state << 17
                    out[i] = Int16(Int(out[i]) + Int(state % span) - amplitude)
                }
            }
            start = end
        }
        return out
    }
}
