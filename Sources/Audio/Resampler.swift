import Foundation

/// A streaming sample-rate converter for one channel: a polyphase windowed-sinc filter at an
/// exact rational ratio (e.g. 48 kHz → 16 kHz is 1/3, 44.1 kHz → 16 kHz is 160/441).
///
/// Output sample `k` sits at input position `t = k · inputRate / outputRate` and is
/// `Σ x[i] · h(i − t)`, where `h` is a sinc low-pass at `cutoff` × the lower Nyquist frequency,
/// shaped by a Kaiser window (β = 8.6, about 90 dB stop band) over `zeroCrossings` lobes each
/// side. The coefficients for each of the `outputRate/gcd` fractional positions are computed
/// once, and each phase's taps are scaled to sum to exactly 1 (unity gain at DC).
///
/// Streaming: `process` takes any number of input samples and returns the outputs whose filter
/// window is complete, so the output lags by the filter's half-width (about 1 ms at 48 kHz);
/// `flush` returns the rest as if zeros followed. Input before the first sample counts as zeros.
/// Equal rates pass samples through unchanged.
public struct Resampler: Sendable {
    public let inputRate: Int
    public let outputRate: Int
    /// Output phases (`outputRate / gcd`) and the input step per output (`inputRate / gcd`).
    private let phases: Int
    private let step: Int
    /// Input samples each side of the output position the filter reaches.
    private let halfWidth: Int
    /// `phases` rows of `2 · halfWidth` taps: row `p` weights inputs `base − halfWidth + 1 ...
    /// base + halfWidth` for an output at `base + p / phases`.
    private let taps: [Float]
    /// Unconsumed input; `history[0]` is input index `historyStart`.
    private var history: [Float]
    private var historyStart: Int
    /// Index of the next output sample.
    private var nextOutput = 0
    private var inputCount = 0

    /// `cutoff` is the pass band's edge as a fraction of the lower Nyquist frequency; 0.9 keeps
    /// speech up to 7.2 kHz when going to 16 kHz and leaves the transition band room to reach the
    /// stop band by Nyquist.
    public init(inputRate: Int, outputRate: Int, zeroCrossings: Int = 16, cutoff: Double = 0.9) {
        precondition(inputRate > 0 && outputRate > 0, "sample rates must be positive")
        precondition(zeroCrossings > 0 && cutoff > 0 && cutoff <= 1, "invalid filter shape")
        self.inputRate = inputRate
        self.outputRate = outputRate
        let divisor = Resampler.gcd(inputRate, outputRate)
        phases = outputRate / divisor
        step = inputRate / divisor
        // The filter runs at the input rate; its cutoff in cycles per input sample (of 0.5).
        let fc = cutoff * min(1, Double(outputRate) / Double(inputRate)) * 0.5
        halfWidth = inputRate == outputRate ? 0 : Int((Double(zeroCrossings) / (2 * fc)).rounded(.up))
        var taps = [Float](repeating: 0, count: phases * 2 * halfWidth)
        let beta = 8.6
        let windowNorm = Resampler.besselI0(beta)
        for p in 0..<phases where halfWidth > 0 {
            let fraction = Double(p) / Double(phases)
            var row = [Double](repeating: 0, count: 2 * halfWidth)
            for j in 0..<2 * halfWidth {
                // Distance from the output position to input `base - halfWidth + 1 + j`.
                let d = Double(j - halfWidth + 1) - fraction
                let x = d / Double(halfWidth)
                guard abs(x) < 1 else { continue }
                let window = Resampler.besselI0(beta * (1 - x * x).squareRoot()) / windowNorm
                let argument = 2 * fc * d
                let sinc = argument == 0 ? 1 : sin(Double.pi * argument) / (Double.pi * argument)
                row[j] = 2 * fc * sinc * window
            }
            let sum = row.reduce(0, +)
            for j in 0..<2 * halfWidth { taps[p * 2 * halfWidth + j] = Float(row[j] / sum) }
        }
        self.taps = taps
        // Zeros before the first input, so the first outputs have a full window.
        history = [Float](repeating: 0, count: max(0, halfWidth - 1))
        historyStart = -(max(0, halfWidth - 1))
    }

    /// Converts the next input samples; returns the outputs that are complete so far.
    public mutating func process(_ input: [Float]) -> [Float] {
        if halfWidth == 0 {
            inputCount += input.count
            nextOutput += input.count
            return input
        }
        history += input
        inputCount += input.count
        return produce(upTo: inputCount)
    }

    /// The remaining outputs, treating the input as followed by silence: in total
    /// `ceil(inputs · outputRate / inputRate)` outputs over the stream. The resampler is then
    /// ready for a new stream.
    public mutating func flush() -> [Float] {
        defer { reset() }
        guard halfWidth > 0 else { return [] }
        history += [Float](repeating: 0, count: halfWidth)
        let total = (inputCount * phases + step - 1) / step
        var output = produce(upTo: inputCount + halfWidth)
        output.removeLast(max(0, nextOutput - total))
        return output
    }

    /// Forgets all input, as after `init`.
    public mutating func reset() {
        history = [Float](repeating: 0, count: max(0, halfWidth - 1))
        historyStart = -(max(0, halfWidth - 1))
        nextOutput = 0
        inputCount = 0
    }

    /// Outputs whose window ends before input index `available`.
    private mutating func produce(upTo available: Int) -> [Float] {
        var output: [Float] = []
        let width = 2 * halfWidth
        history.withUnsafeBufferPointer { x in
            taps.withUnsafeBufferPointer { h in
                while true {
                    let position = nextOutput * step
                    let base = position / phases
                    let phase = position - base * phases
                    let first = base - halfWidth + 1
                    guard first + width <= available else { break }
                    let offset = first - historyStart
                    let row = phase * width
                    var sum: Float = 0
                    for j in 0..<width { sum += x[offset + j] * h[row + j] }
                    output.append(sum)
                    nextOutput += 1
                }
            }
        }
        // Drop input no later output can reach.
        let needed = (nextOutput * step) / phases - halfWidth + 1
        if needed > historyStart {
            history.removeFirst(min(history.count, needed - historyStart))
            historyStart = needed
        }
        return output
    }

    /// Converts a whole recording at once.
    public static func resample(_ samples: [Float], from inputRate: Int, to outputRate: Int) -> [Float] {
        var resampler = Resampler(inputRate: inputRate, outputRate: outputRate)
        return resampler.process(samples) + resampler.flush()
    }

    static func gcd(_ a: Int, _ b: Int) -> Int { b == 0 ? a : gcd(b, a % b) }

    /// The modified Bessel function of the first kind, order 0, by its power series.
    static func besselI0(_ x: Double) -> Double {
        var sum = 1.0, term = 1.0
        let quarter = x * x / 4
        for k in 1..<64 {
            term *= quarter / Double(k * k)
            sum += term
            if term < sum * 1e-17 { break }
        }
        return sum
    }
}

/// Conversions between interleaved Int16 frames and Hark's mono 16 kHz samples.
enum SampleConversion {
    /// The average of each frame's channels, scaled to `-1...1`.
    static func monoFloats(interleaved: UnsafeBufferPointer<Int16>, channels: Int) -> [Float] {
        let frames = interleaved.count / channels
        var mono = [Float](repeating: 0, count: frames)
        let scale = 1 / (32768 * Float(channels))
        for f in 0..<frames {
            var sum: Int32 = 0
            for c in 0..<channels { sum += Int32(interleaved[f * channels + c]) }
            mono[f] = Float(sum) * scale
        }
        return mono
    }

    /// `-1...1` floats to Int16, rounded and clamped (a filter's overshoot must not wrap).
    static func int16(_ samples: [Float]) -> [Int16] {
        samples.map { Int16(max(-32768, min(32767, ($0 * 32768).rounded()))) }
    }
}

/// Turns a device's interleaved S16 frames at its own rate and channel count into 16 kHz mono,
/// period by period: channels are averaged, then resampled (`Resampler`). Used by the capture
/// thread and by the file sources.
struct FormatConverter: Sendable {
    let inputRate: Int
    let channels: Int
    private var resampler: Resampler

    init(inputRate: Int, channels: Int) {
        self.inputRate = inputRate
        self.channels = channels
        resampler = Resampler(inputRate: inputRate, outputRate: AudioFrame.sampleRate)
    }

    var isIdentity: Bool { inputRate == AudioFrame.sampleRate && channels == 1 }

    mutating func convert(_ interleaved: UnsafeBufferPointer<Int16>) -> [Int16] {
        if isIdentity { return Array(interleaved) }
        return SampleConversion.int16(resampler.process(SampleConversion.monoFloats(interleaved: interleaved, channels: channels)))
    }

    mutating func flush() -> [Int16] {
        SampleConversion.int16(resampler.flush())
    }

    /// A whole recording: converted and flushed.
    static func convertAll(_ interleaved: [Int16], rate: Int, channels: Int) -> [Int16] {
        var converter = FormatConverter(inputRate: rate, channels: channels)
        if converter.isIdentity { return interleaved }
        return interleaved.withUnsafeBufferPointer { converter.convert($0) } + converter.flush()
    }
}
