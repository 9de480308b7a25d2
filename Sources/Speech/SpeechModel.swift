import Foundation

/// Where a PocketSphinx model lives: the acoustic model directory and the pronunciation dictionary.
///
/// Checks that the files exist, not what they hold: PocketSphinx ends the process on a corrupt
/// model file, so point it only at installed models. Assumes the layout of Debian's `pocketsphinx-en-us` (`<dir>/en-us/` with `mdef`, `means`, …, and
/// `<dir>/cmudict-en-us.dict`), which is what the config's `speech.model` names. Both can also be
/// given one by one for other models.
public struct SpeechModel: Sendable, Hashable {
    /// Debian's US English model.
    public static let defaultDirectory = URL(fileURLWithPath: "/usr/share/pocketsphinx/model/en-us")

    /// Files every acoustic model directory has (besides the mixture weights).
    static let requiredFiles = ["mdef", "means", "variances", "transition_matrices"]

    /// The acoustic model directory (`-hmm`): `mdef`, `means`, `variances`, `feat.params`, …
    public var acousticModel: URL
    /// The CMU-format pronunciation dictionary the grammar's words are checked against.
    public var dictionary: URL

    /// A model from its two parts; checks that they exist.
    public init(acousticModel: URL, dictionary: URL) throws(SpeechError) {
        let fm = FileManager.default
        var isDir: ObjCBool = false
        guard fm.fileExists(atPath: acousticModel.path, isDirectory: &isDir), isDir.boolValue else {
            throw .modelNotFound(path: acousticModel.path, reason: "no such directory")
        }
        guard fm.fileExists(atPath: acousticModel.appendingPathComponent("mdef").path) else {
            throw .modelNotFound(path: acousticModel.path, reason: "not an acoustic model directory (it has no 'mdef' file)")
        }
        // PocketSphinx ends the process (E_FATAL → exit) on a missing model file, so check them first.
        let missing = Self.requiredFiles.filter { !fm.isReadableFile(atPath: acousticModel.appendingPathComponent($0).path) }
        if !missing.isEmpty {
            throw .modelNotFound(path: acousticModel.path, reason: "incomplete acoustic model: missing \(missing.joined(separator: ", "))")
        }
        if !fm.isReadableFile(atPath: acousticModel.appendingPathComponent("sendump").path),
           !fm.isReadableFile(atPath: acousticModel.appendingPathComponent("mixture_weights").path) {
            throw .modelNotFound(path: acousticModel.path, reason: "incomplete acoustic model: no mixture weights ('sendump' or 'mixture_weights')")
        }
        guard fm.isReadableFile(atPath: dictionary.path) else {
            throw .modelNotFound(path: dictionary.path, reason: "pronunciation dictionary not found or not readable")
        }
        self.acousticModel = acousticModel
        self.dictionary = dictionary
    }

    /// The model in a `pocketsphinx-en-us`-style directory: `<dir>/<name>/` (an acoustic model
    /// directory with an `mdef` file; `en-us` when present) and `<dir>/cmudict-<name>.dict` or the
    /// only `*.dict` file there.
    public init(directory: URL = SpeechModel.defaultDirectory) throws(SpeechError) {
        let fm = FileManager.default
        var isDir: ObjCBool = false
        guard fm.fileExists(atPath: directory.path, isDirectory: &isDir), isDir.boolValue else {
            throw .modelNotFound(path: directory.path, reason: "no such directory")
        }
        let entries = ((try? fm.contentsOfDirectory(atPath: directory.path)) ?? []).sorted()
        let acoustic = entries.filter { fm.fileExists(atPath: directory.appendingPathComponent($0).appendingPathComponent("mdef").path) }
        guard let name = acoustic.contains("en-us") ? "en-us" : acoustic.first else {
            throw .modelNotFound(path: directory.path, reason: "no acoustic model directory (a subdirectory with an 'mdef' file) inside")
        }
        let dicts = entries.filter { $0.hasSuffix(".dict") }
        guard let dict = dicts.contains("cmudict-\(name).dict") ? "cmudict-\(name).dict" : (dicts.count == 1 ? dicts[0] : nil) else {
            throw .modelNotFound(path: directory.path, reason: dicts.isEmpty ? "no pronunciation dictionary (*.dict) inside"
                : "several dictionaries inside (\(dicts.joined(separator: ", "))) and none named cmudict-\(name).dict")
        }
        try self.init(acousticModel: directory.appendingPathComponent(name), dictionary: directory.appendingPathComponent(dict))
    }
}
