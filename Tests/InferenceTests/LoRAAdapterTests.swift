import Foundation
import Inference
import XCTest

/// LoRA adapters in llama.cpp's GGUF convention: loading, shape and type checks, and that the
/// low-rank term reaches the logits (and vanishes when B is zero).
final class LoRAAdapterTests: XCTestCase {
    func testZeroAdapterLeavesLogitsUnchangedAndNonZeroChangesThem() throws {
        let model = try LlamaModel(path: TestSupport.modelPath())
        let prompt: [Int32] = [1, 9690, 198, 2683, 359, 253, 5356]
        let base = try LlamaSession(model: model, threads: 1, contextCapacity: 32).forward(prompt)

        let zeroPath = TestSupport.temporaryPath("zero.lora.gguf")
        try adapter(rank: 4, bScale: 0).write(to: zeroPath)
        let zero = try LoRAAdapter(path: zeroPath, model: model)
        XCTAssertEqual(zero.layers.count, 30)
        XCTAssertEqual(zero.layers[0].count, 7)
        let unchanged = try LlamaSession(model: model, adapter: zero, threads: 1, contextCapacity: 32).forward(prompt)
        XCTAssertEqual(unchanged, base)

        let path = TestSupport.temporaryPath("small.lora.gguf")
        try adapter(rank: 4, bScale: 0.05).write(to: path)
        let small = try LoRAAdapter(path: path, model: model)
        let changed = try LlamaSession(model: model, adapter: small, threads: 2, contextCapacity: 32).forward(prompt)
        let difference = zip(changed, base).map { abs($0 - $1) }.max() ?? 0
        XCTAssertGreaterThan(difference, 0.01, "the adapter must change the logits")
        // Deterministic, and the same with one or two threads.
        let again = try LlamaSession(model: model, adapter: small, threads: 1, contextCapacity: 32).forward(prompt)
        for (a, b) in zip(again, changed) { XCTAssertEqual(a, b, accuracy: 1e-3) }
    }

    func testAdapterErrorsNameTheProblem() throws {
        let model = try LlamaModel(path: TestSupport.modelPath())
        var notAdapter = adapter(rank: 2, bScale: 0)
        notAdapter.metadata.removeAll { $0.0 == "adapter.type" }
        let p1 = TestSupport.temporaryPath("not.lora.gguf")
        try notAdapter.write(to: p1)
        XCTAssertThrowsError(try LoRAAdapter(path: p1, model: model)) { error in
            XCTAssertTrue("\(error)".contains("adapter.type"), "\(error)")
        }

        var missingB = adapter(rank: 2, bScale: 0)
        missingB.tensors.removeAll { $0.name == "blk.3.ffn_up.weight.lora_b" }
        let p2 = TestSupport.temporaryPath("missing-b.lora.gguf")
        try missingB.write(to: p2)
        XCTAssertThrowsError(try LoRAAdapter(path: p2, model: model)) { error in
            XCTAssertEqual(error as? GGUFError, .missingTensor(path: p2, tensor: "blk.3.ffn_up.weight.lora_b"))
        }

        var wrongShape = adapter(rank: 2, bScale: 0)
        if let i = wrongShape.tensors.firstIndex(where: { $0.name == "blk.0.attn_k.weight.lora_b" }) {
            wrongShape.tensors[i].shape = [2, 576]  // k projects to 192, not 576
            wrongShape.tensors[i].data = [UInt8](repeating: 0, count: 2 * 576 * 4)
        }
        let p3 = TestSupport.temporaryPath("shape.lora.gguf")
        try wrongShape.write(to: p3)
        XCTAssertThrowsError(try LoRAAdapter(path: p3, model: model)) { error in
            guard case .tensorShape(_, let tensor, _, _)? = error as? GGUFError else { return XCTFail("\(error)") }
            XCTAssertEqual(tensor, "blk.0.attn_k.weight.lora_b")
        }
    }

    /// A rank-`rank` adapter on every matrix of every block: A with small deterministic values,
    /// B scaled by `bScale` (0 gives an adapter that changes nothing).
    private func adapter(rank: Int, bScale: Float) -> GGUFBuilder {
        var b = GGUFBuilder()
        b.add("general.architecture", .string("llama"))
        b.add("general.type", .string("adapter"))
        b.add("adapter.type", .string("lora"))
        b.add("adapter.lora.alpha", .float32(Float(rank)))
        let shapes: [(String, Int, Int)] = [("attn_q", 576, 576), ("attn_k", 576, 192), ("attn_v", 576, 192),
                                            ("attn_output", 576, 576), ("ffn_gate", 576, 1536), ("ffn_up", 576, 1536),
                                            ("ffn_down", 1536, 576)]
        var generator = SplitMix(seed: 7)
        func floats(_ count: Int, scale: Float) -> [UInt8] {
            var bytes: [UInt8] = []
            bytes.reserveCapacity(count * 4)
            for _ in 0..<count {
                let value = Float(generator.nextDouble() * 2 - 1) * scale
                withUnsafeBytes(of: value.bitPattern.littleEndian) { bytes += $0 }
            }
            return bytes
        }
        for layer in 0..<30 {
            for (name, inputs, outputs) in shapes {
                let base = "blk.\(layer).\(name).weight"
                b.addTensor(base + ".lora_a", shape: [inputs, rank], type: 0, data: floats(inputs * rank, scale: 0.05))
                b.addTensor(base + ".lora_b", shape: [rank, outputs], type: 0, data: floats(rank * outputs, scale: bScale))
            }
        }
        return b
    }
}
