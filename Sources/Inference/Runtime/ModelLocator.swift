#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Finds the base model that `deploy/setup.sh` installs, so `hark` runs without `--model`.
/// Search order: `$HARK_MODEL`, `$XDG_DATA_HOME/hark/models` (default `~/.local/share/hark/models`),
/// `/usr/local/share/hark/models`, `/usr/share/hark/models`.
public enum ModelLocator {
    public static let defaultFileName = "SmolLM2-135M-Instruct.Q4_1.gguf"

    /// The directories searched, in order, for `defaultFileName`.
    public static func searchDirectories() -> [String] {
        var directories: [String] = []
        if let xdg = environment("XDG_DATA_HOME"), !xdg.isEmpty {
            directories.append(xdg + "/hark/models")
        } else if let home = environment("HOME"), !home.isEmpty {
            directories.append(home + "/.local/share/hark/models")
        }
        directories += ["/usr/local/share/hark/models", "/usr/share/hark/models"]
        return directories
    }

    /// The first existing candidate, or nil when the model is not installed.
    public static func defaultModelPath() -> String? {
        if let explicit = environment("HARK_MODEL"), !explicit.isEmpty { return explicit }
        for directory in searchDirectories() {
            let candidate = directory + "/" + defaultFileName
            if access(candidate, R_OK) == 0 { return candidate }
        }
        return nil
    }

    public static let defaultAdapterFileName = "hark-intents.lora.gguf"

    /// The intent adapter used by default: `$HARK_ADAPTER` (`none` disables it), then
    /// `intents/adapter/` of the source tree the running binary was built in (found from the
    /// executable's path, `.build/<config>/hark`), then `<data dir>/hark/adapters/` as for the model.
    /// Nil when none exists: the base model runs alone.
    public static func defaultAdapterPath(executable: String = CommandLine.arguments.first ?? "") -> String? {
        if let explicit = environment("HARK_ADAPTER"), !explicit.isEmpty { return explicit == "none" ? nil : explicit }
        var candidates: [String] = []
        if executable.contains("/") {
            // .../<repo>/.build/<config>/hark -> .../<repo>; relative paths resolve against the working directory.
            var parts = executable.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
            parts.removeLast(min(3, parts.count))
            var root = parts.joined(separator: "/")
            if root.isEmpty { root = executable.hasPrefix("/") ? "" : "." }
            candidates.append(root + "/intents/adapter/" + defaultAdapterFileName)
        }
        for directory in searchDirectories() {
            candidates.append(directory.replacingSuffix("/models", with: "/adapters") + "/" + defaultAdapterFileName)
        }
        return candidates.first { access($0, R_OK) == 0 }
    }

    /// A message for when no model was found, naming every place looked at.
    public static func notFoundMessage() -> String {
        "no model found: set HARK_MODEL or pass --model PATH, or run deploy/setup.sh to install "
            + defaultFileName + " into one of: " + searchDirectories().joined(separator: ", ")
    }

    static func environment(_ name: String) -> String? {
        getenv(name).map { String(cString: $0) }
    }
}

extension String {
    func replacingSuffix(_ suffix: String, with replacement: String) -> String {
        hasSuffix(suffix) ? String(dropLast(suffix.count)) + replacement : self
    }
}
