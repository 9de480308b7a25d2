import Foundation
import Inference
import InferenceKernels
import XCTest

/// Dequantizers and dot kernels of every supported type against gguf-py's reference values.
final class KernelTests: XCTestCase {
    /// Rows of the real model: the first values exactly, the whole row through its sum.
    func testDequantizeRealModelRows() throws {
        let file = try GGUFFile(path: TestSupport.modelPath())
        let reference = try XCTUnwrap(TestSupport.json("dequant_reference.json") as? [String: Any])
        let cases = try XCTUnwrap(reference["dequant"] as? [[String: Any]])
        var checkedTypes: Set<String> = []
        for entry in cases {
            let tensor = try file.require(try XCTUnwrap(entry["name"] as? String))
            checkedTypes.insert(tensor.type.name)
            for row in try XCTUnwrap(entry["rows"] as? [[String: Any]]) {
                let index = try XCTUnwrap(row["row"] as? Int)
                let values = dequantize(tensor, row: index)
                let first = try XCTUnwrap(row["first"] as? [Double])
                for (i, expected) in first.enumerated() {
                    XCTAssertEqual(values[i], Float(expected), "\(tensor.name)[\(index)][\(i)]")
                }
                let sum = values.reduce(0.0) { $0 + Double($1) }
                XCTAssertEqual(sum, try XCTUnwrap(row["sum"] as? Double), accuracy: 1e-4, "\(tensor.name)[\(index)] sum")
            }
        }
        XCTAssertEqual(checkedTypes, ["Q4_1", "Q8_0", "F32"])
    }

    /// The synthetic matrices of every type: dequantized values and dot products.
    func testDotProductsOfEveryType() throws {
        let file = try GGUFFile(path: TestSupport.fixture("kernels.gguf").path)
        let reference = try XCTUnwrap(TestSupport.json("kernels_reference.json") as? [String: Any])
        let x = try XCTUnwrap(reference["x"] as? [Double]).map(Float.init)
        let n = x.count
        var blocks = [hk_q8_act](repeating: hk_q8_act(), count: n / 32)
        hk_quantize_act(x, &blocks, Int32(n))
        let matrices = try XCTUnwrap(reference["matrices"] as? [[String: Any]])
        XCTAssertEqual(Set(matrices.compactMap { $0["type"] as? String }), ["F32", "F16", "Q8_0", "Q4_1"])
        for entry in matrices {
            let tensor = try file.require(try XCTUnwrap(entry["tensor"] as? String))
            let expectedDots = try XCTUnwrap(entry["dot"] as? [Double])
            let firsts = try XCTUnwrap(entry["first16"] as? [[Double]])
            let quantizedInput = tensor.type == .q8_0 || tensor.type == .q4_1
            var matmul = [Float](repeating: 0, count: tensor.rowCount)
            hk_matmul(Int32(tensor.type.rawValue), tensor.data, tensor.rowBytes, Int32(n), 0, Int32(tensor.rowCount),
                      x, blocks, 1, &matmul, 0)
            for r in 0..<tensor.rowCount {
                let row = dequantize(tensor, row: r)
                for (i, expected) in firsts[r].enumerated() {
                    XCTAssertEqual(row[i], Float(expected), "\(tensor.name)[\(r)][\(i)]")
                }
                let dot = hk_dot_row(Int32(tensor.type.rawValue), tensor.data + r * tensor.rowBytes, x, blocks, Int32(n))
                XCTAssertEqual(matmul[r], dot, accuracy: abs(dot) * 1e-6 + 1e-6, "matmul and dot agree")
                // Float inputs: only summation order differs. Int16 inputs: each activation is off by
                // at most half a quantization step (amax/32767/2 per block), so the dot is off by at most
                // sum |w_i| * step_i / 2; the test allows exactly that bound.
                var bound: Double = Double(n) * 1e-6 * (abs(expectedDots[r]) + 1)
                if quantizedInput {
                    bound = 0
                    for b in 0..<(n / 32) {
                        let amax = x[(b * 32)..<(b * 32 + 32)].map(abs).max()!
                        let rowBlockSum = row[(b * 32)..<(b * 32 + 32)].reduce(0) { $0 + abs(Double($1)) }
                        bound += rowBlockSum * Double(amax) / 32767 / 2
                    }
                    bound += 1e-4
                }
                XCTAssertEqual(Double(dot), expectedDots[r], accuracy: bound, "\(tensor.name) row \(r)")
            }
        }
    }

    /// Several tokens at once (the prefill tiles) give the same products as one token at a time.
    func testBatchedMatmulEqualsSingleTokenProducts() throws {
        let file = try GGUFFile(path: TestSupport.modelPath())
        for name in ["blk.3.ffn_down.weight", "token_embd.weight"] {
            let tensor = try file.require(name)
            let n = tensor.rowLength, rows = min(tensor.rowCount, 96), tokens = 7
            var generator = SplitMix(seed: 42)
            let x = (0..<(n * tokens)).map { _ in Float(generator.nextDouble() * 2 - 1) }
            var blocks = [hk_q8_act](repeating: hk_q8_act(), count: n / 32 * tokens)
            hk_quantize_act(x, &blocks, Int32(n * tokens))
            var batched = [Float](repeating: 0, count: rows * tokens)
            hk_matmul(Int32(tensor.type.rawValue), tensor.data, tensor.rowBytes, Int32(n), 0, Int32(rows), x, blocks,
                      Int32(tokens), &batched, Int32(rows))
            for t in 0..<tokens {
                var single = [Float](repeating: 0, count: rows)
                blocks.withUnsafeBufferPointer { b in
                    hk_matmul(Int32(tensor.type.rawValue), tensor.data, tensor.rowBytes, Int32(n), 0, Int32(rows), nil,
                              b.baseAddress! + t * n / 32, 1, &single, 0)
                }
                for r in 0..<rows {
                    XCTAssertEqual(batched[t * rows + r], single[r], accuracy: abs(single[r]) * 1e-5 + 1e-5, "\(name) t\(t) r\(r)")
                }
            }
        }
    }

    /// The interleaved Q4_1 product (eight rows per group) gives what the row-by-row product
    /// gives, for every tile size and a remainder, on the model's real rows.
    func testInterleavedQ4_1ProductEqualsRowByRowProduct() throws {
        let file = try GGUFFile(path: TestSupport.modelPath())
        for name in ["blk.3.ffn_down.weight", "blk.0.attn_k.weight"] {
            let tensor = try file.require(name)
            XCTAssertEqual(tensor.type, .q4_1, name)
            let n = tensor.rowLength, rows = 48, nb = n / 32
            var packed = [hk_block_q4_1x8](repeating: hk_block_q4_1x8(), count: rows / 8 * nb)
            hk_repack_q4_1x8(tensor.data, tensor.rowBytes, Int32(rows), Int32(n), &packed)
            for tokens in [1, 3, 8, 11] {
                var generator = SplitMix(seed: UInt64(tokens))
                let x = (0..<(n * tokens)).map { _ in Float(generator.nextDouble() * 2 - 1) }
                var blocks = [hk_q8_act](repeating: hk_q8_act(), count: nb * tokens)
                hk_quantize_act(x, &blocks, Int32(n * tokens))
                var rowByRow = [Float](repeating: 0, count: rows * tokens), grouped = rowByRow
                hk_matmul(Int32(tensor.type.rawValue), tensor.data, tensor.rowBytes, Int32(n), 0, Int32(rows), x, blocks,
                          Int32(tokens), &rowByRow, Int32(rows))
                // In two calls, the second starting at a group boundary, as the worker pool splits it.
                hk_matmul_q4_1x8(packed, Int32(n), 0, 16, blocks, Int32(tokens), &grouped, Int32(rows))
                hk_matmul_q4_1x8(packed, Int32(n), 16, Int32(rows), blocks, Int32(tokens), &grouped, Int32(rows))
                for i in rowByRow.indices {
                    XCTAssertEqual(grouped[i], rowByRow[i], accuracy: abs(rowByRow[i]) * 1e-5 + 1e-5, "\(name) tokens \(tokens) #\(i)")
                }
            }
        }
    }

    /// The adapter term in two halves, the second split by output rows as the products' chunks
    /// split it, gives exactly what the one-piece kernel gives.
    func testLowRankTermInHalvesEqualsTheWholeTerm() {
        let (input, output, rank, tokens) = (96, 40, 16, 3)
        var generator = SplitMix(seed: 7)
        func halves(_ n: Int) -> [UInt16] { (0..<n).map { _ in hk_fp32_to_fp16(Float(generator.nextDouble() - 0.5)) } }
        let a = halves(rank * input), bt = halves(rank * output)
        let x = (0..<(input * tokens)).map { _ in Float(generator.nextDouble() * 2 - 1) }
        let y0 = (0..<(output * tokens)).map { _ in Float(generator.nextDouble()) }
        var whole = y0, split = y0
        hk_lora_add(a, bt, Int32(input), Int32(output), Int32(rank), 0.5, x, Int32(input), Int32(tokens), &whole, Int32(output))
        var h = [Float](repeating: 0, count: rank * tokens)
        hk_lora_down(a, Int32(input), Int32(rank), 0.5, x, Int32(input), Int32(tokens), &h)
        for (r0, r1) in [(0, 16), (16, 32), (32, 40)] {
            hk_lora_up_rows(bt, Int32(output), Int32(rank), h, Int32(tokens), Int32(r0), Int32(r1), &split, Int32(output))
        }
        XCTAssertEqual(split, whole)
        XCTAssertNotEqual(split, y0)
    }

    /// Grouped-query attention over an fp16 cache (the model's shape, 3 query heads per key/value
    /// head of 64, and a shape that takes the portable loops) equals attention in double precision
    /// over the same fp16-rounded keys and values; rows are rounded as the scalar conversion rounds.
    func testAttentionOverHalfPrecisionCacheEqualsReference() {
        var generator = SplitMix(seed: 11)
        for (group, headDim, span) in [(3, 64, 37), (2, 24, 9)] {
            let stride = headDim * 2  // a second key/value head beside this one, as in the cache
            let q = (0..<(group * headDim)).map { _ in Float(generator.nextDouble() * 2 - 1) }
            let rows = (0..<(span * stride)).map { _ in Float(generator.nextDouble() * 4 - 2) }
            var keys = [UInt16](repeating: 0, count: span * stride), values = keys
            hk_fp32_to_fp16_row(rows, &keys, Int32(rows.count))
            XCTAssertEqual(keys, rows.map { hk_fp32_to_fp16($0) })
            for (i, k) in keys.enumerated() { values[i] = hk_fp32_to_fp16(hk_fp16_to_fp32(k) * 0.5 + 0.25) }
            let scale = 1 / Float(headDim).squareRoot()
            var scores = [Float](repeating: 0, count: group * span), out = [Float](repeating: 0, count: group * headDim)
            hk_attention_group(q, Int32(group), keys, values, Int32(span), Int32(headDim), Int32(stride), scale, &scores, &out)
            for g in 0..<group {
                let logits = (0..<span).map { j in
                    (0..<headDim).reduce(0.0) { $0 + Double(q[g * headDim + $1]) * Double(hk_fp16_to_fp32(keys[j * stride + $1])) } * Double(scale)
                }
                let top = logits.max()!, weights = logits.map { exp($0 - top) }, total = weights.reduce(0, +)
                for i in 0..<headDim {
                    let expected = (0..<span).reduce(0.0) { $0 + weights[$1] * Double(hk_fp16_to_fp32(values[$1 * stride + i])) } / total
                    XCTAssertEqual(Double(out[g * headDim + i]), expected, accuracy: 1e-5, "group \(group) head \(g) dim \(i)")
                }
            }
        }
    }

    func testHalfPrecisionConversionRoundTrips() {
        for value: Float in [0, -0, 1, -2.5, 65504, 6.1035156e-05, 5.9604645e-08, .infinity] {
            XCTAssertEqual(F16.toFloat(F16.fromFloat(value)), value)
        }
        XCTAssertEqual(F16.fromFloat(1), 0x3C00)
        XCTAssertTrue(F16.toFloat(0x7E00).isNaN)
    }

    private func dequantize(_ tensor: GGUFTensor, row: Int) -> [Float] {
        let n = tensor.rowLength
        return [Float](unsafeUninitializedCapacity: n) { buffer, count in
            hk_dequantize_row(Int32(tensor.type.rawValue), tensor.data + row * tensor.rowBytes, buffer.baseAddress, Int32(n))
            count = n
        }
    }
}

/// A small deterministic generator for test inputs.
struct SplitMix: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    mutating func nextDouble() -> Double { Double(next() >> 11) / Double(1 << 53) }
}
