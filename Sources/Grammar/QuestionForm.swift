/// Tells a yes/no question from a command by its first word: "is the shed door open" and "did
/// someone lock the back door" ask; they never act. The grammar lets the model choose any action,
/// so without this check a question can come out as the action it mentions (`close_cover`).
/// Polite requests that look like questions ("can you", "could you", "would you mind", "do me a
/// favour and") are commands and are not questions here.
public enum QuestionForm {
    /// Words that open a yes/no question.
    static let openers: Set<String> = ["is", "are", "was", "were", "did", "does", "has", "have", "had", "isnt", "arent",
                                       "wasnt", "werent", "didnt", "doesnt", "hasnt", "havent"]
    /// Words said before a sentence starts ("um", "hey hark, is …").
    static let preambles: Set<String> = ["um", "uh", "er", "erm", "hmm", "hey", "hi", "ok", "okay", "so", "oh", "well",
                                         "right", "alright", "hark", "computer", "listen", "actually", "yeah", "and"]

    /// True when `command` opens, after any preamble, with a word that starts a yes/no question
    /// ("do" counts unless a favour is asked, "do me a favour and …", or it is "do not").
    public static func isYesNoQuestion(_ command: String) -> Bool {
        // Apostrophes are kept until the word is known not to be a contraction: "we're" is not "were".
        let spelled = command.lowercased().replacing("’", with: "'")
            .split(whereSeparator: { !($0.isLetter || $0.isNumber || $0 == "'") })
        let words = spelled.map { $0.contains("'") && !$0.hasSuffix("n't") ? "" : String($0).replacing("'", with: "") }
            .drop(while: preambles.contains)
        guard let first = words.first else { return false }
        if first == "do" { return !["me", "not"].contains(words.dropFirst().first) }
        return openers.contains(first)
    }

    /// Words that open a question no action answers and no query of the catalog asks: who did
    /// something, why, where, when ("who unlocked the front door", "when was the door opened").
    static let openQuestions: Set<String> = ["who", "whom", "whose", "why", "where", "when"]

    /// True when `command` opens, after any preamble, with a question word of `openQuestions`.
    public static func isOpenQuestion(_ command: String) -> Bool {
        let words = command.lowercased().split(whereSeparator: { !($0.isLetter || $0.isNumber) }).map(String.init).drop(while: preambles.contains)
        return words.first.map(openQuestions.contains) ?? false
    }

    /// Words that ask whether something is on without opening a yes/no question ("check if the
    /// fan is on", "status of the pump", "tell me whether …").
    static let stateAskers: Set<String> = ["check", "see", "tell", "status", "state", "whether", "if", "still"]

    /// True when `command` asks whether something is on: a yes/no question (its opener, misspelt
    /// too, among the first four words: "quick question, is the fan on", "hae i got the speakers
    /// on"; "r" as ASR spells "are"), someone's doing ("did i leave …"), or a check or a status
    /// asked for ("what is the stae of the fans", misspelt too). "washer on please" does not.
    public static func asksWhetherOn(_ command: String) -> Bool {
        let words = MentionEvidence.words(command)
        func opens(_ word: String) -> Bool {
            word == "r" || word == "do" || openers.contains(word) || (word.count >= 3 && openers.contains { $0.count >= 3 && MentionEvidence.resembles(word, $0) })
        }
        return isYesNoQuestion(command) || words.prefix(4).contains(where: opens) || words.contains { word in
            stateAskers.contains(word) || subjects.contains(word) || (word.count >= 4 && ["state", "status"].contains { MentionEvidence.resembles(word, $0) })
        }
    }

    /// People a question about what was left on is about ("did i leave …", "has someone …").
    static let subjects: Set<String> = ["i", "we", "someone", "somebody", "anyone", "anybody"]

    /// Words that open a question.
    static let questionWords: Set<String> = ["what", "whats", "which", "who", "whom", "whose", "why", "where", "when", "how", "hows"]

    /// True when `command` opens, after any preamble, with a question word ("what's playing on
    /// the radio") or a yes/no opener.
    public static func isQuestion(_ command: String) -> Bool {
        let words = MentionEvidence.words(command).drop(while: preambles.contains)
        return words.first.map(questionWords.contains) ?? false || isYesNoQuestion(command)
    }

    /// True when `command` asks for an amount or a duration ("how much energy…", "how long has…",
    /// "how many…"), which no yes/no answer gives.
    public static func asksHowMuch(_ command: String) -> Bool {
        let words = command.lowercased().split(whereSeparator: { !($0.isLetter || $0.isNumber) }).map(String.init).drop(while: preambles.contains)
        guard words.first == "how", let second = words.dropFirst().first else { return false }
        return ["much", "many", "long", "often"].contains(second)
    }
}
