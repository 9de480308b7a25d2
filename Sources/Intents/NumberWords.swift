/// English number words as ASR engines and people produce them: "thirty", "twenty one",
/// "twenty one point five", "twenty one and a half", "one hundred". Covers 0...999 and halves/tenths,
/// which is every percentage, temperature and level the catalog uses.
public enum NumberWords {
    static let ones = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten",
                       "eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen", "nineteen"]
    static let tens = ["", "", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"]

    /// Words for 0...999 ("twenty one", "one hundred", "one hundred five"); nil outside.
    public static func words(_ n: Int) -> String? {
        guard (0...999).contains(n) else { return nil }
        if n < 20 { return ones[n] }
        if n < 100 { return n % 10 == 0 ? tens[n / 10] : "\(tens[n / 10]) \(ones[n % 10])" }
        let rest = n % 100
        return rest == 0 ? "\(ones[n / 100]) hundred" : "\(ones[n / 100]) hundred \(words(rest)!)"
    }

    /// Words for a slot number: "twenty one", "twenty one point five", "minus three"; nil when the
    /// whole part is beyond 999.
    public static func words(_ n: SlotNumber) -> String? {
        let m = abs(n.tenths)
        guard let whole = words(m / 10) else { return nil }
        let sign = n.tenths < 0 ? "minus " : ""
        return m % 10 == 0 ? sign + whole : "\(sign)\(whole) point \(ones[m % 10])"
    }

    /// Every way Hark writes a number in training text: digits, words and, for halves, "and a half".
    public static func spokenForms(_ n: SlotNumber) -> [String] {
        var out = [n.description]
        if let w = words(n) { out.append(w) }
        if n.tenths > 0, n.tenths % 10 == 5, let whole = words(n.tenths / 10) { out.append("\(whole) and a half") }
        return out
    }

    /// Parses digits (`21`, `21.5`, `21,5`) or words ("twenty-one", "a hundred", "twenty one point
    /// five", "twenty one and a half", "minus five", "half"). Returns nil for anything else, including
    /// values needing more than one decimal digit.
    public static func parse(_ text: String) -> SlotNumber? {
        let t = normalizePhrase(text.replacingDashes())
        if t.isEmpty { return nil }
        if let d = Double(t.replacingComma()), t.first!.isNumber || t.first == "-" || t.first == "." { return SlotNumber(exactly: d) }
        var tokens = t.split(separator: " ").map(String.init)
        var negative = false
        if let f = tokens.first, f == "minus" || f == "negative" { negative = true; tokens.removeFirst() }
        var tenths: Int
        if tokens == ["half"] || tokens == ["a", "half"] {
            tenths = 5
        } else if tokens.count >= 3, tokens.suffix(3) == ["and", "a", "half"] {
            guard let whole = parseWhole(Array(tokens.dropLast(3))) else { return nil }
            tenths = whole * 10 + 5
        } else if let p = tokens.firstIndex(of: "point") {
            guard let whole = parseWhole(Array(tokens[..<p])) else { return nil }
            let frac = tokens[(p + 1)...]
            guard frac.count == 1, let d = ones.firstIndex(of: frac.first!) ?? (frac.first == "oh" ? 0 : nil), d < 10 else { return nil }
            tenths = whole * 10 + d
        } else {
            guard let whole = parseWhole(tokens) else { return nil }
            tenths = whole * 10
        }
        return SlotNumber(tenths: negative ? -tenths : tenths)
    }

    /// "twenty one" → 21, "one hundred and five" → 105, "a hundred" → 100; nil for anything else.
    static func parseWhole(_ tokens: [String]) -> Int? {
        var tokens = tokens.filter { $0 != "and" }
        guard !tokens.isEmpty else { return nil }
        var value = 0
        if let h = tokens.firstIndex(of: "hundred") {
            let head = tokens[..<h]
            let mult: Int
            if head.isEmpty || head == ["a"] { mult = 1 } else if head.count == 1, let o = ones.firstIndex(of: head.first!), o > 0, o < 10 { mult = o } else { return nil }
            value = mult * 100
            tokens = Array(tokens[(h + 1)...])
            if tokens.isEmpty { return value }
        }
        let rest: Int
        if tokens.count == 1 {
            if let o = ones.firstIndex(of: tokens[0]) { rest = o } else if let t = tens.firstIndex(of: tokens[0]), t >= 2 { rest = t * 10 } else { return nil }
        } else if tokens.count == 2, let t = tens.firstIndex(of: tokens[0]), t >= 2, let o = ones.firstIndex(of: tokens[1]), o >= 1, o <= 9 {
            rest = t * 10 + o
        } else {
            return nil
        }
        if value > 0 && rest == 0 { return nil }
        return value + rest
    }
}

private extension String {
    func replacingDashes() -> String { String(map { $0 == "-" ? " " : $0 }).trimmingLeadingMinusFix(self) }
    func replacingComma() -> String { String(map { $0 == "," ? "." : $0 }) }

    /// Keeps a leading minus sign of digit input ("-5") while word dashes ("twenty-one") become spaces.
    func trimmingLeadingMinusFix(_ original: String) -> String {
        if let f = original.first, f == "-", original.dropFirst().first?.isNumber == true { return "-" + dropFirst() }
        return self
    }
}
