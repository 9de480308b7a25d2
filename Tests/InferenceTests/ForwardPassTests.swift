import Foundation
import Inference
import XCTest

/// The Llama forward pass against transformers running the same GGUF dequantized to float32
/// (fixture from tools/reference/generate_reference.py).
///
/// Tolerance: the reference multiplies the same Q4_1/Q8_0 weights, dequantized, by float32
/// activations; Hark rounds activations to int16 per block of 32 (half a step is 1/65534 of the
/// block's largest value), so logits differ only by that rounding and summation order: 0.008 at
/// most over the three prompts (measured). The test allows 0.05, a fiftieth of a logit row's
/// spread: a wrong layer, RoPE, norm or transposed weight moves logits by whole units and fails,
/// and so does ggml-style int8 activation rounding, which moved them by up to 1.05 here and
/// flipped five near-tied top-1 tokens.
final class ForwardPassTests: XCTestCase {
    struct Reference {
        var name: String
        var ids: [Int32]
        var positions: [[String: Any]]
        var greedy: [Int32]
    }

    static func references() throws -> (probes: [Int], prompts: [Reference]) {
        let json = try XCTUnwrap(TestSupport.json("logits_reference.json") as? [String: Any])
        let probes = try XCTUnwrap(json["probe_token_ids"] as? [Int])
        let prompts = try XCTUnwrap(json["prompts"] as? [[String: Any]]).map { p in
            Reference(name: p["name"] as? String ?? "?",
                      ids: (p["token_ids"] as? [Int] ?? []).map(Int32.init),
                      positions: p["positions"] as? [[String: Any]] ?? [],
                      greedy: (p["greedy_token_ids"] as? [Int] ?? []).map(Int32.init))
        }
        return (probes, prompts)
    }

    func testLogitsMatchReferenceAtEveryPosition() throws {
        try checkLogits(threads: 1)
    }

    /// Two threads split the matrix rows and the attention heads; results must not change.
    func testTwoThreadsGiveTheSameLogits() throws {
        try checkLogits(threads: 2)
    }

    func testGreedyContinuationMatchesReference() throws {
        let model = try LlamaModel(path: TestSupport.modelPath())
        let (_, prompts) = try Self.references()
        for prompt in prompts {
            let session = LlamaSession(model: model, threads: 2, contextCapacity: 256)
            let produced = try session.generate(prompt: prompt.ids, maxTokens: prompt.greedy.count)
            XCTAssertEqual(produced, prompt.greedy, prompt.name)
        }
    }

    /// A prefix computed once and rewound to gives the same logits as a fresh run (the daemon
    /// reuses a cached system prompt this way).
    func testRewindReusesPrefix() throws {
        let model = try LlamaModel(path: TestSupport.modelPath())
        let (_, prompts) = try Self.references()
        let ids = prompts[0].ids
        let split = ids.count - 5
        let session = LlamaSession(model: model, threads: 1, contextCapacity: 128)
        _ = try session.forward(Array(ids[..<split]), logits: .none)
        let first = try session.forward(Array(ids[split...]), logits: .last)
        session.rewind(to: split)
        _ = try session.forward([0, 5, 7], logits: .last)
        session.rewind(to: split)
        let second = try session.forward(Array(ids[split...]), logits: .last)
        XCTAssertEqual(first, second)
        // Legal-row logits equal the same rows of the full vocabulary.
        session.rewind(to: split)
        let rows: [Int32] = [29, 198, 49151, 0, 1234]
        let subset = try session.forward(Array(ids[split...]), logits: .rows(rows))
        for (i, row) in rows.enumerated() { XCTAssertEqual(subset[i], first[Int(row)], accuracy: 1e-5) }
    }

    func testContextOverflowIsAnError() throws {
        let model = try LlamaModel(path: TestSupport.modelPath())
        let session = LlamaSession(model: model, threads: 1, contextCapacity: 8)
        XCTAssertThrowsError(try session.forward([Int32](repeating: 5, count: 9))) { error in
            XCTAssertEqual(error as? InferenceError, .contextFull(capacity: 8, needed: 9))
        }
        XCTAssertThrowsError(try session.forward([49152])) { error in
            XCTAssertEqual(error as? InferenceError, .tokenOutOfRange(token: 49152, vocabulary: 49152))
        }
    }

    private func checkLogits(threads: Int) throws {
        let model = try LlamaModel(path: TestSupport.modelPath())
        let (probes, prompts) = try Self.references()
        XCTAssertEqual(prompts.count, 3)
        var worst = 0.0
        for prompt in prompts {
            let session = LlamaSession(model: model, threads: threads, contextCapacity: 256, maxBatch: 16)
            let logits = try session.forward(prompt.ids, logits: .all)
            let vocabulary = model.config.vocabulary
            XCTAssertEqual(logits.count, prompt.ids.count * vocabulary)
            XCTAssertEqual(prompt.positions.count, prompt.ids.count)
            for (t, reference) in prompt.positions.enumerated() {
                let row = Array(logits[(t * vocabulary)..<((t + 1) * vocabulary)])
                XCTAssertEqual(LlamaSession.argmax(row), reference["top1"] as? Int, "\(prompt.name) position \(t) top-1")
                var pairs: [(Int, Double)] = (reference["top10"] as? [[Double]] ?? []).map { (Int($0[0]), $0[1]) }
                pairs += zip(probes, reference["probe_logits"] as? [Double] ?? []).map { ($0, $1) }
                XCTAssertEqual(pairs.count, 10 + probes.count)
                for (id, expected) in pairs {
                    let difference = abs(Double(row[id]) - expected)
                    worst = max(worst, difference)
                    XCTAssertLessThanOrEqual(difference, 0.05, "\(prompt.name) position \(t) token \(id)")
                }
            }
        }
        print("largest logit difference from the reference (\(threads) threads): \(worst)")
    }
}
