import Foundation
import Inference
import XCTest

/// Every way a model file can be wrong gets an error that names the file and the problem.
final class ModelErrorTests: XCTestCase {
    func testMissingFile() {
        let path = TestSupport.temporaryPath("does-not-exist.gguf")
        XCTAssertThrowsError(try LlamaModel(path: path)) { error in
            XCTAssertEqual(error as? GGUFError, .fileNotFound(path: path))
            XCTAssertTrue("\(error)".contains(path))
        }
    }

    func testNotAGGUF() throws {
        let path = TestSupport.temporaryPath("text.gguf")
        try Data("hello, this is not a model\n".utf8).write(to: URL(fileURLWithPath: path))
        XCTAssertThrowsError(try GGUFFile(path: path)) { error in
            guard case .notGGUF(let p, _)? = error as? GGUFError else { return XCTFail("\(error)") }
            XCTAssertEqual(p, path)
        }
        let empty = TestSupport.temporaryPath("empty.gguf")
        try Data().write(to: URL(fileURLWithPath: empty))
        XCTAssertThrowsError(try GGUFFile(path: empty)) { error in
            guard case .notGGUF? = error as? GGUFError else { return XCTFail("\(error)") }
        }
    }

    func testUnsupportedVersion() throws {
        var builder = GGUFBuilder()
        builder.version = 7
        let path = TestSupport.temporaryPath("v7.gguf")
        try builder.write(to: path)
        XCTAssertThrowsError(try GGUFFile(path: path)) { error in
            XCTAssertEqual(error as? GGUFError, .unsupportedVersion(path: path, version: 7))
        }
    }

    /// The real model cut at many points: metadata, tensor infos and tensor data.
    func testTruncatedFileAtEveryStage() throws {
        let model = try Data(contentsOf: URL(fileURLWithPath: TestSupport.modelPath()))
        let path = TestSupport.temporaryPath("truncated.gguf")
        for cut in [6, 20, 1000, 500_000, 1_700_000, 1_785_700, 60_000_000, model.count - 1] {
            try model.prefix(cut).write(to: URL(fileURLWithPath: path))
            XCTAssertThrowsError(try LlamaModel(path: path), "cut at \(cut)") { error in
                let message = "\(error)"
                XCTAssertTrue(message.contains(path), message)
                guard case .truncated? = error as? GGUFError else {
                    if case .notGGUF? = error as? GGUFError, cut < 24 { return }
                    return XCTFail("cut at \(cut): \(message)")
                }
                XCTAssertTrue(message.contains("truncated"), message)
            }
        }
    }

    func testUnsupportedTensorTypeNamesTensorAndType() throws {
        var builder = GGUFBuilder()
        builder.add("general.architecture", .string("llama"))
        builder.addTensor("blk.0.ffn_down.weight", shape: [256, 2], type: 12, data: [UInt8](repeating: 0, count: 288))  // Q4_K
        let path = TestSupport.temporaryPath("q4k.gguf")
        try builder.write(to: path)
        XCTAssertThrowsError(try GGUFFile(path: path)) { error in
            XCTAssertEqual(error as? GGUFError, .unsupportedTensorType(path: path, tensor: "blk.0.ffn_down.weight", type: "Q4_K"))
            XCTAssertTrue("\(error)".contains("Q4_K"))
        }
    }

    func testUnsupportedArchitecture() throws {
        var builder = GGUFBuilder()
        builder.add("general.architecture", .string("mamba"))
        let path = TestSupport.temporaryPath("mamba.gguf")
        try builder.write(to: path)
        XCTAssertThrowsError(try LlamaModel(path: path)) { error in
            XCTAssertEqual(error as? GGUFError, .unsupportedArchitecture(path: path, architecture: "mamba"))
        }
    }

    /// A vocabulary whose size differs from the embedding's rows.
    func testVocabularyMismatch() throws {
        let builder = tinyLlama(vocabularyTokens: 40, embeddingRows: 32)
        let path = TestSupport.temporaryPath("vocab.gguf")
        try builder.write(to: path)
        XCTAssertThrowsError(try LlamaModel(path: path)) { error in
            guard case .vocabularyMismatch(let p, let reason)? = error as? GGUFError else { return XCTFail("\(error)") }
            XCTAssertEqual(p, path)
            XCTAssertTrue(reason.contains("40") && reason.contains("32"), reason)
        }
        // The same file with matching sizes loads, so the error above is about the vocabulary alone.
        let good = TestSupport.temporaryPath("vocab-ok.gguf")
        try tinyLlama(vocabularyTokens: 32, embeddingRows: 32).write(to: good)
        XCTAssertNoThrow(try LlamaModel(path: good))
    }

    func testMissingTensorIsNamed() throws {
        var builder = tinyLlama(vocabularyTokens: 32, embeddingRows: 32)
        builder.tensors.removeAll { $0.name == "blk.0.ffn_up.weight" }
        let path = TestSupport.temporaryPath("missing.gguf")
        try builder.write(to: path)
        XCTAssertThrowsError(try LlamaModel(path: path)) { error in
            XCTAssertEqual(error as? GGUFError, .missingTensor(path: path, tensor: "blk.0.ffn_up.weight"))
        }
    }

    /// A one-block Llama with embedding 32 and F32 weights.
    private func tinyLlama(vocabularyTokens: Int, embeddingRows: Int) -> GGUFBuilder {
        var b = GGUFBuilder()
        let d = 32, ff = 64
        b.add("general.architecture", .string("llama"))
        b.add("llama.embedding_length", .uint32(UInt32(d)))
        b.add("llama.block_count", .uint32(1))
        b.add("llama.feed_forward_length", .uint32(UInt32(ff)))
        b.add("llama.attention.head_count", .uint32(4))
        b.add("llama.attention.head_count_kv", .uint32(2))
        b.add("llama.attention.layer_norm_rms_epsilon", .float32(1e-5))
        b.add("llama.context_length", .uint32(64))
        b.add("tokenizer.ggml.tokens", .stringArray((0..<vocabularyTokens).map { "t\($0)" }))
        func f32(_ name: String, _ shape: [Int]) {
            b.addTensor(name, shape: shape, type: 0, data: [UInt8](repeating: 0, count: shape.reduce(4, *)))
        }
        f32("token_embd.weight", [d, embeddingRows])
        f32("output_norm.weight", [d])
        for name in ["attn_norm", "ffn_norm"] { f32("blk.0.\(name).weight", [d]) }
        f32("blk.0.attn_q.weight", [d, d])
        f32("blk.0.attn_k.weight", [d, 16])
        f32("blk.0.attn_v.weight", [d, 16])
        f32("blk.0.attn_output.weight", [d, d])
        f32("blk.0.ffn_gate.weight", [d, ff])
        f32("blk.0.ffn_up.weight", [d, ff])
        f32("blk.0.ffn_down.weight", [ff, d])
        return b
    }
}

/// Where the default model and adapter are looked for.
final class ModelLocatorTests: XCTestCase {
    func testAdapterIsFoundBesideTheBuildTreeForRelativeAndAbsoluteExecutables() throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("hark-locator-\(getpid())")
        let adapterDirectory = root.appendingPathComponent("intents/adapter")
        try FileManager.default.createDirectory(at: adapterDirectory, withIntermediateDirectories: true)
        let adapter = adapterDirectory.appendingPathComponent(ModelLocator.defaultAdapterFileName)
        try Data("x".utf8).write(to: adapter)
        defer { try? FileManager.default.removeItem(at: root) }
        XCTAssertEqual(ModelLocator.defaultAdapterPath(executable: root.path + "/.build/release/hark"), adapter.path)
        let previous = FileManager.default.currentDirectoryPath
        _ = FileManager.default.changeCurrentDirectoryPath(root.path)
        defer { _ = FileManager.default.changeCurrentDirectoryPath(previous) }
        XCTAssertEqual(ModelLocator.defaultAdapterPath(executable: ".build/release/hark"), "./intents/adapter/" + ModelLocator.defaultAdapterFileName)
        XCTAssertNil(ModelLocator.defaultAdapterPath(executable: "/nowhere/.build/release/hark").flatMap { $0.hasPrefix("/nowhere") ? $0 : nil })
    }
}
