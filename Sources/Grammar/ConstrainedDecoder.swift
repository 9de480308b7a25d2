#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Inference

/// Where the decoder gets scores from: a language model positioned after the prompt.
/// `feed` appends `tokens` and returns the logits of `candidates` at the last position
/// (nothing when `candidates` is empty). `LlamaSession` is the real one; tests may fake it.
///
/// A scorer that `verifiesDrafts` also returns logits after several positions of one batch and
/// forgets tokens it was fed, so the decoder can check a drafted continuation in one pass.
public protocol TokenScorer: AnyObject {
    func feed(_ tokens: [Int32], candidates: [Int32]) throws -> [Float]
    /// Whether the two requirements below work.
    var verifiesDrafts: Bool { get }
    /// Appends `tokens` and returns, per request (in ascending `index` order), the logits of its
    /// candidates after `tokens[index]`.
    func feed(_ tokens: [Int32], candidatesAfter requests: [(index: Int, candidates: [Int32])]) throws -> [[Float]]
    /// Forgets the last `count` tokens fed.
    func drop(_ count: Int)
}

extension TokenScorer {
    public var verifiesDrafts: Bool { false }
    public func feed(_ tokens: [Int32], candidatesAfter requests: [(index: Int, candidates: [Int32])]) throws -> [[Float]] {
        preconditionFailure("this scorer does not verify drafts")
    }
    public func drop(_ count: Int) { preconditionFailure("this scorer does not verify drafts") }
}

extension LlamaSession: TokenScorer {
    public func feed(_ tokens: [Int32], candidates: [Int32]) throws -> [Float] {
        try forward(tokens, logits: candidates.isEmpty ? .none : .rows(candidates))
    }

    public var verifiesDrafts: Bool { true }

    public func feed(_ tokens: [Int32], candidatesAfter requests: [(index: Int, candidates: [Int32])]) throws -> [[Float]] {
        let flat = try forward(tokens, logits: .rowsAfter(requests.map { ($0.index, $0.candidates) }))
        var at = 0
        return requests.map { request in
            defer { at += request.candidates.count }
            return Array(flat[at..<(at + request.candidates.count)])
        }
    }

    public func drop(_ count: Int) { rewind(to: position - count) }
}

/// What one constrained decode produced.
public struct DecodeResult: Sendable, Equatable {
    /// The generated text; always in the grammar's language.
    public var text: String
    public var tokens: [Int32]
    /// Product of the chosen tokens' probabilities among the legal tokens at each decision
    /// (after the mention bias, when there is one).
    public var confidence: Double
    /// Model passes (one per decision, or per verified draft; forced text rides along).
    public var modelCalls: Int
    /// Tokens appended without a decision (forced by the grammar).
    public var forcedTokens: Int
    /// Decisions taken from a verified draft without a pass of their own.
    public var draftedDecisions = 0
    /// Time spent finding legal tokens (mask lookups, cached or not), in seconds.
    public var maskSeconds: Double
    /// The model's own probability (without the mention bias) at the first decision that the
    /// output begins towards `ConstrainedDecoder.watchedOpening`; nil when none was watched.
    public var watchedProbability: Double? = nil
}

/// Greedy decoding under a grammar: at each step only tokens that keep the output inside the
/// language are scored (their logits alone are computed), and text the grammar fixes is fed
/// in one batch, tokenized as plain text would be (DESIGN.md section 4).
///
/// With mention evidence and a scorer that verifies drafts, the rest of the target the command
/// names ("device=office.desk_lamp", then the end) is drafted after the intent and fed in the same
/// pass as the next decision, with logits after each drafted decision: the decoder keeps the
/// drafted tokens as long as each is what it would have chosen, and forgets the rest. The output
/// is the same as without drafting; only the number of passes changes.
public struct ConstrainedDecoder {
    public let grammar: CompiledGrammar
    public let tokenizer: BPETokenizer
    /// The token that ends an output (ChatML's `<|im_end|>`); legal in accepting states.
    public let endToken: Int32
    public let maxSteps: Int
    /// Whether to draft and verify targets (when the scorer can).
    public var drafts = true
    /// Output text whose probability at the first decision is reported (`watchedProbability`).
    public var watchedOpening: [UInt8]? = nil

    public init(grammar: CompiledGrammar, tokenizer: BPETokenizer, endToken: Int32, maxSteps: Int = 96) {
        self.grammar = grammar
        self.tokenizer = tokenizer
        self.endToken = endToken
        self.maxSteps = maxSteps
    }

    /// Where a decode stands: the grammar state and what has been emitted.
    struct Cursor {
        var state: Int32 = 0
        var output: [UInt8] = []
        var tokens: [Int32] = []
        /// Where each of `tokens` begins in `output`.
        var tokenStarts: [Int] = []
        var forced = 0

        mutating func append(_ id: Int32, next: Int32, bytes: [UInt8]) {
            tokenStarts.append(output.count)
            tokens.append(id)
            output += bytes
            state = next
        }
    }

    /// A point where the model chooses: the legal tokens and the candidates scored (the legal
    /// tokens, then the end token when the state accepts).
    struct Decision {
        var legal: [(token: Int32, next: Int32)]
        var candidates: [Int32]
        var accepting: Bool
    }

    /// Appends what the grammar forces from the cursor (also to `pending`) and returns the next
    /// decision, or nil when the output is complete (accepting, nothing legal) or stuck.
    func advance(_ cursor: inout Cursor, pending: inout [Int32], maskTime: inout Duration) -> Decision? {
        let clock = ContinuousClock()
        while true {
            if let run = forcedTokens(from: cursor.state, output: cursor.output, tokens: cursor.tokens, tokenStarts: cursor.tokenStarts) {
                // Intermediate states are not needed: the run ends in `run.end`.
                for id in run.ids { cursor.append(id, next: run.end, bytes: tokenizer.tokenBytes(id)) }
                pending += run.ids
                cursor.forced += run.ids.count
                continue
            }
            let start = clock.now
            let legal = grammar.legalTokens(cursor.state)
            maskTime += clock.now - start
            let accepting = grammar.automaton.accepting[Int(cursor.state)]
            if legal.isEmpty { return nil }
            if legal.count == 1 && !accepting {
                pending.append(legal[0].token)
                cursor.append(legal[0].token, next: legal[0].next, bytes: tokenizer.tokenBytes(legal[0].token))
                cursor.forced += 1
                continue
            }
            var candidates = legal.map(\.token)
            if accepting { candidates.append(endToken) }
            return Decision(legal: legal, candidates: candidates, accepting: accepting)
        }
    }

    /// The choice at `decision` from its logits (plus the evidence's bias for `output`): the
    /// index into its candidates and the choice's probability among them.
    func choose(_ decision: Decision, logits raw: [Float], output: [UInt8], evidence: MentionEvidence?) -> (index: Int, probability: Double) {
        var logits = raw
        if let evidence, !evidence.isEmpty {
            var pieces = decision.legal.map { tokenizer.tokenBytes($0.token) }
            if decision.accepting { pieces.append([]) }
            if let bias = evidence.bias(output: output, pieces: pieces) {
                for i in logits.indices { logits[i] += bias[i] }
            }
        }
        var best = 0
        for i in logits.indices where logits[i] > logits[best] { best = i }
        var total = 0.0
        for value in logits { total += exp(Double(value - logits[best])) }
        return (best, 1 / total)
    }

    /// The softmax mass of the legal tokens at `decision` that are compatible with `watchedOpening`
    /// (raw logits, no bias); nil when nothing is watched.
    func watchedMass(_ decision: Decision, logits: [Float]) -> Double? {
        guard let watched = watchedOpening else { return nil }
        let top = logits.max() ?? 0
        var total = 0.0, mass = 0.0
        for (i, value) in logits.enumerated() {
            let p = exp(Double(value - top))
            total += p
            if i < decision.legal.count {
                let bytes = tokenizer.tokenBytes(decision.legal[i].token)
                if !bytes.isEmpty, bytes.starts(with: watched) || watched.starts(with: bytes) { mass += p }
            }
        }
        return mass / total
    }

    /// Decodes from a scorer that has already consumed the prompt; `pending` are tokens to feed
    /// before the first decision (e.g. the last prompt tokens, so they share one model pass).
    /// `evidence`, when given, biases each decision towards what the command names.
    public func decode(_ scorer: TokenScorer, pending initial: [Int32] = [], evidence: MentionEvidence? = nil) throws -> DecodeResult {
        var maskTime = Duration.zero
        var cursor = Cursor()
        var pending = initial
        var confidence = 1.0
        var calls = 0, drafted = 0
        var watched: Double?
        let drafting = drafts && scorer.verifiesDrafts && evidence != nil

        var steps = 0
        decoding: while steps < maxSteps, let decision = advance(&cursor, pending: &pending, maskTime: &maskTime) {
            steps += 1
            if drafting, let evidence, let plan = draft(from: cursor, decision: decision, pending: pending, evidence: evidence, maskTime: &maskTime) {
                let logits = try scorer.feed(plan.fed, candidatesAfter: plan.decisions.map { ($0.after, $0.decision.candidates) })
                calls += 1
                pending = []
                for (j, step) in plan.decisions.enumerated() {
                    if step.cursor.output.isEmpty, watched == nil { watched = watchedMass(step.decision, logits: logits[j]) }
                    let (best, probability) = choose(step.decision, logits: logits[j], output: step.cursor.output, evidence: evidence)
                    confidence *= probability
                    let choice = best == step.decision.candidates.count - 1 && step.decision.accepting ? endToken : step.decision.legal[best].token
                    if j > 0 { drafted += 1 }
                    if choice == step.drafted, j + 1 < plan.decisions.count { continue }
                    if choice == step.drafted, let complete = plan.complete {
                        cursor = complete  // the draft was the whole rest of the output
                        break decoding
                    }
                    // Here the model chose (its own choice, or the last step, which has no draft
                    // or whose draft it confirmed): forget what was fed after this point.
                    scorer.drop(plan.fed.count - 1 - step.after)
                    cursor = step.cursor
                    if choice == endToken { break decoding }
                    let chosen = step.decision.legal[best]
                    pending = [chosen.token]
                    cursor.append(chosen.token, next: chosen.next, bytes: tokenizer.tokenBytes(chosen.token))
                    continue decoding
                }
                continue
            }
            let logits = try scorer.feed(pending, candidates: decision.candidates)
            calls += 1
            pending = []
            if cursor.output.isEmpty, watched == nil { watched = watchedMass(decision, logits: logits) }
            let (best, probability) = choose(decision, logits: logits, output: cursor.output, evidence: evidence)
            confidence *= probability
            if decision.accepting && best == decision.candidates.count - 1 { break }
            let choice = decision.legal[best]
            pending = [choice.token]
            cursor.append(choice.token, next: choice.next, bytes: tokenizer.tokenBytes(choice.token))
        }
        let text = String(decoding: cursor.output, as: UTF8.self)
        return DecodeResult(text: text, tokens: cursor.tokens, confidence: confidence, modelCalls: calls,
                            forcedTokens: cursor.forced, draftedDecisions: drafted, maskSeconds: maskTime.seconds,
                            watchedProbability: watched)
    }

    /// A drafted continuation to verify in one pass: every token to feed (`pending`, then the
    /// draft with the text it forces), and each decision on the way with the cursor before it,
    /// the index of the token its logits follow, and the drafted choice (nil for the last one,
    /// the first decision past the draft, which the pass also scores).
    struct Draft {
        var fed: [Int32]
        var decisions: [(decision: Decision, cursor: Cursor, after: Int, drafted: Int32?)]
        /// Where the draft ends when it completes the output (its last decision drafted).
        var complete: Cursor?
    }

    /// What `MentionEvidence.draftTarget` proposes from here (the rest of a half-spelt intent the
    /// command names, the rest of the best-scoring target, and the number the command says for a
    /// numeric slot the grammar then opens), as the tokens the decoder itself would choose if the
    /// model agreed at every decision (the longest legal token the text continues with), then the
    /// end when the grammar allows it there; nil when there is nothing to draft or fewer than two
    /// decisions to verify.
    func draft(from start: Cursor, decision first: Decision, pending: [Int32], evidence: MentionEvidence, maskTime: inout Duration) -> Draft? {
        guard !pending.isEmpty, let target = evidence.draftTarget(output: start.output) else { return nil }
        var cursor = start
        var fed = pending
        var decision = first
        var decisions: [(decision: Decision, cursor: Cursor, after: Int, drafted: Int32?)] = []
        var remaining = target[...]
        var diverged = false
        while true {
            let after = fed.count - 1
            if diverged || remaining.isEmpty {
                // The target is complete (draft the end if the grammar allows it), or the grammar
                // forced other text: the model scores this decision in the same pass.
                let end: Int32? = !diverged && decision.accepting ? endToken : nil
                decisions.append((decision, cursor, after, end))
                return decisions.count < 2 && end == nil ? nil : Draft(fed: fed, decisions: decisions, complete: nil)
            }
            // The longest legal token the target's text continues with.
            var pick: (token: Int32, next: Int32, length: Int)?
            for option in decision.legal {
                let bytes = tokenizer.tokenBytes(option.token)
                if bytes.count > (pick?.length ?? 0), remaining.starts(with: bytes) { pick = (option.token, option.next, bytes.count) }
            }
            guard let pick else {
                decisions.append((decision, cursor, after, nil))
                return decisions.count < 2 ? nil : Draft(fed: fed, decisions: decisions, complete: nil)
            }
            decisions.append((decision, cursor, after, pick.token))
            cursor.append(pick.token, next: pick.next, bytes: tokenizer.tokenBytes(pick.token))
            fed.append(pick.token)
            remaining = remaining.dropFirst(pick.length)
            let before = cursor.output.count
            guard let next = advance(&cursor, pending: &fed, maskTime: &maskTime) else {
                // The draft completes the output: nothing more to score.
                return decisions.count < 2 ? nil : Draft(fed: fed, decisions: decisions, complete: cursor)
            }
            // Forced text must be the target's own, or the draft stops after it.
            let forcedText = cursor.output[before...]
            if !forcedText.isEmpty {
                if remaining.starts(with: forcedText) {
                    remaining = remaining.dropFirst(forcedText.count)
                } else if remaining.isEmpty, let value = evidence.draftValue(output: cursor.output) {
                    remaining = value[...]  // past the target, a numeric slot the command says a number for
                } else {
                    diverged = true
                }
            }
            decision = next
        }
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
