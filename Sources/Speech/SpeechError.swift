/// Why a speech component could not be set up or used. Each case says what was wrong and where, in
/// words meant for the daemon's log and `hark check`.
public enum SpeechError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The model directory, acoustic model or dictionary is missing or unusable.
    case modelNotFound(path: String, reason: String)
    /// The pronunciation dictionary could not be read (file, line, what).
    case dictionaryUnreadable(path: String, line: Int, reason: String)
    /// PocketSphinx rejected its configuration or failed to load the model; `log` is what it reported.
    case decoderInitFailed(log: [String])
    /// PocketSphinx rejected the JSGF grammar; `log` is what it reported (parse errors, undefined
    /// rules, words missing from the dictionary).
    case grammarRejected(reason: String, log: [String])
    /// The keyphrase could not be used (empty, words missing from the dictionary, bad threshold).
    case keyphraseRejected(phrase: String, reason: String)
    /// A call into the decoder failed during recognition.
    case decodingFailed(String)
    /// An added pronunciation (`speech.pronunciations` in the config) uses a phone the model's
    /// dictionary never uses.
    case unknownPhone(word: String, phone: String, known: [String])

    public var description: String {
        switch self {
        case let .modelNotFound(path, reason): return "speech model \(path): \(reason)"
        case let .dictionaryUnreadable(path, line, reason): return "\(path):\(line): \(reason)"
        case let .decoderInitFailed(log): return "PocketSphinx could not start" + Self.details(log)
        case let .grammarRejected(reason, log): return "speech grammar rejected: \(reason)" + Self.details(log)
        case let .keyphraseRejected(phrase, reason): return "wake phrase '\(phrase)' rejected: \(reason)"
        case let .decodingFailed(what): return "speech decoding failed: \(what)"
        case let .unknownPhone(word, phone, known):
            return "speech.pronunciations.\(word): the model has no phone '\(phone)' (its phones: \(known.joined(separator: " ")))"
        }
    }

    private static func details(_ log: [String]) -> String {
        log.isEmpty ? "" : ":\n  " + log.joined(separator: "\n  ")
    }
}
