#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Inference

/// Where the decoder gets scores from: a language model positioned after the prompt.
/// `feed` appends `tokens` and returns the logits of `candidates` at the last position
/// (nothing when `candidates` is empty). `LlamaSession` is the real one; tests may fake it.
public protocol TokenScorer: AnyObject {
    func feed(_ tokens: [Int32], candidates: [Int32]) throws -> [Float]
}

extension LlamaSession: TokenScorer {
    public func feed(_ tokens: [Int32], candidates: [Int32]) throws -> [Float] {
        try forward(tokens, logits: candidates.isEmpty ? .none : .rows(candidates))
    }
}

/// What one constrained decode produced.
public struct DecodeResult: Sendable, Equatable {
    /// The generated text; always in the grammar's language.
    public var text: String
    public var tokens: [Int32]
    /// Product of the chosen tokens' probabilities among the legal tokens at each decision
    /// (after the mention bias, when there is one).
    public var confidence: Double
    /// Model passes (one per decision; forced text rides along with the next one).
    public var modelCalls: Int
    /// Tokens appended without a decision (forced by the grammar).
    public var forcedTokens: Int
    /// Time spent finding legal tokens (mask lookups, cached or not), in seconds.
    public var maskSeconds: Double
}

/// Greedy decoding under a grammar: at each step only tokens that keep the output inside the
/// language are scored (their logits alone are computed), and text the grammar fixes is fed
/// in one batch, tokenized as plain text would be (DESIGN.md section 4).
public struct ConstrainedDecoder {
    public let grammar: CompiledGrammar
    public let tokenizer: BPETokenizer
    /// The token that ends an output (ChatML's `<|im_end|>`); legal in accepting states.
    public let endToken: Int32
    public let maxSteps: Int

    public init(grammar: CompiledGrammar, tokenizer: BPETokenizer, endToken: Int32, maxSteps: Int = 96) {
        self.grammar = grammar
        self.tokenizer = tokenizer
        self.endToken = endToken
        self.maxSteps = maxSteps
    }

    /// Decodes from a scorer that has already consumed the prompt; `pending` are tokens to feed
    /// before the first decision (e.g. the last prompt tokens, so they share one model pass).
    /// `evidence`, when given, biases each decision towards what the command names.
    public func decode(_ scorer: TokenScorer, pending initial: [Int32] = [], evidence: MentionEvidence? = nil) throws -> DecodeResult {
        let automaton = grammar.automaton
        let clock = ContinuousClock()
        var maskTime = Duration.zero
        var state: Int32 = 0
        var output: [UInt8] = []
        var tokens: [Int32] = []
        var pending = initial
        var confidence = 1.0
        var calls = 0, forced = 0

        var tokenStarts: [Int] = []  // where each of `tokens` begins in `output`
        for _ in 0..<maxSteps {
            if let run = forcedTokens(from: state, output: output, tokens: tokens, tokenStarts: tokenStarts) {
                for id in run.ids {
                    tokenStarts.append(output.count)
                    tokens.append(id)
                    output += tokenizer.tokenBytes(id)
                }
                pending += run.ids
                forced += run.ids.count
                state = run.end
                continue
            }
            let start = clock.now
            let legal = grammar.legalTokens(state)
            maskTime += clock.now - start
            let accepting = automaton.accepting[Int(state)]
            if legal.isEmpty { break }  // accepting with no way on: done
            if legal.count == 1 && !accepting {
                pending.append(legal[0].token)
                tokenStarts.append(output.count)
                tokens.append(legal[0].token)
                output += tokenizer.tokenBytes(legal[0].token)
                state = legal[0].next
                forced += 1
                continue
            }
            var candidates = legal.map(\.token)
            if accepting { candidates.append(endToken) }
            var logits = try scorer.feed(pending, candidates: candidates)
            calls += 1
            if let evidence, !evidence.isEmpty {
                var pieces = legal.map { tokenizer.tokenBytes($0.token) }
                if accepting { pieces.append([]) }
                if let bias = evidence.bias(output: output, pieces: pieces) {
                    for i in logits.indices { logits[i] += bias[i] }
                }
            }
            pending = []
            var best = 0
            for i in logits.indices where logits[i] > logits[best] { best = i }
            var total = 0.0
            for value in logits { total += exp(Double(value - logits[best])) }
            confidence *= 1 / total
            if accepting && best == candidates.count - 1 { break }
            let choice = legal[best]
            pending = [choice.token]
            tokenStarts.append(output.count)
            tokens.append(choice.token)
            output += tokenizer.tokenBytes(choice.token)
            state = choice.next
        }
        let text = String(decoding: output, as: UTF8.self)
        return DecodeResult(text: text, tokens: tokens, confidence: confidence, modelCalls: calls,
                            forcedTokens: forced, maskSeconds: maskTime.seconds)
    }

    /// The tokens of the text the grammar fixes from `state`, as the tokenizer would spell the
    /// whole output there (DESIGN.md section 4: forced text goes in canonically, in one batch),
    /// or nil when there is no fixed text or it cannot be spelled so.
    ///
    /// The fixed text is cut back to the last boundary of the tokenizer's pre-tokenization chunks
    /// when what follows it may continue its last chunk. When it continues the chunk the output
    /// ends in (`device=n` + `ursery.`), the whole chunk is tokenized, and the run is used only if
    /// the tokens already emitted for that chunk are the start of its canonical spelling.
    func forcedTokens(from state: Int32, output: [UInt8], tokens: [Int32], tokenStarts: [Int]) -> (ids: [Int32], end: Int32)? {
        let automaton = grammar.automaton
        let (bytes, end) = automaton.forcedBytes(from: state)
        guard !bytes.isEmpty else { return nil }
        let following = automaton.transitions[Int(end)].map(\.byte)
        var cut = bytes.count
        if following.contains(where: { ChunkBoundary.continues(bytes[bytes.count - 1], $0) }) {
            cut = 0
            for i in stride(from: bytes.count - 1, to: 0, by: -1) where !ChunkBoundary.continues(bytes[i - 1], bytes[i]) {
                cut = i
                break
            }
        }
        guard cut > 0 else { return nil }
        let run = Array(bytes[..<cut])
        // Where the chunk that the run continues begins (the run itself when it starts one).
        var chunkStart = output.count
        if let last = output.last, ChunkBoundary.continues(last, run[0]) {
            chunkStart -= 1
            while chunkStart > 0 && ChunkBoundary.continues(output[chunkStart - 1], output[chunkStart]) { chunkStart -= 1 }
        }
        guard let first = chunkStart == output.count ? tokens.count : tokenStarts.firstIndex(of: chunkStart) else { return nil }
        let text = Array(output[chunkStart...]) + run
        let ids = tokenizer.encode(String(decoding: text, as: UTF8.self), parseSpecial: false)
        let emitted = tokens[first...]
        guard ids.count > emitted.count, ids.starts(with: emitted), ids.flatMap(tokenizer.tokenBytes) == text else { return nil }
        let fresh = Array(ids[emitted.count...])
        guard let stop = automaton.walk(run, from: state) else { return nil }
        return (fresh, stop)
    }
}

/// Whether two adjacent ASCII bytes fall in one chunk of the GPT-2 pre-tokenizer with digits
/// split one by one (SmolLM2's `smollm` pre-tokenizer): letters join letters, punctuation joins
/// punctuation, and a space joins the letters or punctuation after it.
enum ChunkBoundary {
    enum Kind { case letter, digit, space, punctuation, other }

    static func kind(_ byte: UInt8) -> Kind {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"): return .letter
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return .digit
        case UInt8(ascii: " "): return .space
        case 0x21...0x7E: return .punctuation
        default: return .other
        }
    }

    static func continues(_ previous: UInt8, _ next: UInt8) -> Bool {
        switch (kind(previous), kind(next)) {
        case (.letter, .letter), (.punctuation, .punctuation), (.space, .letter), (.space, .punctuation): return true
        case (.other, _), (_, .other): return true  // non-ASCII: never cut there
        default: return false
        }
    }
}

extension Duration {
    var seconds: Double { Double(components.seconds) + Double(components.attoseconds) * 1e-18 }
}
