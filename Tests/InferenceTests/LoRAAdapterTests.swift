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

    /// The committed intent adapter gives the same greedy tokens as transformers with the same
    /// adapter merged in float32, on 50 parser prompts
    /// (fixture: tools/reference/generate_adapter_reference.py).
    func testGreedyOutputsEqualTheReferenceWithTheCommittedAdapter() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let fixtureURL = URL(fileURLWithPath: ProcessInfo.processInfo.environment["HARK_ADAPTER_FIXTURE"]
                             ?? TestSupport.fixture("adapter_reference.json").path)
        let adapterPath = ProcessInfo.processInfo.environment["HARK_ADAPTER_UNDER_TEST"]
            ?? root.appendingPathComponent("intents/adapter/hark-intents.lora.gguf").path
        let fixture = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: fixtureURL)) as? [String: Any])
        let adapterData = try Data(contentsOf: URL(fileURLWithPath: adapterPath))
        XCTAssertEqual(SHA256Hex.of(adapterData), fixture["adapter_sha256"] as? String,
                       "the fixture was made for another adapter: regenerate it (tools/reference/generate_adapter_reference.py)")
        let model = try LlamaModel(path: TestSupport.modelPath())
        let adapter = try LoRAAdapter(path: adapterPath, model: model)
        let cases = try XCTUnwrap(fixture["cases"] as? [[String: Any]])
        XCTAssertGreaterThanOrEqual(cases.count, 50)
        let end: Int32 = 2  // <|im_end|>
        let session = LlamaSession(model: model, adapter: adapter, threads: 2, contextCapacity: 1024)
        var previous: [Int32] = []
        var equal = 0
        for (index, item) in cases.enumerated() {
            let prompt = (item["prompt_ids"] as? [Int] ?? []).map(Int32.init)
            let expected = (item["output_ids"] as? [Int] ?? []).map(Int32.init)
            // Consecutive prompts share the system prefix: keep its keys and values.
            var shared = 0
            while shared < min(prompt.count - 1, previous.count, session.position), prompt[shared] == previous[shared] { shared += 1 }
            session.rewind(to: shared)
            var logits = try session.forward(Array(prompt[shared...]))
            previous = prompt
            var produced: [Int32] = []
            while produced.count < 16 {
                let next = Int32(LlamaSession.argmax(logits))
                if next == end { break }
                produced.append(next)
                logits = try session.forward([next])
            }
            previous = prompt + produced
            if produced == Array(expected.prefix(16)) { equal += 1 } else {
                XCTFail("case \(index): \(produced) vs reference \(expected) ('\(item["output_text"] ?? "")')")
            }
        }
        print("adapter reference: \(equal) of \(cases.count) greedy outputs equal")
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

/// SHA-256 as lowercase hex (FIPS 180-4), to tie a fixture to the file it was made from.
enum SHA256Hex {
    static func of(_ data: Data) -> String {
        var h: [UInt32] = [0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19]
        let k: [UInt32] = [
            0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5, 0xd807aa98, 0x12835b01,
            0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc,
            0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da, 0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147,
            0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
            0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070, 0x19a4c116, 0x1e376c08,
            0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3, 0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208,
            0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2]
        var message = [UInt8](data)
        let bitLength = UInt64(message.count) * 8
        message.append(0x80)
        while message.count % 64 != 56 { message.append(0) }
        for shift in stride(from: 56, through: 0, by: -8) { message.append(UInt8(truncatingIfNeeded: bitLength >> UInt64(shift))) }
        func rotr(_ x: UInt32, _ n: UInt32) -> UInt32 { (x >> n) | (x << (32 - n)) }
        var w = [UInt32](repeating: 0, count: 64)
        for chunk in stride(from: 0, to: message.count, by: 64) {
            for i in 0..<16 {
                w[i] = UInt32(message[chunk + 4 * i]) << 24 | UInt32(message[chunk + 4 * i + 1]) << 16
                    | UInt32(message[chunk + 4 * i + 2]) << 8 | UInt32(message[chunk + 4 * i + 3])
            }
            for i in 16..<64 {
                let s0 = rotr(w[i - 15], 7) ^ rotr(w[i - 15], 18) ^ (w[i - 15] >> 3)
                let s1 = rotr(w[i - 2], 17) ^ rotr(w[i - 2], 19) ^ (w[i - 2] >> 10)
                w[i] = w[i - 16] &+ s0 &+ w[i - 7] &+ s1
            }
            var (a, b, c, d, e, f, g, hh) = (h[0], h[1], h[2], h[3], h[4], h[5], h[6], h[7])
            for i in 0..<64 {
                let t1 = hh &+ (rotr(e, 6) ^ rotr(e, 11) ^ rotr(e, 25)) &+ ((e & f) ^ (~e & g)) &+ k[i] &+ w[i]
                let t2 = (rotr(a, 2) ^ rotr(a, 13) ^ rotr(a, 22)) &+ ((a & b) ^ (a & c) ^ (b & c))
                (hh, g, f, e, d, c, b, a) = (g, f, e, d &+ t1, c, b, a, t1 &+ t2)
            }
            h = [h[0] &+ a, h[1] &+ b, h[2] &+ c, h[3] &+ d, h[4] &+ e, h[5] &+ f, h[6] &+ g, h[7] &+ hh]
        }
        return h.map { String($0, radix: 16).leftPadded8 }.joined()
    }
}

private extension String {
    var leftPadded8: String { String(repeating: "0", count: max(0, 8 - count)) + self }
}
