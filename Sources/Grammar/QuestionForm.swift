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

    /// True when `command` asks for an amount or a duration ("how much energy…", "how long has…",
    /// "how many…"), which no yes/no answer gives.
    public static func asksHowMuch(_ command: String) -> Bool {
        let words = command.lowercased().split(whereSeparator: { !($0.isLetter || $0.isNumber) }).map(String.init).drop(while: preambles.contains)
        guard words.first == "how", let second = words.dropFirst().first else { return false }
        return ["much", "many", "long", "often"].contains(second)
    }
}
