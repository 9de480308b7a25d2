import Foundation
import Logging

/// The hub's logger: a thin front on a swift-log `Logger`, so Hark's own lines and those of the
/// libraries it runs on (ServiceLifecycle) share one handler and one format. Lines read
/// `level message key=value …` (keys sorted, values quoted when they hold spaces, quotes or `=`).
/// Cheap when the level is off: neither the message nor the metadata is built.
public struct HubLogger: Sendable {
    /// The levels the config's `logging.level` names.
    public enum Level: String, Sendable, Equatable, Comparable, CaseIterable {
        case debug, info, warning, error

        public static func < (a: Level, b: Level) -> Bool {
            allCases.firstIndex(of: a)! < allCases.firstIndex(of: b)!
        }

        /// The swift-log level of the same name.
        public var swiftLog: Logger.Level {
            switch self {
            case .debug: return .debug
            case .info: return .info
            case .warning: return .warning
            case .error: return .error
            }
        }
    }

    /// The swift-log logger every line goes through; hand it to libraries (`ServiceGroup`).
    public let logger: Logger

    public var level: Level {
        switch logger.logLevel {
        case .trace, .debug: return .debug
        case .info, .notice: return .info
        case .warning: return .warning
        case .error, .critical: return .error
        }
    }

    /// Wraps a configured swift-log logger.
    public init(_ logger: Logger) { self.logger = logger }

    /// Lines at `level` and above go to `sink`, formatted by `LineLogHandler`.
    public init(level: Level, sink: @escaping @Sendable (String) -> Void) {
        var logger = Logger(label: "hark") { _ in LineLogHandler(sink: sink) }
        logger.logLevel = level.swiftLog
        self.logger = logger
    }

    /// Lines to standard error.
    public static func standardError(level: Level) -> HubLogger {
        HubLogger(level: level) { line in
            FileHandle.standardError.write(Data((line + "\n").utf8))
        }
    }

    /// Discards everything (tests, benchmarks).
    public static let silent = HubLogger(Logger(label: "hark") { _ in SwiftLogNoOpLogHandler() })

    public func log(_ level: Level, _ message: @autoclosure () -> String, _ metadata: KeyValuePairs<String, String> = [:]) {
        logger.log(level: level.swiftLog, "\(message())", metadata: metadata.isEmpty ? nil : Dictionary(
            metadata.map { ($0.key, Logger.MetadataValue.string($0.value)) }, uniquingKeysWith: { _, last in last }))
    }

    public func debug(_ message: @autoclosure () -> String, _ metadata: KeyValuePairs<String, String> = [:]) { log(.debug, message(), metadata) }
    public func info(_ message: @autoclosure () -> String, _ metadata: KeyValuePairs<String, String> = [:]) { log(.info, message(), metadata) }
    public func warning(_ message: @autoclosure () -> String, _ metadata: KeyValuePairs<String, String> = [:]) { log(.warning, message(), metadata) }
    public func error(_ message: @autoclosure () -> String, _ metadata: KeyValuePairs<String, String> = [:]) { log(.error, message(), metadata) }
}

/// A swift-log handler that writes one line per event, `level message key=value …`, to a sink.
/// Metadata is the logger's, then the provider's, then the event's (later keys win), sorted by key
/// so that lines are stable and greppable.
public struct LineLogHandler: LogHandler {
    public var logLevel: Logger.Level = .info
    public var metadata: Logger.Metadata = [:]
    public var metadataProvider: Logger.MetadataProvider?
    private let sink: @Sendable (String) -> Void

    public init(sink: @escaping @Sendable (String) -> Void, metadataProvider: Logger.MetadataProvider? = nil) {
        self.sink = sink
        self.metadataProvider = metadataProvider
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        var all = metadata
        if let provided = metadataProvider?.get() { all.merge(provided) { _, new in new } }
        if let own = event.metadata { all.merge(own) { _, new in new } }
        var line = "\(event.level.rawValue) \(event.message)"
        for key in all.keys.sorted() {
            line += " \(key)=" + Self.render(all[key]!)
        }
        sink(line)
    }

    static func render(_ value: Logger.MetadataValue) -> String {
        let text: String
        switch value {
        case let .string(s): text = s
        case let .stringConvertible(c): text = c.description
        case let .array(items): text = items.map { render($0) }.joined(separator: ",")
        case let .dictionary(d): text = d.keys.sorted().map { "\($0):\(render(d[$0]!))" }.joined(separator: ",")
        }
        let quoted = text.isEmpty || text.contains(where: { $0 == " " || $0 == "\"" || $0 == "=" || $0.isNewline })
        return quoted ? JSON.string(text).description : text
    }
}
