import Foundation

/// One log line per event, as `level message key=value …`: structured metadata instead of
/// string soup, written to a sink (standard error by default). Cheap when the level is off.
public struct HubLogger: Sendable {
    public enum Level: String, Sendable, Equatable, Comparable, CaseIterable {
        case debug, info, warning, error

        public static func < (a: Level, b: Level) -> Bool {
            allCases.firstIndex(of: a)! < allCases.firstIndex(of: b)!
        }
    }

    public var level: Level
    private let sink: @Sendable (String) -> Void

    public init(level: Level, sink: @escaping @Sendable (String) -> Void) {
        self.level = level
        self.sink = sink
    }

    /// Lines to standard error.
    public static func standardError(level: Level) -> HubLogger {
        HubLogger(level: level) { line in
            FileHandle.standardError.write(Data((line + "\n").utf8))
        }
    }

    /// Discards everything (tests, benchmarks).
    public static let silent = HubLogger(level: .error) { _ in }

    public func log(_ level: Level, _ message: @autoclosure () -> String, _ metadata: KeyValuePairs<String, String> = [:]) {
        guard level >= self.level else { return }
        var line = "\(level.rawValue) \(message())"
        for (key, value) in metadata {
            let quoted = value.contains(where: { $0 == " " || $0 == "\"" || $0 == "=" }) || value.isEmpty
            line += " \(key)=" + (quoted ? JSON.string(value).description : value)
        }
        sink(line)
    }

    public func debug(_ message: @autoclosure () -> String, _ metadata: KeyValuePairs<String, String> = [:]) { log(.debug, message(), metadata) }
    public func info(_ message: @autoclosure () -> String, _ metadata: KeyValuePairs<String, String> = [:]) { log(.info, message(), metadata) }
    public func warning(_ message: @autoclosure () -> String, _ metadata: KeyValuePairs<String, String> = [:]) { log(.warning, message(), metadata) }
    public func error(_ message: @autoclosure () -> String, _ metadata: KeyValuePairs<String, String> = [:]) { log(.error, message(), metadata) }
}
