/// Cuts a stream of 16 kHz samples into utterances: where speech starts, where it ends, and the
/// samples in between with some audio before (pre-roll, so a recogniser hears the onset) and
/// after.
///
/// Works on 10 ms frames judged by `VoiceActivityDetector` (energy against an adaptive noise
/// floor, plus zero-crossing rate; see there why not WebRTC's VAD):
/// - speech starts after `onsetFrames` consecutive speech frames, at the first of them:
///   `speechStarted` at once (a streaming recogniser may begin), the utterance keeps
///   `preRoll` of audio before that point;
/// - it ends when `trailingSilence` passes without a speech frame: the utterance then ends
///   `postRoll` after the last speech frame, and is emitted if its speech lasted at least
///   `minimumSpeech` (else `speechDiscarded(.tooShort)`: a door, a cough);
/// - it is cut at `maximumLength` of speech (`endReason: .maximumLength`), after which no new
///   utterance starts until `trailingSilence` of silence has passed (a television must not feed
///   the recogniser back-to-back 8-second chunks), while the noise floor adapts to the level;
/// - a gap in the sample indices (samples dropped upstream) ends the utterance in progress as
///   `speechDiscarded(.discontinuity)`: a command with a hole in it is not worth recognising.
///
/// A value type with no threads: feed it frames in order with `process`, and call `finish` at the
/// end of a stream (a file) to get the utterance in progress.
public struct Endpointer: Sendable {
    /// Timings of the segmentation; durations are rounded down to 10 ms frames.
    public struct Configuration: Sendable, Equatable {
        public var preRoll: Duration = .milliseconds(300)
        public var postRoll: Duration = .milliseconds(200)
        public var trailingSilence: Duration = .milliseconds(700)
        public var maximumLength: Duration = .seconds(8)
        public var minimumSpeech: Duration = .milliseconds(200)
        /// Consecutive speech frames that make an onset (30 ms: a click is not speech).
        public var onsetFrames = 3
        public var detector = VoiceActivityDetector.Configuration()

        public init() {}
    }

    public let configuration: Configuration
    public private(set) var detector: VoiceActivityDetector

    private enum State {
        case idle(run: Int)
        case speech(start: Int64, lastSpeechEnd: Int64, silentFrames: Int)
        case waitingForSilence(silentFrames: Int)
    }

    private var state = State.idle(run: 0)
    /// The next sample index expected; `nil` before the first frame.
    private var expected: Int64?
    /// Samples not yet making a whole frame, starting at `expected - pending.count`.
    private var pending: [Int16] = []
    /// Recent samples, ending at the last whole frame: the pre-roll, and the utterance so far.
    private var recent: [Int16] = []
    private var recentStart: Int64 = 0

    private let frameLength = VoiceActivityDetector.frameLength
    /// `preRoll` in samples, rounded down to whole frames.
    public let preRollSamples: Int
    private let postRollSamples: Int
    private let trailingFrames: Int
    private let maximumSamples: Int
    private let minimumSamples: Int

    public init(configuration: Configuration = Configuration()) {
        self.configuration = configuration
        detector = VoiceActivityDetector(configuration: configuration.detector)
        let frame = VoiceActivityDetector.frameLength
        preRollSamples = AudioFrame.samples(in: configuration.preRoll) / frame * frame
        postRollSamples = AudioFrame.samples(in: configuration.postRoll) / frame * frame
        trailingFrames = max(1, AudioFrame.samples(in: configuration.trailingSilence) / frame)
        maximumSamples = max(frame, AudioFrame.samples(in: configuration.maximumLength))
        minimumSamples = AudioFrame.samples(in: configuration.minimumSpeech)
    }

    /// Whether an utterance is in progress.
    public var inSpeech: Bool {
        if case .speech = state { return true }
        return false
    }

    /// Stream index one past the last sample judged (whole 10 ms frames only; a partial frame waits).
    public var judgedEnd: Int64 { recentStart + Int64(recent.count) }

    /// The samples kept from `index` (clamped to what is kept) up to `judgedEnd`. During speech
    /// they reach back to the pre-roll before the onset, so a streaming recogniser can be fed the
    /// utterance as it grows.
    public func bufferedSamples(from index: Int64) -> ArraySlice<Int16> {
        let from = Int(min(max(0, index - recentStart), Int64(recent.count)))
        return recent[from...]
    }

    /// During speech: the silence since the last speech frame, in samples (0 right after speech);
    /// nil when no utterance is in progress.
    public var trailingSilenceSamples: Int? {
        if case let .speech(_, _, silentFrames) = state { return silentFrames * frameLength }
        return nil
    }

    /// Ends the utterance in progress now, as if `trailingSilence` had passed (a caller that knows
    /// the command is complete need not wait for it): returns its `.utterance` (or
    /// `.speechDiscarded(.tooShort)`), nothing when no utterance is in progress.
    public mutating func endUtterance() -> [EndpointerEvent] {
        guard case let .speech(start, lastSpeechEnd, _) = state else { return [] }
        var events: [EndpointerEvent] = []
        finalize(start: start, speechEnd: lastSpeechEnd, reason: .silence, into: &events)
        state = .idle(run: 0)
        return events
    }

    /// Feeds the next frame; returns what it completed, in order.
    public mutating func process(_ frame: AudioFrame) -> [EndpointerEvent] {
        var events: [EndpointerEvent] = []
        if let expected, frame.startIndex != expected {
            if case let .speech(start, lastSpeechEnd, _) = state {
                events.append(.speechDiscarded(start: start, end: lastSpeechEnd, reason: .discontinuity))
                state = .idle(run: 0)
            } else if case .idle = state {
                state = .idle(run: 0)
            }
            pending = []
            recent = []
        }
        if expected == nil || frame.startIndex != expected {
            recentStart = frame.startIndex
        }
        expected = frame.endIndex
        pending += frame.samples
        var offset = 0
        while pending.count - offset >= frameLength {
            let start = recentStart + Int64(recent.count)
            recent += pending[offset..<offset + frameLength]
            offset += frameLength
            step(frameStart: start, into: &events)
        }
        pending.removeFirst(offset)
        return events
    }

    /// Ends the stream: the utterance in progress, if any, ends at the last speech frame
    /// (`endReason: .endOfStream`). The endpointer is then ready for a new stream.
    public mutating func finish() -> [EndpointerEvent] {
        var events: [EndpointerEvent] = []
        if case let .speech(start, lastSpeechEnd, _) = state {
            finalize(start: start, speechEnd: lastSpeechEnd, reason: .endOfStream, into: &events)
        }
        state = .idle(run: 0)
        expected = nil
        pending = []
        recent = []
        return events
    }

    /// Judges the whole frame that ends `recent` and starts at `frameStart`.
    private mutating func step(frameStart: Int64, into events: inout [EndpointerEvent]) {
        let frameEnd = frameStart + Int64(frameLength)
        let speech = recent.withUnsafeBufferPointer { all in
            let frame = UnsafeBufferPointer(rebasing: all[(all.count - frameLength)...])
            if case .waitingForSilence = state {
                return detector.isSpeech(frame, inSpeech: false, adaptAlways: true)
            }
            return detector.isSpeech(frame, inSpeech: inSpeech)
        }
        switch state {
        case .idle(let run):
            let run = speech ? run + 1 : 0
            if run >= configuration.onsetFrames {
                let start = frameEnd - Int64(run * frameLength)
                state = .speech(start: start, lastSpeechEnd: frameEnd, silentFrames: 0)
                events.append(.speechStarted(sampleIndex: start))
            } else {
                state = .idle(run: run)
                trimRecent(keepingFrom: frameEnd - Int64(preRollSamples + configuration.onsetFrames * frameLength))
            }
        case let .speech(start, lastSpeechEnd, silentFrames):
            let lastSpeechEnd = speech ? frameEnd : lastSpeechEnd
            let silentFrames = speech ? 0 : silentFrames + 1
            if frameEnd - start >= Int64(maximumSamples) {
                finalize(start: start, speechEnd: frameEnd, reason: .maximumLength, into: &events)
                state = .waitingForSilence(silentFrames: 0)
            } else if silentFrames >= trailingFrames {
                finalize(start: start, speechEnd: lastSpeechEnd, reason: .silence, into: &events)
                state = .idle(run: 0)
            } else {
                state = .speech(start: start, lastSpeechEnd: lastSpeechEnd, silentFrames: silentFrames)
            }
        case .waitingForSilence(let silentFrames):
            let silentFrames = speech ? 0 : silentFrames + 1
            state = silentFrames >= trailingFrames ? .idle(run: 0) : .waitingForSilence(silentFrames: silentFrames)
            trimRecent(keepingFrom: frameEnd - Int64(preRollSamples + configuration.onsetFrames * frameLength))
        }
    }

    private mutating func finalize(start: Int64, speechEnd: Int64, reason: Utterance.EndReason, into events: inout [EndpointerEvent]) {
        defer { trimRecent(keepingFrom: recentStart + Int64(recent.count)) }
        guard speechEnd - start >= Int64(minimumSamples) else {
            events.append(.speechDiscarded(start: start, end: speechEnd, reason: .tooShort))
            return
        }
        let from = max(recentStart, start - Int64(preRollSamples))
        let to = min(recentStart + Int64(recent.count), speechEnd + Int64(postRollSamples))
        let samples = Array(recent[Int(from - recentStart)..<Int(to - recentStart)])
        events.append(.utterance(Utterance(samples: samples, startIndex: from, speechStart: start, speechEnd: speechEnd, endReason: reason)))
    }

    /// Forgets samples before `index` (keeps whole frames only).
    private mutating func trimRecent(keepingFrom index: Int64) {
        let drop = Int(min(max(0, index - recentStart), Int64(recent.count)))
        guard drop > 0 else { return }
        recent.removeFirst(drop)
        recentStart += Int64(drop)
    }
}

/// What the endpointer found in the stream.
public enum EndpointerEvent: Sendable, Equatable {
    /// Speech began at this sample index (the onset, before the pre-roll).
    case speechStarted(sampleIndex: Int64)
    /// A complete utterance.
    case utterance(Utterance)
    /// Speech that began (a `speechStarted` was sent) but is not an utterance after all.
    case speechDiscarded(start: Int64, end: Int64, reason: DiscardReason)

    public enum DiscardReason: Sendable, Equatable {
        /// Shorter than `minimumSpeech`.
        case tooShort
        /// Samples were missing from the stream (dropped upstream) during the speech.
        case discontinuity
    }
}

/// One utterance: its samples (pre-roll and post-roll included) and where the speech in it is.
public struct Utterance: Sendable, Equatable {
    /// 16 kHz mono, from `startIndex`.
    public var samples: [Int16]
    /// Stream index of `samples[0]` (the pre-roll's start).
    public var startIndex: Int64
    /// Stream indices of the speech: its first sample and one past its last speech frame.
    public var speechStart: Int64
    public var speechEnd: Int64
    public var endReason: EndReason

    public enum EndReason: Sendable, Equatable {
        /// `trailingSilence` followed the speech.
        case silence
        /// The speech reached `maximumLength` and was cut.
        case maximumLength
        /// `Endpointer.finish()` was called during the speech.
        case endOfStream
    }

    public init(samples: [Int16], startIndex: Int64, speechStart: Int64, speechEnd: Int64, endReason: EndReason) {
        self.samples = samples
        self.startIndex = startIndex
        self.speechStart = speechStart
        self.speechEnd = speechEnd
        self.endReason = endReason
    }

    public var endIndex: Int64 { startIndex + Int64(samples.count) }
    /// The speech's length in seconds (without pre- and post-roll).
    public var speechDuration: Double { AudioFrame.seconds(speechEnd - speechStart) }
}
