import ArgumentParser
import Dispatch
import Foundation
import Grammar
import Hub
import Intents
#if canImport(Glibc)
import Glibc
#endif

/// `hark run`: the daemon. Text commands over MQTT (`hark/<site>/text`, Hermes `nlu/query`)
/// are parsed and acted on until SIGINT or SIGTERM, which publish `offline` and exit cleanly.
/// Speech input (ALSA, wake phrase, PocketSphinx) is not part of this build yet.
struct Run: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run the daemon (text commands over MQTT; speech input comes later).")

    @OptionGroup var model: ModelOptions

    @Option(name: .long, help: "The configuration YAML (default: the embedded example home, deploy/hark.example.yaml).")
    var config: String?

    func run() async throws {
        signal(SIGPIPE, SIG_IGN)
        let configPath = try config ?? Self.embeddedConfiguration()
        let url = URL(fileURLWithPath: configPath)
        let home: HomeConfiguration
        let daemon: DaemonConfiguration
        do {
            home = try HomeConfiguration.load(configFile: url)
            daemon = try DaemonConfiguration.load(configFile: url, registry: home.registry)
        } catch {
            for problem in error.items { FileHandle.standardError.write(Data("\(problem)\n".utf8)) }
            throw ExitCode(1)
        }
        let logger = HubLogger.standardError(level: daemon.logging.level)

        // Embedded broker: only when the configured one is on this machine and absent.
        var broker: LoopbackBroker?
        let connection = daemon.mqtt.connection
        if ["localhost", "127.0.0.1", "::1"].contains(connection.host), !LoopbackBroker.isListening(port: connection.port) {
            broker = try LoopbackBroker(port: connection.port)
            logger.info("no broker on \(connection.host):\(connection.port); started a loopback mosquitto there")
        }
        defer { broker?.stop() }

        var options = IntentParser.Options()
        options.threads = model.threads
        daemon.parser.apply(to: &options)
        let language = try model.load()
        if language.adapter == nil { options.examples = 8 }
        let parser = try IntentParser(language: language, catalog: home.catalog, registry: home.registry, options: options)
        try parser.prepare()
        logger.info("parser ready: \(home.catalog.intents.count) intents, \(home.registry.devices.count) devices, adapter \(language.adapter?.file.path ?? "none")")

        let hub = HubService(configuration: daemon, home: home, parser: SerialIntentParser(parser), logger: logger)
        let task = Task { try await hub.run() }
        let signals = [SIGINT, SIGTERM].map { number -> DispatchSourceSignal in
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .main)
            source.setEventHandler {
                logger.info("signal \(number): stopping")
                task.cancel()
            }
            source.resume()
            return source
        }
        defer { signals.forEach { $0.cancel() } }
        do {
            try await task.value
        } catch is CancellationError {
            // a clean stop
        }
        logger.info("stopped: \(hub.statistics)")
    }

    /// The example home shipped with Hark: beside the working directory's `deploy/`, or the
    /// source tree the binary was built in.
    static func embeddedConfiguration() throws -> String {
        var candidates = ["deploy/hark.example.yaml"]
        let executable = CommandLine.arguments.first ?? ""
        if executable.contains("/") {
            let root = URL(fileURLWithPath: executable).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            candidates.append(root.appendingPathComponent("deploy/hark.example.yaml").path)
        }
        candidates.append("/usr/local/share/hark/hark.example.yaml")
        guard let found = candidates.first(where: { FileManager.default.fileExists(atPath: $0) }) else {
            throw ValidationError("no --config given and no embedded example configuration found (looked in \(candidates.joined(separator: ", ")))")
        }
        return found
    }
}
