/// Finds when a command asks for its action to happen later, for a while or again and again
/// ("turn off the lights in ten minutes", "run the fan for an hour", "heating on at 6 am",
/// "every morning", "when I get home"). Hark acts at once and keeps no schedule, so such a command
/// is refused with the words that asked for the time, never carried out now.
public enum ScheduleWords {
    /// Units of a wait or a duration. Not seconds: "pause it for a sec" is a pause.
    static let units: Set<String> = ["minute", "minutes", "min", "mins", "hour", "hours", "hr", "hrs", "day", "days", "week", "weeks"]
    /// Words of an amount of time before its unit ("half an", "a couple of", "twenty five").
    static let amountWords: Set<String> = ["a", "an", "half", "few", "couple", "of", "quarter", "one", "two", "three", "four",
                                           "five", "six", "seven", "eight", "nine", "ten", "eleven", "twelve", "fifteen",
                                           "twenty", "thirty", "forty", "fifty", "sixty", "ninety", "more", "another", "other"]
    static let clockWords: Set<String> = ["am", "pm", "oclock"]
    static let timesOfDay: Set<String> = ["noon", "midday", "midnight", "sunset", "sunrise", "dusk", "dawn", "bedtime", "night"]
    static let periods: Set<String> = ["day", "morning", "afternoon", "evening", "night", "hour", "minute", "week", "weekday",
                                       "weekend", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]
    static let arrivals: Set<String> = ["get", "gets", "come", "comes", "leave", "leaves", "arrive", "arrives", "go", "goes",
                                        "wake", "wakes", "am", "are", "is"]

    /// The words that ask for a time other than now, or nil. A time of day that is a word of one
    /// of `names` (the home's names: a scene called "sunset") is a name there, not a time.
    public static func schedule(in command: String, names: Set<String> = []) -> String? {
        let words = MentionEvidence.words(command)
        func isAmount(_ w: String) -> Bool { amountWords.contains(w) || w.allSatisfy(\.isNumber) }
        func isClock(_ w: String) -> Bool {
            clockWords.contains(w) || (w.count > 2 && ["am", "pm"].contains(String(w.suffix(2))) && w.dropLast(2).allSatisfy(\.isNumber))
        }
        for (i, word) in words.enumerated() {
            let next = words.dropFirst(i + 1)
            switch word {
            case "in", "for", "after", "within", "over":
                // An amount of time: up to three amount words, then a unit.
                let amount = next.prefix(while: isAmount).prefix(3)
                if !amount.isEmpty, let unit = next.dropFirst(amount.count).first, units.contains(unit) {
                    return ([word] + amount + [unit]).joined(separator: " ")
                }
                if word == "in", next.first == "the", let part = next.dropFirst().first, ["morning", "afternoon", "evening"].contains(part) {
                    return "in the \(part)"
                }
                if word != "in", let time = next.first, timesOfDay.contains(time), !names.contains(time) { return "\(word) \(time)" }
            case "at", "by", "before", "until", "till", "from":
                // A clock time: "at 6 am", "at 7pm", "at seven oclock", "at 6 30 pm", "at half past".
                let time = next.prefix(3)
                if let end = time.firstIndex(where: isClock), time[time.startIndex..<end].allSatisfy({ isAmount($0) || clockNumberWords.contains($0) }) {
                    return ([word] + time[time.startIndex...end]).joined(separator: " ")
                }
                if let first = time.first, isClock(first) { return "\(word) \(first)" }
                if let first = time.first, timesOfDay.contains(first), !names.contains(first) { return "\(word) \(first)" }
                if ["until", "till"].contains(word), let condition = condition(word, Array(next)) { return condition }
                if time.count >= 2, ["half", "quarter"].contains(time[time.startIndex]), ["past", "to"].contains(time[time.startIndex + 1]) {
                    return ([word] + time).joined(separator: " ")
                }
                // "at half six": half past the hour, said the British way; not "at half brightness".
                if time.count >= 2, time[time.startIndex] == "half", hours.contains(time[time.startIndex + 1]),
                   !MentionEvidence.fractionLevels.contains(time.dropFirst(2).first ?? ""), time.dropFirst(2).first != "percent" {
                    return ([word] + time.prefix(2)).joined(separator: " ")
                }
            case "tomorrow", "later", "tonight", "unless":
                return word
            case "this":
                if let part = next.first, ["morning", "afternoon", "evening", "weekend"].contains(part) { return "this \(part)" }
            case "every", "each":
                if let period = next.first, periods.contains(period) { return "\(word) \(period)" }
            case "when", "whenever", "once", "if":
                if let condition = condition(word, Array(next)) { return condition }
            default:
                continue
            }
        }
        return nil
    }

    /// A condition after `word` ("when", "until"…): someone comes or goes, or something changes
    /// ("when it gets dark", "once the sun sets", "until i get back"), as words, or nil. After
    /// "if", being somewhere is a question, not a condition ("tell me if the door is locked").
    static func condition(_ word: String, _ next: [String]) -> String? {
        let waitsFor = { (w: String) in changes.contains(w) || (arrivals.contains(w) && (word != "if" || !states.contains(w))) }
        guard let who = next.first, subjects.contains(who), next.dropFirst().prefix(2).contains(where: waitsFor) else { return nil }
        return ([word] + next.prefix(3)).joined(separator: " ")
    }

    /// The arrivals that say being, not moving.
    static let states: Set<String> = ["am", "are", "is"]
    /// Who or what a condition is about ("when I get home", "once it gets dark"); not "you": "when
    /// you get a sec" and "if you could get" are polite.
    static let subjects: Set<String> = ["i", "we", "someone", "somebody", "they", "the", "it", "its", "my", "our"]
    /// Verbs of a change a condition waits for.
    static let changes: Set<String> = ["gets", "starts", "stops", "finishes", "ends", "sets", "rises", "drops", "falls",
                                       "reaches", "hits", "rains", "snows", "turns", "becomes"]
    /// The hours of a clock in words and digits ("half six").
    static let hours = Set(["one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven",
                            "twelve"] + (1...12).map(String.init))

    /// Number words a clock time may hold besides the amount words ("at eleven thirty pm").
    static let clockNumberWords: Set<String> = ["eleven", "twelve", "thirteen", "fourteen", "sixteen", "seventeen", "eighteen",
                                                 "nineteen", "thirty", "forty", "fifty", "oh"]
}
