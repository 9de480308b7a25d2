/// One wake phrase heard in the audio stream.
public struct WakeDetection: Sendable, Hashable {
    public var phrase: String
    /// The stream position (samples since the spotter started, 16 kHz) at which the detection was
    /// made: the phrase ended at most `WakePhraseSpotter.latencySamples` before it.
    public var endSample: Int
}

/// Wake phrase spotting: PocketSphinx's keyphrase search over a continuous 16 kHz mono stream,
/// reporting each time the phrase is heard and where.
///
/// Assumes a phrase of three or more syllables whose words are in the dictionary: DESIGN.md section 5
/// measured that a two-syllable phrase misses or false-alarms at every threshold, so shorter
/// phrases are refused. The threshold trades misses for false alarms; see `defaultThreshold`.
/// Owns its decoder; not `Sendable`: feed it from one task.
public final class WakePhraseSpotter {
    /// Three syllables, every word in the CMU dictionary.
    public static let defaultPhrase = "hey hark house"
    /// Detection threshold (`-kws_threshold`): how much better the phrase must score than the phone
    /// loop. Measured with `defaultPhoneLoopProbability` by WakePhraseTests (sweep printed there).
    public static let defaultThreshold = 1e-20
    /// Phone loop probability (`-kws_plp`). PocketSphinx's default, 1e-1, lets the phone loop prune
    /// a three-word phrase before it can be detected: with it "hey hark house" was never found at any
    /// threshold down to 1e-200; at 1e-10 and below it is.
    public static let defaultPhoneLoopProbability = 1e-10

    public let phrase: String
    public let threshold: Double
    public let phoneLoopProbability: Double
    private let decoder: SphinxDecoder
    /// Samples fed since the spotter started.
    private var position = 0
    /// Samples fed to PocketSphinx per call: a detection is noticed within this much audio.
    private static let chunk = 1_600
    /// How far after the phrase's end a detection can be reported: one block plus PocketSphinx's
    /// `-kws_delay` (10 frames of 10 ms).
    public static let latencySamples = chunk + 10 * 160

    /// A spotter for `phrase` (lowercase words, all in `dictionary`, three or more syllables).
    public init(model: SpeechModel, dictionary: PronunciationDictionary, phrase: String = WakePhraseSpotter.defaultPhrase,
                threshold: Double = WakePhraseSpotter.defaultThreshold,
                phoneLoopProbability: Double = WakePhraseSpotter.defaultPhoneLoopProbability) throws(SpeechError) {
        let words = phrase.lowercased().split(whereSeparator: \.isWhitespace).map(String.init)
        let normalized = words.joined(separator: " ")
        guard !words.isEmpty else { throw .keyphraseRejected(phrase: phrase, reason: "the phrase is empty") }
        if let missing = words.first(where: { !dictionary.contains($0) }) {
            throw .keyphraseRejected(phrase: phrase, reason: "'\(missing)' is not in the pronunciation dictionary")
        }
        let syllables = Self.syllableCount(normalized, dictionary: dictionary)
        guard syllables >= 3 else {
            throw .keyphraseRejected(phrase: phrase, reason: "it has \(syllables) syllable\(syllables == 1 ? "" : "s"); keyphrase spotting needs three or more to tell it from other speech")
        }
        guard threshold > 0, threshold < 1 else {
            throw .keyphraseRejected(phrase: phrase, reason: "threshold \(threshold) is outside (0, 1); typical values are 1e-10 to 1e-40")
        }
        guard phoneLoopProbability > 0, phoneLoopProbability < 1 else {
            throw .keyphraseRejected(phrase: phrase, reason: "phone loop probability \(phoneLoopProbability) is outside (0, 1)")
        }
        self.phrase = normalized
        self.threshold = threshold
        self.phoneLoopProbability = phoneLoopProbability
        decoder = try SphinxDecoder(model: model, dictionaryText: dictionary.subsetText(for: words),
                                    arguments: [("-kws_threshold", "\(threshold)"), ("-kws_plp", "\(phoneLoopProbability)")])
        try decoder.useKeyphrase(normalized, name: "hark_wake")
        try decoder.startUtterance()
    }

    deinit { try? decoder.endUtterance() }

    /// Vowel phones in the first pronunciation of each word of `phrase` (CMU phones; vowels are the
    /// ones that start with A, E, I, O or U).
    public static func syllableCount(_ phrase: String, dictionary: PronunciationDictionary) -> Int {
        phrase.split(separator: " ").reduce(0) { n, word in
            let phones = dictionary.pronunciations(of: String(word)).first?.split(separator: " ") ?? []
            return n + phones.filter { "AEIOU".contains($0.first!) }.count
        }
    }

    /// Feeds the next samples of the stream; returns the detections they completed.
    public func process(_ samples: [Int16]) throws(SpeechError) -> [WakeDetection] {
        var found: [WakeDetection] = []
        var offset = 0
        while offset < samples.count {
            let n = min(Self.chunk, samples.count - offset)
            let ok = samples.withUnsafeBufferPointer { decoder.process(UnsafeBufferPointer(rebasing: $0[offset..<offset + n])) }
            if !ok { throw .decodingFailed("ps_process_raw failed") }
            offset += n
            position += n
            if decoder.hypothesis() != nil {
                // PocketSphinx 5prealpha's keyphrase segment times do not follow the stream across
                // restarts, so the position is the block's end.
                found.append(WakeDetection(phrase: phrase, endSample: position))
                try restart()
            }
        }
        return found
    }

    /// Forgets partial matches (e.g. after a command was handled); the stream position continues.
    public func reset() throws(SpeechError) { try restart() }

    private func restart() throws(SpeechError) {
        try decoder.endUtterance()
        try decoder.startUtterance()
    }
}
