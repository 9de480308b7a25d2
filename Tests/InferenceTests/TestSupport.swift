import Foundation
import Inference
import XCTest

/// Paths and loaders shared by the Inference tests.
enum TestSupport {
    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures")

    static func fixture(_ name: String) -> URL { fixtures.appendingPathComponent(name) }

    static func json(_ name: String) throws -> Any {
        try JSONSerialization.jsonObject(with: Data(contentsOf: fixture(name)))
    }

    /// The installed base model; a test that needs it fails (never skips) when it is missing.
    static func modelPath(file: StaticString = #filePath, line: UInt = #line) throws -> String {
        guard let path = ModelLocator.defaultModelPath(), FileManager.default.fileExists(atPath: path) else {
            XCTFail(ModelLocator.notFoundMessage(), file: file, line: line)
            throw XCTSkip("no model")
        }
        return path
    }

    /// A scratch file path that is removed at the end of the test.
    static func temporaryPath(_ name: String) -> String {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("hark-tests-\(getpid())")
        try? FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        return dir.appendingPathComponent(name).path
    }
}

/// Writes small GGUF v3 files for tests of the reader's error paths (format facts from the
/// GGUF specification: magic, version, counts, key/value pairs, tensor infos, aligned data).
struct GGUFBuilder {
    enum Value {
        case uint32(UInt32), int32(Int32), float32(Float), string(String), bool(Bool)
        case stringArray([String]), int32Array([Int32])
    }

    var version: UInt32 = 3
    var metadata: [(String, Value)] = []
    var tensors: [(name: String, shape: [Int], type: UInt32, data: [UInt8])] = []

    mutating func add(_ key: String, _ value: Value) { metadata.append((key, value)) }

    mutating func addTensor(_ name: String, shape: [Int], type: UInt32, data: [UInt8]) {
        tensors.append((name, shape, type, data))
    }

    func bytes() -> [UInt8] {
        var out: [UInt8] = []
        func u32(_ v: UInt32) { withUnsafeBytes(of: v.littleEndian) { out += $0 } }
        func u64(_ v: UInt64) { withUnsafeBytes(of: v.littleEndian) { out += $0 } }
        func str(_ s: String) { u64(UInt64(s.utf8.count)); out += Array(s.utf8) }
        out += Array("GGUF".utf8)
        u32(version)
        u64(UInt64(tensors.count))
        u64(UInt64(metadata.count))
        for (key, value) in metadata {
            str(key)
            switch value {
            case .uint32(let v): u32(4); u32(v)
            case .int32(let v): u32(5); u32(UInt32(bitPattern: v))
            case .float32(let v): u32(6); u32(v.bitPattern)
            case .bool(let v): u32(7); out.append(v ? 1 : 0)
            case .string(let v): u32(8); str(v)
            case .stringArray(let a): u32(9); u32(8); u64(UInt64(a.count)); a.forEach(str)
            case .int32Array(let a): u32(9); u32(5); u64(UInt64(a.count)); a.forEach { u32(UInt32(bitPattern: $0)) }
            }
        }
        var offset = 0
        var offsets: [Int] = []
        for tensor in tensors {
            offsets.append(offset)
            offset += (tensor.data.count + 31) / 32 * 32
        }
        for (i, tensor) in tensors.enumerated() {
            str(tensor.name)
            u32(UInt32(tensor.shape.count))
            tensor.shape.forEach { u64(UInt64($0)) }
            u32(tensor.type)
            u64(UInt64(offsets[i]))
        }
        while out.count % 32 != 0 { out.append(0) }
        for tensor in tensors {
            out += tensor.data
            while out.count % 32 != 0 { out.append(0) }
        }
        return out
    }

    func write(to path: String) throws {
        try Data(bytes()).write(to: URL(fileURLWithPath: path))
    }
}
