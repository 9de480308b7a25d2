import Foundation
import Inference
import XCTest

/// The GGUF reader against gguf-py's view of the real model and of a synthetic file
/// (fixtures from tools/reference/generate_reference.py).
final class GGUFReaderTests: XCTestCase {
    func testRealModelTensorsMatchReference() throws {
        let file = try GGUFFile(path: TestSupport.modelPath())
        let reference = try XCTUnwrap(TestSupport.json("dequant_reference.json") as? [String: Any])
        XCTAssertEqual(Int(file.version), reference["gguf_version"] as? Int)
        XCTAssertEqual(file.alignment, reference["alignment"] as? Int)
        let tensors = try XCTUnwrap(reference["tensors"] as? [[String: Any]])
        XCTAssertEqual(file.tensors.count, tensors.count)
        for (mine, theirs) in zip(file.tensors, tensors) {
            XCTAssertEqual(mine.name, theirs["name"] as? String)
            XCTAssertEqual(mine.type.name, theirs["type"] as? String, mine.name)
            XCTAssertEqual(mine.shape, theirs["ne"] as? [Int], mine.name)
            XCTAssertEqual(mine.byteCount, theirs["n_bytes"] as? Int, mine.name)
            XCTAssertEqual(mine.fileOffset, theirs["file_offset"] as? Int, mine.name)
        }
    }

    func testRealModelMetadataMatchesReference() throws {
        let file = try GGUFFile(path: TestSupport.modelPath())
        let reference = try XCTUnwrap(TestSupport.json("dequant_reference.json") as? [String: Any])
        let entries = try XCTUnwrap(reference["metadata"] as? [[String: Any]])
        XCTAssertGreaterThan(entries.count, 20)
        for entry in entries {
            let key = try XCTUnwrap(entry["key"] as? String)
            let value = try XCTUnwrap(file.metadata[key], "missing \(key)")
            assertEqual(value, entry["value"], key: key)
        }
        let arrays = try XCTUnwrap(reference["arrays"] as? [[String: Any]])
        for entry in arrays {
            let key = try XCTUnwrap(entry["key"] as? String)
            let values = try file.array(key)
            XCTAssertEqual(values.count, entry["count"] as? Int, key)
            XCTAssertEqual(file.arrayCount(key), values.count, key)
            XCTAssertTrue(file.hasMetadata(key), key)
            // Long arrays stay in the mapping until asked for.
            XCTAssertEqual(file.metadata[key] == nil, values.count > GGUFFile.largeArrayThreshold, key)
            let first = try XCTUnwrap(entry["first"] as? [Any])
            for (value, expected) in zip(values, first) { assertEqual(value, expected, key: key) }
            if let last = values.last { assertEqual(last, entry["last"], key: key) }
        }
    }

    func testEveryValueTypeOfSyntheticFile() throws {
        let file = try GGUFFile(path: TestSupport.fixture("kernels.gguf").path)
        let reference = try XCTUnwrap(TestSupport.json("kernels_reference.json") as? [String: Any])
        let entries = try XCTUnwrap(reference["metadata"] as? [[String: Any]])
        XCTAssertGreaterThanOrEqual(entries.count, 5)
        for entry in entries {
            let key = try XCTUnwrap(entry["key"] as? String)
            assertEqual(try XCTUnwrap(file.metadata[key], key), entry["value"], key: key)
        }
    }

    private func assertEqual(_ value: GGUFValue, _ expected: Any?, key: String, line: UInt = #line) {
        switch (value, expected) {
        case (.string(let s), let e as String): XCTAssertEqual(s, e, key, line: line)
        case (.bool(let b), let e as Bool): XCTAssertEqual(b, e, key, line: line)
        case (.float32, let e as Double), (.float64, let e as Double):
            XCTAssertEqual(value.double!, e, accuracy: abs(e) * 1e-6, key, line: line)
        case (.array(let a), let e as [Any]):
            XCTAssertEqual(a.count, e.count, key, line: line)
            for (x, y) in zip(a, e) { assertEqual(x, y, key: key, line: line) }
        case (_, let e as Int): XCTAssertEqual(value.int, e, key, line: line)
        case (_, let e as Double): XCTAssertEqual(value.double!, e, accuracy: abs(e) * 1e-6, key, line: line)
        default: XCTFail("\(key): \(value) vs \(String(describing: expected))", line: line)
        }
    }
}
