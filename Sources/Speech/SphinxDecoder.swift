internal import CPocketSphinx
import Foundation

/// One PocketSphinx decoder (`ps_decoder_t`), configured through `cmd_ln_parse_r` (the variadic
/// `cmd_ln_init` is not callable from Swift). Owned by `SpeechRecognizer` or `WakePhraseSpotter`;
/// freed with its owner.
///
/// A decoder is single-threaded: use it from one task at a time (its owners are not `Sendable`).
final class SphinxDecoder {
    let handle: OpaquePointer
    static let sampleRate = 16_000

    /// Gaussians scored per codebook and frame (`-topn`) by every Hark decoder unless `arguments`
    /// say otherwise; PocketSphinx's default is 4. Measured with the `en-us` model (phonetically
    /// tied mixtures): on 120 utterances the speech tests do not use (`hark bench --config
    /// deploy/hark.example.yaml --speech --speech-commands 40 --speech-seed 7`) exact actions with
    /// topn 4, 6, 8, 12: 93, 96, 96, 97; for wake phrase spotting on the soak's stream (`hark listen
    /// --wav` on its first 30 s), the first two phrases after start were missed with 4 and heard with
    /// 12 (`WakePhraseTests` at the defaults: 5/5, no false alarm).
    static let gaussiansPerCodebook = "12"

    /// A decoder with `model`'s acoustic model, a dictionary (`dictionaryText` in Sphinx format, or
    /// the model's full dictionary when nil) and extra `-name value` arguments.
    init(model: SpeechModel, dictionaryText: String?, arguments: [(String, String)]) throws(SpeechError) {
        let arguments = arguments.contains { $0.0 == "-topn" } ? arguments : arguments + [("-topn", Self.gaussiansPerCodebook)]
        var dictFile: URL?
        if let dictionaryText {
            let url = FileManager.default.temporaryDirectory.appendingPathComponent("hark-\(UUID().uuidString).dict")
            do { try dictionaryText.write(to: url, atomically: false, encoding: .utf8) } catch {
                throw .decoderInitFailed(log: ["cannot write the grammar's dictionary to \(url.path): \(error)"])
            }
            dictFile = url
        }
        defer { if let dictFile { try? FileManager.default.removeItem(at: dictFile) } }

        let args = [("-hmm", model.acousticModel.path), ("-dict", (dictFile ?? model.dictionary).path)] + arguments
        let (decoder, log) = SphinxLog.capture { () -> OpaquePointer? in
            var argv: [UnsafeMutablePointer<CChar>?] = args.flatMap { [strdup($0.0), strdup($0.1)] }
            defer { for p in argv { free(p) } }
            guard let config = argv.withUnsafeMutableBufferPointer({ cmd_ln_parse_r(nil, ps_args(), Int32($0.count), $0.baseAddress, 1) }) else {
                return nil
            }
            defer { cmd_ln_free_r(config) }  // the decoder keeps its own reference
            return ps_init(config)
        }
        guard let decoder else { throw .decoderInitFailed(log: SphinxLog.problems(log)) }
        handle = decoder
    }

    deinit { ps_free(handle) }

    /// Installs a JSGF grammar as search `name` and makes it the active search.
    func useGrammar(_ jsgf: String, name: String) throws(SpeechError) {
        // SphinxBase 5prealpha accepts a reference to an undefined rule silently (it matches nothing),
        // so check references here and name the rule.
        if let undefined = Self.undefinedRules(jsgf).first {
            throw .grammarRejected(reason: "rule <\(undefined)> is referenced but not defined", log: [])
        }
        let (rc, log) = SphinxLog.capture { () -> Int32 in
            let r = ps_set_jsgf_string(handle, name, jsgf)
            return r < 0 ? r : ps_set_search(handle, name)
        }
        if rc < 0 {
            let problems = SphinxLog.problems(log)
            throw .grammarRejected(reason: SphinxLog.summary(problems) ?? "PocketSphinx could not build a search from it", log: problems)
        }
    }

    /// Installs a finite-state grammar in SphinxBase's FSG text format as search `name` and makes
    /// it the active search; its transition probabilities are scaled by the decoder's `-lw`, as
    /// PocketSphinx does for a JSGF grammar.
    func useFiniteStateGrammar(_ fsg: String, name: String) throws(SpeechError) {
        var text = Array(fsg.utf8)
        let (rc, log) = SphinxLog.capture { () -> Int32 in
            text.withUnsafeMutableBytes { bytes -> Int32 in
                guard let stream = fmemopen(bytes.baseAddress, bytes.count, "r") else { return -1 }
                defer { fclose(stream) }
                let weight = Float(cmd_ln_float_r(ps_get_config(handle), "-lw"))
                guard let model = fsg_model_read(stream, ps_get_logmath(handle), weight) else { return -1 }
                defer { fsg_model_free(model) }  // the search keeps its own reference
                let r = ps_set_fsg(handle, name, model)
                return r < 0 ? r : ps_set_search(handle, name)
            }
        }
        if rc < 0 {
            let problems = SphinxLog.problems(log)
            throw .grammarRejected(reason: SphinxLog.summary(problems) ?? "PocketSphinx could not build a search from the word graph", log: problems)
        }
    }

    /// Installs keyphrase spotting for `phrase` as search `name` and makes it active.
    func useKeyphrase(_ phrase: String, name: String) throws(SpeechError) {
        let (rc, log) = SphinxLog.capture { () -> Int32 in
            let r = ps_set_keyphrase(handle, name, phrase)
            return r < 0 ? r : ps_set_search(handle, name)
        }
        if rc < 0 { throw .keyphraseRejected(phrase: phrase, reason: SphinxLog.summary(SphinxLog.problems(log)) ?? "PocketSphinx refused it") }
    }

    /// Rules referenced in `jsgf` but not defined there (imports are not followed), in order.
    static func undefinedRules(_ jsgf: String) -> [String] {
        let body = jsgf.split(separator: "\n").filter { !$0.trimmingCharacters(in: .whitespaces).hasPrefix("import") }.joined(separator: "\n")
        var defined: Set<String> = ["NULL", "VOID"]
        for m in body.matches(of: /<([^<>\s]+)>\s*=/) { defined.insert(String(m.1)) }
        var out: [String] = []
        for m in body.matches(of: /<([^<>\s]+)>/) where !defined.contains(String(m.1)) && !out.contains(String(m.1)) { out.append(String(m.1)) }
        return out
    }

    func startUtterance() throws(SpeechError) {
        if ps_start_utt(handle) < 0 { throw .decodingFailed("ps_start_utt failed (no active search?)") }
    }

    /// Feeds samples; false when PocketSphinx refuses them (no utterance started). With
    /// `wholeUtterance` the samples are the entire utterance, so cepstral mean normalisation uses
    /// the utterance's own mean instead of the running estimate from earlier audio.
    func process(_ samples: UnsafeBufferPointer<Int16>, wholeUtterance: Bool = false) -> Bool {
        guard let base = samples.baseAddress, !samples.isEmpty else { return true }
        return ps_process_raw(handle, base, samples.count, 0, wholeUtterance ? 1 : 0) >= 0
    }

    func endUtterance() throws(SpeechError) {
        if ps_end_utt(handle) < 0 { throw .decodingFailed("ps_end_utt failed (utterance not started?)") }
    }

    /// The current best hypothesis and its path score; nil when there is none.
    func hypothesis() -> (text: String, score: Int32)? {
        var score: Int32 = 0
        guard let hyp = ps_get_hyp(handle, &score) else { return nil }
        return (String(cString: hyp), score)
    }

    var inSpeech: Bool { ps_get_in_speech(handle) != 0 }
}

/// PocketSphinx's log. SphinxBase logs through one process-wide file pointer; Hark keeps it off
/// (`err_set_logfp(NULL)`) and points it at a temporary file only while setting a decoder up, so that
/// a failure can say what PocketSphinx reported. Captures are serialised by a lock; decoding on
/// other threads during a capture may add lines to it (harmless: only errors are reported).
enum SphinxLog {
    private static let lock = NSLock()

    /// Runs `body` with the log captured; returns its result and the log lines.
    static func capture<T>(_ body: () -> T) -> (T, [String]) {
        lock.lock()
        defer { lock.unlock() }
        guard let file = tmpfile() else {
            err_set_logfp(nil)
            return (body(), [])
        }
        err_set_logfp(file)
        let result = body()
        fflush(file)
        err_set_logfp(nil)
        rewind(file)
        var lines: [String] = []
        var buffer = [CChar](repeating: 0, count: 4096)
        while fgets(&buffer, Int32(buffer.count), file) != nil {
            let bytes = buffer.prefix(while: { $0 != 0 }).map { UInt8(bitPattern: $0) }
            let line = String(decoding: bytes, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
            if !line.isEmpty { lines.append(line) }
        }
        fclose(file)
        return (result, lines)
    }

    /// The error and warning lines of a log, without SphinxBase's source-file prefix.
    static func problems(_ log: [String]) -> [String] {
        log.filter { $0.hasPrefix("ERROR") || $0.hasPrefix("FATAL") || $0.hasPrefix("WARN") }.map { line in
            // `ERROR: "jsgf.c", line 123: message` → `message`
            var text = line
            if let r = text.range(of: #"line \d+: "#, options: .regularExpression) { text = String(text[r.upperBound...]) }
            // The JSGF scanner's line counter runs on across grammars, so its "at line N" misleads.
            return text.replacingOccurrences(of: #" at line \d+"#, with: "", options: .regularExpression)
        }
    }

    /// The most telling line: the first error, else the first warning.
    static func summary(_ problems: [String]) -> String? { problems.first }
}
