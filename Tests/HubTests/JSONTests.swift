import XCTest

@testable import Hub

final class JSONTests: XCTestCase {
    func testParsesAndWritesBackInDocumentOrder() throws {
        let text = #"{"b":1,"a":[true,false,null,"x"],"c":{"z":-2.5,"y":1e3},"d":"\u00e9\n\"q\""}"#
        let json = try JSON.parse(text)
        XCTAssertEqual(json.members?.map(\.key), ["b", "a", "c", "d"])
        XCTAssertEqual(json["c"]?["y"], .number(1000))
        XCTAssertEqual(json["d"]?.stringValue, "é\n\"q\"")
        XCTAssertEqual(json.description, #"{"b":1,"a":[true,false,null,"x"],"c":{"z":-2.5,"y":1000},"d":"é\n\"q\""}"#)
    }

    func testNumbersAreWrittenWithoutNeedlessFractions() {
        XCTAssertEqual(JSON.number(76).description, "76")
        XCTAssertEqual(JSON.number(21.5).description, "21.5")
        XCTAssertEqual(JSON.number(-0.1).description, "-0.1")
        XCTAssertEqual(JSON.number(.infinity).description, "null")
    }

    func testSurrogatePairsAndControlCharacters() throws {
        XCTAssertEqual(try JSON.parse(#""\ud83d\ude00""#).stringValue, "😀")
        XCTAssertEqual(JSON.string("a\u{01}b").description, #""a\u0001b""#)
        XCTAssertThrowsError(try JSON.parse(#""\ud83d""#))
    }

    func testRejectsMalformedInputWithTheByteOffset() {
        let cases: [(String, String)] = [
            (#"{"text":"#, "unexpected end of input at byte 8"),
            (#"{"text" "x"}"#, "expected ':' after member name at byte 8"),
            (#"{"a":1,}"#, "expected a member name in double quotes at byte 7"),
            ("[1 2]", "expected ',' or ']' in array at byte 3"),
            (#"{"a":01}"#, "expected ',' or '}' in object at byte 6"),
            ("tru", "invalid literal (expected 'true') at byte 3"),
            (#"{} x"#, "unexpected text after the JSON value at byte 3"),
            ("\"a\tb\"", "control character in string (must be escaped) at byte 2"),
            ("", "unexpected end of input at byte 0"),
        ]
        for (text, expected) in cases {
            XCTAssertThrowsError(try JSON.parse(text), text) { error in
                XCTAssertEqual("\(error)", expected, text)
            }
        }
    }

    func testDepthIsLimited() {
        let deep = String(repeating: "[", count: 1000) + String(repeating: "]", count: 1000)
        XCTAssertThrowsError(try JSON.parse(deep)) { error in
            XCTAssertTrue("\(error)".contains("nesting deeper than 32 levels"), "\(error)")
        }
        let ok = String(repeating: "[", count: 31) + String(repeating: "]", count: 31)
        XCTAssertNoThrow(try JSON.parse(ok))
    }
}
