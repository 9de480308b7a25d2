import Foundation

/// What the recogniser heard in one utterance: lowercase words in the grammar's spelling, how sure
/// it is, and how long decoding took.
public struct Transcript: Sendable, Hashable {
    /// The recognised words separated by single spaces; empty when nothing in the grammar was heard.
    public var text: String
    /// PocketSphinx's path score (log domain, larger is better); comparable only within one grammar.
    public var score: Int32
    /// Seconds of audio decoded.
    public var audioSeconds: Double
    /// Wall-clock seconds spent decoding (processing the samples and finishing the utterance).
    public var decodeSeconds: Double
    /// Of `decodeSeconds`, the part spent finishing the utterance (all that remains after the
    /// endpoint when the utterance was streamed).
    public var finishSeconds: Double = 0

    public init(text: String, score: Int32 = 0, audioSeconds: Double, decodeSeconds: Double) {
        self.text = text
        self.score = score
        self.audioSeconds = audioSeconds
        self.decodeSeconds = decodeSeconds
    }

    public var words: [String] { text.split(separator: " ").map(String.init) }
    /// Decoding time over audio time (0.03: a 2 s command decodes in 60 ms).
    public var realTimeFactor: Double { audioSeconds > 0 ? decodeSeconds / audioSeconds : 0 }
}

extension Duration {
    /// The duration in seconds.
    fileprivate var seconds: Double { Double(components.seconds) + Double(components.attoseconds) * 1e-18 }
}

/// Command recognition: PocketSphinx searching a grammar (a `SpeechGrammar`'s word graph, or JSGF text) over
/// 16 kHz mono 16-bit audio, one utterance at a time, either whole (`decode`) or streamed
/// (`start`, `process`, `finish`).
///
/// Owns its decoder; not `Sendable`: use one recogniser from one task at a time. Loading takes
/// about a second (the acoustic model); reuse it across utterances.
public final class SpeechRecognizer {
    private let decoder: SphinxDecoder
    private var samplesInUtterance = 0
    private var decodeTime: Duration = .zero
    private var started = false

    /// Hark's PocketSphinx options for command recognition, under any given ones (and over the
    /// decoder's `-topn`, `SphinxDecoder.gaussiansPerCodebook`).
    ///
    /// `-beam`, `-pbeam` 1e-60 and `-wbeam` 1e-50 (defaults 1e-48, 1e-48, 7e-29) keep more
    /// hypotheses alive, which the word graph's smaller search affords. Chosen on a sample of
    /// commands the speech tests do not use (`hark bench --config deploy/hark.example.yaml --speech
    /// --speech-commands 40 --speech-seed 7`, 120 utterances in three espeak-ng voices), exact
    /// actions of 120 with `-topn 12`: JSGF search 97; word graph 99; with `-wbeam 1e-50` 105; with
    /// the beams above as well 106 (1e-80 beams: 106 at a higher cost). Real-time factor: JSGF 0.12,
    /// word graph 0.039, with these beams 0.050.
    public static let defaultArguments = ["-beam": "1e-60", "-pbeam": "1e-60", "-wbeam": "1e-50"]

    /// A recogniser for `grammar`, with a dictionary of just the grammar's words taken from `dictionary`.
    public convenience init(model: SpeechModel, grammar: SpeechGrammar, dictionary: PronunciationDictionary,
                            arguments: [String: String] = [:]) throws(SpeechError) {
        guard let graph = grammar.wordGraph else { throw .grammarRejected(reason: "the grammar accepts no sentence", log: []) }
        try self.init(model: model, finiteStateGrammar: graph.fsg(name: "hark_commands"),
                      dictionaryText: grammar.dictionaryText(from: dictionary), arguments: arguments)
    }

    /// A recogniser for a finite-state grammar in SphinxBase's FSG text format; otherwise as `init(model:jsgf:…)`.
    public init(model: SpeechModel, finiteStateGrammar fsg: String, dictionaryText: String? = nil,
                arguments: [String: String] = [:]) throws(SpeechError) {
        decoder = try Self.decoder(model: model, dictionaryText: dictionaryText, arguments: arguments)
        try decoder.useFiniteStateGrammar(fsg, name: "hark_commands")
    }

    /// A recogniser for any JSGF text whose first public rule is the one searched. `dictionaryText`
    /// (Sphinx format) must cover its words; nil loads the model's full dictionary (slower).
    /// Throws `grammarRejected` with PocketSphinx's reasons when the grammar does not parse, names an
    /// undefined rule or uses a word the dictionary lacks.
    /// `arguments` are extra PocketSphinx options (`["-beam": "1e-40"]`), over Hark's defaults.
    public init(model: SpeechModel, jsgf: String, dictionaryText: String? = nil, arguments: [String: String] = [:]) throws(SpeechError) {
        decoder = try Self.decoder(model: model, dictionaryText: dictionaryText, arguments: arguments)
        try decoder.useGrammar(jsgf, name: "hark_commands")
    }

    /// A decoder with `defaultArguments` under the given ones.
    private static func decoder(model: SpeechModel, dictionaryText: String?, arguments: [String: String]) throws(SpeechError) -> SphinxDecoder {
        let options = defaultArguments.merging(arguments) { _, given in given }
        return try SphinxDecoder(model: model, dictionaryText: dictionaryText, arguments: options.sorted { $0.key < $1.key }.map { ($0.key, $0.value) })
    }

    /// Recognises one whole utterance (normalised over itself, which is more accurate than streaming).
    public func decode(_ samples: [Int16]) throws(SpeechError) -> Transcript {
        try start()
        try feed(samples, wholeUtterance: true)
        return try finish()
    }

    /// Starts an utterance (ending any unfinished one).
    public func start() throws(SpeechError) {
        if started { _ = try? finish() }
        try decoder.startUtterance()
        started = true
        samplesInUtterance = 0
        decodeTime = .zero
    }

    /// Feeds samples of the current utterance.
    public func process(_ samples: [Int16]) throws(SpeechError) {
        try feed(samples, wholeUtterance: false)
    }

    private func feed(_ samples: [Int16], wholeUtterance: Bool) throws(SpeechError) {
        guard started else { throw .decodingFailed("process called before start") }
        let clock = ContinuousClock()
        let t0 = clock.now
        let ok = samples.withUnsafeBufferPointer { decoder.process($0, wholeUtterance: wholeUtterance) }
        decodeTime += clock.now - t0
        if !ok { throw .decodingFailed("ps_process_raw failed") }
        samplesInUtterance += samples.count
    }

    /// True while the decoder's own voice activity detector hears speech in the current utterance.
    public var inSpeech: Bool { decoder.inSpeech }

    /// Whether an utterance is started and not yet finished.
    public var isStarted: Bool { started }

    /// During a streamed utterance: the best path so far (lowercase words, possibly a prefix of a
    /// sentence that the grammar does not accept yet); nil when no utterance is started.
    public var partialText: String? {
        guard started else { return nil }
        return (decoder.hypothesis()?.text ?? "").split(separator: " ").map { $0.lowercased() }.joined(separator: " ")
    }

    /// Ends the utterance and returns its transcript.
    public func finish() throws(SpeechError) -> Transcript {
        guard started else { throw .decodingFailed("finish called before start") }
        started = false
        let clock = ContinuousClock()
        let t0 = clock.now
        try decoder.endUtterance()
        let hyp = decoder.hypothesis()
        let finishTime = clock.now - t0
        decodeTime += finishTime
        let words = (hyp?.text ?? "").split(separator: " ").map { $0.lowercased() }
        var transcript = Transcript(text: words.joined(separator: " "), score: hyp?.score ?? 0,
                                    audioSeconds: Double(samplesInUtterance) / Double(SphinxDecoder.sampleRate),
                                    decodeSeconds: decodeTime.seconds)
        transcript.finishSeconds = finishTime.seconds
        return transcript
    }
}
