import Audio
import Foundation
import Intents
import Speech

/// The speech path from frames to command text, on one thread: `Endpointer` cuts utterances, the
/// `WakePhraseSpotter` listens to the whole stream, and an utterance that follows a wake phrase
/// (or a push-to-talk request, or any utterance without a wake phrase) is recognised by the
/// `SpeechRecognizer` over the JSGF grammar of the home.
///
/// Latency (DESIGN.md section 7: end of speech → action ≤ 150 ms): the recogniser is fed while the
/// user speaks, from the onset with the pre-roll (`streaming`), so at the endpoint only finishing
/// the search remains (about 5 ms). When the words so far are a complete sentence of the grammar,
/// a pause of `provisionalSilence` announces them (`.provisional`, for a speculative parse) and one
/// of `completeSilence` ends the utterance; otherwise the endpointer's `trailingSilence` does.
///
/// The wake phrase may be said alone ("hey hark house", pause, "turn on the lamp") or run into the
/// command after a short pause in the same utterance: once speech resumes after a pause that began
/// within the phrase's detection latency, the command is recognised from that pause on (see
/// `commandStart`). Said in one breath with no pause, the whole utterance goes through the
/// grammar's optional wake prefix, which on espeak-ng speech mostly decodes to nothing or to a
/// wrong command. After a wake phrase or a listen request, the command must begin within
/// `listenTimeout`; one command is taken, then the pipeline waits for the wake phrase again.
///
/// Owns PocketSphinx decoders (not thread-safe): create, feed and reconfigure it on one thread.
/// `hark listen`, `hark bench --speech`, the daemon's `SpeechService` and the tests all drive it.
public final class ListeningPipeline {
    /// How utterances are cut and when one counts as a command.
    public struct Configuration: Sendable, Equatable {
        public var endpointer: Endpointer.Configuration
        /// The wake phrase spotter's settings; nil: every utterance is a command.
        public var wake: Wake?
        /// After a wake phrase or a listen request, how long the command may take to begin.
        public var listenTimeout: Duration
        /// Feed the recogniser while the user speaks (from the onset, with the pre-roll), so that
        /// at the endpoint only finishing the search remains. False: decode each utterance whole
        /// after the endpoint (normalised over itself; slower by the whole decoding time).
        public var streaming: Bool
        /// With `streaming`: the silence after which an utterance whose words so far are a
        /// complete sentence of the grammar ends, instead of `endpointer.trailingSilence` (which
        /// still ends one that is not: "turn on the", pause). Nil: always the full trailing silence.
        /// A complete sentence that no longer sentence of the grammar extends (but for a
        /// politeness word: "please", "thanks", "now") ends after half of it: nothing the speaker
        /// could add would change the command.
        public var completeSilence: Duration?
        /// With `completeSilence`: the pause after which the words so far, when they are a
        /// complete command, are announced as `.provisional` (so parsing can start before the end).
        /// Shorter pauses come inside commands (the closure before a stop consonant); at least half
        /// of `completeSilence` is waited, since a speculative parse of words the speaker then goes
        /// on from delays the parse of the whole command (measured: it made p95 worse at 50 ms).
        public var provisionalSilence: Duration = .milliseconds(50)

        /// A keyphrase and its PocketSphinx thresholds.
        public struct Wake: Sendable, Equatable {
            public var phrase: String
            public var threshold: Double
            public var phoneLoopProbability: Double

            public init(phrase: String = WakePhraseSpotter.defaultPhrase, threshold: Double = WakePhraseSpotter.defaultThreshold,
                        phoneLoopProbability: Double = WakePhraseSpotter.defaultPhoneLoopProbability) {
                self.phrase = phrase
                self.threshold = threshold
                self.phoneLoopProbability = phoneLoopProbability
            }
        }

        public init(endpointer: Endpointer.Configuration = Endpointer.Configuration(), wake: Wake? = Wake(),
                    listenTimeout: Duration = .seconds(6), streaming: Bool = true,
                    completeSilence: Duration? = Configuration.defaultCompleteSilence) {
            self.endpointer = endpointer
            self.wake = wake
            self.listenTimeout = listenTimeout
            self.streaming = streaming
            self.completeSilence = completeSilence
        }

        /// The default `completeSilence`.
        public static let defaultCompleteSilence: Duration = .milliseconds(200)
    }

    /// What the pipeline found.
    public enum Event: Sendable {
        /// The wake phrase was heard; it ended at most `WakePhraseSpotter.latencySamples` before `sampleIndex`.
        case wake(phrase: String, sampleIndex: Int64)
        /// A command to act on.
        case command(HeardCommand)
        /// An utterance not decoded (no wake phrase before it) or decoded to no command.
        case ignored(Utterance, reason: String)
        /// With `completeSilence`: the words so far of the utterance in progress (wake phrase
        /// removed) are a complete command and speech has paused, at `sampleIndex`. The utterance
        /// will likely end as this command (the `.command` that follows says); a caller may start
        /// parsing it now. Sent again when the words change.
        case provisional(text: String, sampleIndex: Int64)
    }

    public let configuration: Configuration
    public let model: SpeechModel
    /// The grammar in use (regenerated by `update(catalog:registry:)`).
    public private(set) var grammar: SpeechGrammar
    private var recognizer: SpeechRecognizer
    private let spotter: WakePhraseSpotter?
    private var endpointer: Endpointer
    /// Samples fed to the spotter, to map its positions onto stream indices.
    private var spotterPosition = 0
    /// While listening for a command: the latest sample index at which it may begin.
    private var listeningUntil: Int64?
    private var listeningSession: String?
    private var woke = false
    /// Where the last wake phrase was detected (stream index).
    private var lastWake: Int64?
    /// The end of the last frame processed (of the last 10 ms piece, while a frame is processed).
    private var streamPosition: Int64 = 0
    /// The onset of the utterance in progress, if any.
    private var speechStart: Int64?
    /// While the recogniser is fed the utterance in progress: the stream index fed up to.
    private var fedUntil: Int64?
    /// Where the streamed recognition of the utterance in progress began (stream index).
    private var recognitionFrom: Int64?
    /// Starts of the pauses (at least `pauseSamples` of silence, then speech again) inside the
    /// utterance in progress, and the start of the silence in progress once it is that long.
    private var pauses: [Int64] = []
    private var openPause: Int64?
    /// A pause this long inside an utterance may separate the wake phrase from the command.
    static let pauseSamples = 1_600
    /// How long after a wake detection the voice activity detector may still hear the phrase (its
    /// hangover): measured 220 ms on the soak's speech; 400 ms allowed.
    static let pauseAfterWake: Int64 = 6_400
    /// The last partial hypothesis judged for an early end, and its command words when the
    /// grammar accepts it as a sentence with a command.
    private var judged: (text: String, command: String?, final: Bool, announced: Bool)?
    /// Words after a complete command that do not change it, so do not hold its end back.
    static let politeWords: Set<String> = ["please", "thanks", "thank", "now", "for", "cheers"]
    private let completeSilenceSamples: Int?
    private let provisionalSilenceSamples: Int

    /// Loads the decoders (about a second each for the acoustic model) and builds the grammar.
    public init(model: SpeechModel, dictionary: PronunciationDictionary, catalog: Catalog, registry: Registry,
                configuration: Configuration = Configuration()) throws(SpeechError) {
        self.configuration = configuration
        self.model = model
        grammar = SpeechGrammar(catalog: catalog, registry: registry, dictionary: dictionary, optionalPrefix: configuration.wake?.phrase)
        recognizer = try SpeechRecognizer(model: model, grammar: grammar, dictionary: dictionary)
        if let wake = configuration.wake {
            spotter = try WakePhraseSpotter(model: model, dictionary: dictionary, phrase: wake.phrase, threshold: wake.threshold,
                                            phoneLoopProbability: wake.phoneLoopProbability)
        } else {
            spotter = nil
        }
        endpointer = Endpointer(configuration: configuration.endpointer)
        completeSilenceSamples = configuration.streaming ? configuration.completeSilence.map { AudioFrame.samples(in: $0) } : nil
        provisionalSilenceSamples = max(AudioFrame.samples(in: configuration.provisionalSilence), (completeSilenceSamples ?? 0) / 2)
    }

    /// Rebuilds the grammar and recogniser for a changed home (a configuration reload), with the
    /// pronunciations of `dictionary` (not kept after building). On an error the old ones stay.
    public func update(catalog: Catalog, registry: Registry, dictionary: PronunciationDictionary) throws(SpeechError) {
        let grammar = SpeechGrammar(catalog: catalog, registry: registry, dictionary: dictionary, optionalPrefix: configuration.wake?.phrase)
        recognizer = try SpeechRecognizer(model: model, grammar: grammar, dictionary: dictionary)
        self.grammar = grammar
        // An utterance in progress is fed to the new recogniser from its start, at the next frame.
        fedUntil = nil
        recognitionFrom = nil
        judged = nil
    }

    /// Speech shorter than this after a wake detection is no command (0.3 s at 16 kHz).
    static let wakeOnlyMargin: Int64 = 4_800

    /// Whether a command is awaited (after a wake phrase or a listen request).
    public var isListening: Bool { listeningUntil != nil }

    /// Opens listening without the wake phrase (push-to-talk): the next utterance that begins
    /// within `listenTimeout` is a command.
    public func listen(sessionID: String? = nil) {
        listeningUntil = streamPosition + Int64(AudioFrame.samples(in: configuration.listenTimeout))
        listeningSession = sessionID
        woke = false
        lastWake = nil
    }

    /// Feeds the next frame of the stream; returns what it completed, in order.
    public func process(_ frame: AudioFrame) throws(SpeechError) -> [Event] {
        var out: [Event] = []
        if let spotter {
            let before = spotterPosition
            for detection in try spotter.process(frame.samples) {
                let index = frame.startIndex + Int64(detection.endSample - before)
                out.append(.wake(phrase: detection.phrase, sampleIndex: index))
                // The command may begin after the phrase, or already have (one breath).
                listeningUntil = index + Int64(AudioFrame.samples(in: configuration.listenTimeout))
                listeningSession = nil
                woke = true
                lastWake = index
            }
            spotterPosition += frame.samples.count
        }
        // The endpointer takes one 10 ms piece at a time, so that the recogniser is fed (and the
        // early end judged) frame by frame, before the endpointer forgets the samples.
        let step = VoiceActivityDetector.frameLength
        var offset = 0
        repeat {
            let end = min(offset + step, frame.samples.count)
            let piece = AudioFrame(startIndex: frame.startIndex + Int64(offset), samples: Array(frame.samples[offset..<end]))
            offset = end
            streamPosition = piece.endIndex
            for event in endpointer.process(piece) { try handle(event, into: &out) }
            notePause()
            try follow(into: &out)
        } while offset < frame.samples.count
        return out
    }

    /// Ends the stream (a file): the utterance in progress, if any, is judged as if silence followed.
    public func finish() throws(SpeechError) -> [Event] {
        var out: [Event] = []
        for event in endpointer.finish() { try handle(event, into: &out) }
        return out
    }

    /// Whether an utterance that began at `start` may be a command (so is worth recognising).
    private func mayBeCommand(speechStart start: Int64) -> Bool {
        if spotter == nil { return true }
        if let until = listeningUntil, start <= until { return true }
        if let wake = lastWake, wake >= start { return true }  // the wake phrase in the same breath
        return false
    }

    /// During an utterance that may be a command: feeds the recogniser what the endpointer has
    /// judged since the last frame, and ends the utterance early when the words so far are a
    /// complete sentence and `completeSilence` has passed.
    private func follow(into out: inout [Event]) throws(SpeechError) {
        guard configuration.streaming, let start = speechStart, endpointer.inSpeech else { return }
        let from: Int64
        if let fedUntil, let began = recognitionFrom, commandStart(speechStart: start).map({ $0 <= began }) ?? true {
            from = fedUntil
        } else {
            // A new recognition: at the utterance's onset (with the pre-roll), or, once the wake
            // phrase is known to end in a pause inside this utterance, from that pause on.
            guard mayBeCommand(speechStart: start) else { return }
            if recognizer.isStarted { _ = try recognizer.finish() }
            try recognizer.start()
            from = commandStart(speechStart: start) ?? start - Int64(endpointer.preRollSamples)
            recognitionFrom = from
            judged = nil
        }
        let samples = endpointer.bufferedSamples(from: from)
        if !samples.isEmpty { try recognizer.process(Array(samples)) }
        fedUntil = endpointer.judgedEnd

        // While the recognition still holds a wake phrase said in this utterance, a pause is the
        // one after the phrase: the command is still to come (its words so far are the phrase,
        // which the grammar can only force into some command).
        if let wake = lastWake, wake > start, let began = recognitionFrom, began < wake { return }

        // After a pause: is what was said so far a complete command? A final one (no longer
        // sentence extends it) is announced after a quarter of `completeSilence` and ends after
        // half, so the speculative parse is done by the end; others are announced after
        // `provisionalSilence` and end after the whole of it.
        guard let limit = completeSilenceSamples, let silence = endpointer.trailingSilenceSamples,
              silence >= max(VoiceActivityDetector.frameLength, min(limit / 4, provisionalSilenceSamples)) else { return }
        let text = recognizer.partialText ?? ""
        if judged?.text != text {
            let (accepted, next) = grammar.judge(text)
            let command = accepted ? commandWords(text) : nil
            let final = command != nil && next.subtracting(Self.politeWords).isEmpty
            judged = (text, command, final, false)
        }
        guard var judgement = judged, let command = judgement.command else { return }
        if !judgement.announced, silence >= (judgement.final ? limit / 4 : provisionalSilenceSamples) {
            out.append(.provisional(text: command, sampleIndex: streamPosition))
            judgement.announced = true
            judged = judgement
        }
        if silence >= (judgement.final ? limit / 2 : limit) {
            for event in endpointer.endUtterance() { try handle(event, into: &out, early: true) }
        }
    }

    /// Where the command begins in an utterance whose speech began at `speechStart` when the wake
    /// phrase was said in it: at the pause after the phrase (the detection comes at most
    /// `WakePhraseSpotter.latencySamples` after the phrase ends, and the detector's hangover may
    /// begin the pause up to `pauseAfterWake` after the detection), so the recogniser starts on
    /// silence as it does at an onset. Nil when the phrase is not in
    /// the utterance or no speech followed a pause yet (then the whole utterance is decoded, the
    /// grammar's optional wake prefix absorbing the phrase). Measured on the soak's espeak-ng
    /// speech: a phrase and command cut into one utterance by a short pause decoded to wrong
    /// commands ("did i leave the bedside lamp on" for "turn on the bedside lamp") or to nothing
    /// through the prefix; decoded from the pause, two voices of three are right
    /// (`WakeThenCommandTests`: 4 of 6 commands, 2 before; the third voice stays misheard).
    private func commandStart(speechStart: Int64) -> Int64? {
        guard let wake = lastWake, wake > speechStart else { return nil }
        let earliest = wake - Int64(WakePhraseSpotter.latencySamples), latest = wake + Self.pauseAfterWake
        return pauses.first { $0 > speechStart && $0 >= earliest && $0 <= latest }
    }

    /// Notes a pause inside the utterance once speech follows it. Only a closed pause counts: a
    /// recognition started in the silence after a wake phrase said alone would decode silence
    /// only, and PocketSphinx's running cepstral mean, updated from it, then misheard the next
    /// command ("who are you" for "turn on the bedside lamp").
    private func notePause() {
        guard endpointer.inSpeech, let silence = endpointer.trailingSilenceSamples else {
            pauses.removeAll()
            openPause = nil
            return
        }
        if silence >= Self.pauseSamples {
            openPause = endpointer.judgedEnd - Int64(silence)
        } else if silence == 0, let start = openPause {
            pauses.append(start)
            openPause = nil
        }
    }

    /// The words of a transcript without the wake phrase before them; nil when none are left.
    private func commandWords(_ text: String) -> String? {
        var words = text.split(separator: " ").map(String.init)
        if let phrase = configuration.wake?.phrase.split(separator: " ").map(String.init), words.starts(with: phrase) {
            words.removeFirst(phrase.count)
        }
        return words.isEmpty ? nil : words.joined(separator: " ")
    }

    /// Ends the streamed utterance, if any: its transcript (nil when none was streamed).
    private func finishStreaming(remainder utterance: Utterance?) throws(SpeechError) -> Transcript? {
        defer {
            fedUntil = nil
            recognitionFrom = nil
            judged = nil
        }
        guard let fed = fedUntil, recognizer.isStarted else { return nil }
        if let utterance, fed < utterance.endIndex {
            let from = Int(max(0, fed - utterance.startIndex))
            try recognizer.process(Array(utterance.samples[from...]))
        }
        return try recognizer.finish()
    }

    private func handle(_ event: EndpointerEvent, into out: inout [Event], early: Bool = false) throws(SpeechError) {
        switch event {
        case let .speechStarted(start):
            speechStart = start
            _ = try finishStreaming(remainder: nil)
            return
        case .speechDiscarded:
            speechStart = nil
            _ = try finishStreaming(remainder: nil)
            return
        case .utterance:
            speechStart = nil
        }
        guard case let .utterance(utterance) = event else { return }
        let isCommand: Bool
        if spotter == nil {
            isCommand = true
        } else if let until = listeningUntil {
            isCommand = utterance.speechStart <= until
            if !isCommand { listeningUntil = nil }  // timed out before this utterance
        } else {
            isCommand = false
        }
        guard isCommand else {
            _ = try finishStreaming(remainder: nil)
            out.append(.ignored(utterance, reason: "no wake phrase"))
            return
        }
        // The wake phrase said alone: its detection comes at most `latencySamples` after the
        // phrase ends, so detected within `wakeOnlyMargin` of the end of speech, no command
        // follows it in this utterance. (The grammar needs a command after its optional prefix
        // and would force one onto the phrase alone.) Listening stays open for the next utterance.
        if let wake = lastWake, wake >= utterance.speechStart, wake >= utterance.speechEnd - Self.wakeOnlyMargin {
            _ = try finishStreaming(remainder: nil)
            out.append(.ignored(utterance, reason: "wake phrase only"))
            return
        }
        let transcript: Transcript
        let streamed: Bool
        if let finished = try finishStreaming(remainder: utterance) {
            (transcript, streamed) = (finished, true)
        } else {
            (transcript, streamed) = (try recognizer.decode(utterance.samples), false)
        }
        guard let words = commandWords(transcript.text) else {
            // The wake phrase alone (or noise): keep listening for the command.
            out.append(.ignored(utterance, reason: transcript.text.isEmpty ? "nothing recognised" : "wake phrase only"))
            return
        }
        var command = transcript
        command.text = words
        out.append(.command(HeardCommand(transcript: command, utterance: utterance, decidedAt: streamPosition,
                                         sessionID: listeningSession, afterWakePhrase: spotter != nil && woke,
                                         endedOnCompleteSentence: early, streamed: streamed)))
        listeningUntil = nil
        listeningSession = nil
        woke = false
        lastWake = nil
    }
}

/// A command heard in the stream: what was said and where it was in the audio.
public struct HeardCommand: Sendable {
    /// The command's words (the wake phrase removed); `decodeSeconds` is the recogniser's time.
    public var transcript: Transcript
    /// The utterance as the endpointer cut it (samples, speech start and end).
    public var utterance: Utterance
    /// Stream index at which the utterance was found to have ended (`trailingSilence`, or
    /// `completeSilence`, after `utterance.speechEnd`).
    public var decidedAt: Int64
    /// Hermes session of the listen request that opened listening, if any.
    public var sessionID: String?
    /// True when a wake phrase opened listening (false: push-to-talk or no wake phrase configured).
    public var afterWakePhrase: Bool
    /// True when the utterance ended after `completeSilence` because its words were a complete
    /// sentence (false: after the full trailing silence, at the maximum length or end of stream).
    public var endedOnCompleteSentence: Bool
    /// True when the recogniser was fed during the speech (false: decoded whole after the endpoint).
    public var streamed: Bool

    /// The recogniser's time in milliseconds.
    public var asrMilliseconds: Double { transcript.decodeSeconds * 1000 }
    /// The recogniser's time after the endpoint in milliseconds: finishing the search when the
    /// utterance was streamed, all of it when it was decoded whole.
    public var asrAfterEndpointMilliseconds: Double { (streamed ? transcript.finishSeconds : transcript.decodeSeconds) * 1000 }
    /// Audio from the end of speech to the endpointer's decision, in milliseconds.
    public var endpointMilliseconds: Double { AudioFrame.seconds(decidedAt - utterance.speechEnd) * 1000 }
}
