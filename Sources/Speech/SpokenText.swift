import Intents

/// How text is said: lowercase words with no punctuation, numbers as words. The speech grammar is
/// written in these words, and a recogniser's transcript comes out in them, so a sentence from the
/// template expander ("set the lamp to 30 percent") is compared with a transcript through this form
/// ("set the lamp to thirty percent").
public enum SpokenText {
    /// The words of `text`, each number token in its first spoken form; nil when a number cannot be
    /// said (beyond 9999, or more than one decimal digit).
    public static func words(_ text: String) -> [String]? {
        guard let variants = variants(text) else { return nil }
        return variants.map { $0[0] }.flatMap { $0 }
    }

    /// `words(text)` joined with single spaces.
    public static func sentence(_ text: String) -> String? { words(text)?.joined(separator: " ") }

    /// Per token of `text`, the ways it can be said (each a word list). Plain words have one way;
    /// "2700" has two ("two thousand seven hundred", "twenty seven hundred"). Punctuation is
    /// dropped (apostrophes inside words are kept: "what's", "o'clock"); hyphens split words.
    static func variants(_ text: String) -> [[[String]]]? {
        var out: [[[String]]] = []
        var tokens: [Substring] = []
        for token in text.lowercased().split(whereSeparator: \.isWhitespace) {
            // "-5" is a number; "twenty-one" and "well-lit" are two words.
            if token.first == "-", token.dropFirst().first?.isNumber == true { tokens.append(token) } else { tokens += token.split(separator: "-") }
        }
        for raw in tokens {
            if raw.contains(where: \.isNumber) {
                let number = raw.filter { $0.isNumber || $0 == "." || $0 == "," || $0 == "-" }
                guard let forms = numberForms(String(number)) else { return nil }
                out.append(forms.map { $0.split(separator: " ").map(String.init) })
                continue
            }
            var word = String(raw.filter { $0.isLetter || $0 == "'" })
            while word.hasPrefix("'") { word.removeFirst() }
            while word.hasSuffix("'") { word.removeLast() }
            if !word.isEmpty { out.append([[word]]) }
        }
        return out
    }

    /// Spoken forms of a number written in digits: "30" → ["thirty"]; "21.5" → ["twenty one point
    /// five"]; "2700" → ["two thousand seven hundred", "twenty seven hundred"]. Nil beyond 9999.
    static func numberForms(_ digits: String) -> [String]? {
        if let n = Int(digits), (1000...9999).contains(n) {
            let rest = n % 1000
            var forms = [NumberWords.words(n / 1000)! + " thousand" + (rest == 0 ? "" : " " + NumberWords.words(rest)!)]
            if n % 100 == 0, (n / 100) % 10 != 0 { forms.append(NumberWords.words(n / 100)! + " hundred") }
            return forms
        }
        guard let value = NumberWords.parse(digits), let words = NumberWords.words(value) else { return nil }
        return [words]
    }
}
