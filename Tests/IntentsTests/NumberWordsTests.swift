import XCTest
@testable import Intents

final class NumberWordsTests: XCTestCase {
    func testWords() {
        XCTAssertEqual(NumberWords.words(0), "zero")
        XCTAssertEqual(NumberWords.words(13), "thirteen")
        XCTAssertEqual(NumberWords.words(30), "thirty")
        XCTAssertEqual(NumberWords.words(21), "twenty one")
        XCTAssertEqual(NumberWords.words(100), "one hundred")
        XCTAssertEqual(NumberWords.words(105), "one hundred five")
        XCTAssertEqual(NumberWords.words(999), "nine hundred ninety nine")
        XCTAssertNil(NumberWords.words(1000))
        XCTAssertNil(NumberWords.words(-1))
        XCTAssertEqual(NumberWords.words(SlotNumber(tenths: 215)), "twenty one point five")
        XCTAssertEqual(NumberWords.words(SlotNumber(tenths: -30)), "minus three")
        XCTAssertEqual(NumberWords.spokenForms(SlotNumber(tenths: 215)), ["21.5", "twenty one point five", "twenty one and a half"])
        XCTAssertEqual(NumberWords.spokenForms(SlotNumber(50)), ["50", "fifty"])
    }

    func testRoundTripsForPercentagesAndTemperatures() {
        for n in 0...100 {
            let w = NumberWords.words(n)!
            XCTAssertEqual(NumberWords.parse(w), SlotNumber(n), w)
            XCTAssertEqual(NumberWords.parse(w.replacingOccurrences(of: " ", with: "-")), SlotNumber(n), w)
            XCTAssertEqual(NumberWords.parse(String(n)), SlotNumber(n))
        }
        for tenths in stride(from: 50, through: 350, by: 5) {
            let n = SlotNumber(tenths: tenths)
            for form in NumberWords.spokenForms(n) { XCTAssertEqual(NumberWords.parse(form), n, form) }
        }
    }

    func testParsesWhatPeopleAndASRSay() {
        let cases: [(String, Int)] = [
            ("Twenty-One", 210), ("a hundred", 1000), ("hundred", 1000), ("one hundred and five", 1050),
            ("twenty one point five", 215), ("twenty one and a half", 215), ("nineteen point oh", 190),
            ("half", 5), ("minus five", -50), ("negative two point five", -25), ("21,5", 215), ("-3", -30), ("  thirty  ", 300),
        ]
        for (text, tenths) in cases { XCTAssertEqual(NumberWords.parse(text), SlotNumber(tenths: tenths), text) }
    }

    func testRejectsWhatIsNotANumber() {
        for text in ["", "twenty twenty", "eleventy", "one hundred zero", "twenty point", "point five five", "twenty one point twenty",
                     "21.25", "lights", "zero one", "ten hundred", "and a half"] {
            XCTAssertNil(NumberWords.parse(text), text)
        }
    }
}
