/// Finds a command that says not to do something ("don't turn off the lights", "do not open the
/// garage door", "never unlock the back door"). The model reads the action words and leaves the
/// negation out, so without this check the command would do the very thing it forbids. Only a
/// negation of the verb counts: "i do not need the lamp anymore" asks for the lamp to go off, and
/// "if you don't mind" or "don't forget to" are no negation of the request. It assumes lowercased
/// words as `MentionEvidence.words` spells them ("don't" → "dont").
public enum NegationWords {
    /// Words that negate the verb after them.
    static let negators: Set<String> = ["dont", "not", "never", "doesnt"]
    /// Words that may stand between a negator and its verb ("don't you open", "never ever").
    static let between: Set<String> = ["you", "ever", "please", "go", "just"]

    /// The negation and the verb it negates ("dont turn"), or nil when no action verb is negated.
    public static func negation(in command: String) -> String? {
        let words = MentionEvidence.words(command)
        for (i, word) in words.enumerated() where negators.contains(word) {
            guard let verb = words.dropFirst(i + 1).first(where: { !between.contains($0) }),
                  CompoundWords.verbs.contains(verb), verb != "is", verb != "are" else { continue }
            return (word == "not" && i > 0 && words[i - 1] == "do" ? "do not" : word) + " " + verb
        }
        return nil
    }
}
