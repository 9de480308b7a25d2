import ArgumentParser
import Audio
import Foundation
import Grammar
import Hub
import Inference
import Intents
import Listening
import Logging
import ServiceLifecycle
#if canImport(Glibc)
import Glibc
#endif

/// `hark run`: the daemon, a group of services that start together and stop together. Text
/// commands over MQTT (`hark/<site>/text`, Hermes `nlu/query`) are parsed and acted on; speech
/// from the ALSA capture device (`audio:`, `speech:`) joins as one more stage under
/// `SupervisedService`, restarted with backoff when it fails; SIGHUP reloads the config file
/// without dropping the broker connection; SIGINT or SIGTERM stop gracefully (queued commands
/// answered, outbox drained, retained `offline`) with exit code 0.
struct Run: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run the daemon: text commands over MQTT and speech from the microphone.",
        discussion: "Signals: SIGHUP reloads the configuration file (registry, catalog, parser settings) between two commands "
            + "and keeps the old one if the new one has errors; SIGINT/SIGTERM stop gracefully.")

    @OptionGroup var model: ModelOptions

    @Option(name: .long, help: "The configuration YAML (default: the embedded example home, deploy/hark.example.yaml).")
    var config: String?

    func run() async throws {
        signal(SIGPIPE, SIG_IGN)
        // Until the reload service traps it, a SIGHUP must not end the daemon (its default action).
        signal(SIGHUP, SIG_IGN)
        let configPath = try config ?? Self.embeddedConfiguration()
        let loaded: HarkConfiguration
        do { loaded = try HarkConfiguration.load(configFile: URL(fileURLWithPath: configPath)) } catch {
            for problem in error.items { FileHandle.standardError.write(Data("\(problem)\n".utf8)) }
            throw ExitCode(1)
        }
        let (home, daemon) = (loaded.home, loaded.daemon)
        let logger = HubLogger.standardError(level: daemon.logging.level)

        // Embedded broker: only when the configured one is on this machine and absent.
        var broker: LoopbackBroker?
        let connection = daemon.mqtt.connection
        if ["localhost", "127.0.0.1", "::1"].contains(connection.host), !LoopbackBroker.isListening(port: connection.port) {
            broker = try LoopbackBroker(port: connection.port)
            logger.info("no broker here; started a loopback mosquitto", ["host": connection.host, "port": "\(connection.port)"])
        }
        defer { broker?.stop() }

        var options = IntentParser.Options()
        options.threads = model.threads
        daemon.parser.apply(to: &options)
        let loadStart = ContinuousClock.now
        let language = try model.load()
        if language.adapter == nil { options.examples = 8 }
        let parser = try IntentParser(language: language, catalog: home.catalog, registry: home.registry, options: options)
        try parser.prepare()
        let released = ProcessMemory.returnFreePages()
        let elapsed = ContinuousClock.now - loadStart
        logger.info("parser ready", [
            "intents": "\(home.catalog.intents.count)", "devices": "\(home.registry.devices.count)",
            "adapter": language.adapter?.file.path ?? "none", "ms": "\(Int((elapsed / .milliseconds(1)).rounded()))",
            "released_mb": "\(released >> 20)",
        ])

        let hub = HubService(configuration: daemon, home: home, parser: SerialIntentParser(parser), logger: logger)
        var services: [ServiceGroupConfiguration.ServiceConfiguration] = [
            .init(service: hub, serviceName: "hub"),
            .init(service: ReloadOnSignal(hub: hub, configFile: loaded.file, logger: logger), serviceName: "reload"),
        ]
        var speech: SpeechService?
        switch daemon.speech.mode {
        case .off:
            logger.info("speech off (speech.enabled: false); text commands over MQTT only")
        case .auto, .on:
            let capture = SpeechService.captureConfiguration(daemon.audio)
            let service = SpeechService(
                hub: hub, audio: daemon.audio, speech: daemon.speech, sourceName: "ALSA device '\(capture.device)'",
                stayOffWithoutDevice: daemon.speech.mode == .auto, logger: logger
            ) { try ALSACapture(configuration: capture) }
            speech = service
            services.append(.init(service: SupervisedService(service, name: "speech", logger: logger), serviceName: "speech"))
            logger.info("speech stage starting", [
                "device": capture.device, "enabled": daemon.speech.mode.rawValue,
                "if_no_device": daemon.speech.mode == .auto ? "text only" : "retry with backoff",
            ])
        }
        var group = ServiceGroupConfiguration(services: services, gracefulShutdownSignals: [.sigterm, .sigint], logger: logger.logger)
        group.maximumGracefulShutdownDuration = .seconds(10)
        try await ServiceGroup(configuration: group).run()
        var summary = Self.fields(hub.statistics)
        if let s = speech?.statistics {
            summary += [("utterances", "\(s.utterances)"), ("speech_commands", "\(s.commands)"), ("wake_detections", "\(s.wakeDetections)"),
                        ("overruns", "\(s.overruns)"), ("dropped_samples", "\(s.droppedSamples)")]
        }
        logger.logger.info("stopped", metadata: Dictionary(summary.map { ($0.0, .string($0.1)) }, uniquingKeysWith: { _, b in b }))
    }

    private static func fields(_ s: HubStatistics) -> [(String, String)] {
        [("inputs", "\(s.inputs)"), ("actions", "\(s.actions)"), ("rejected", "\(s.rejected)"), ("duplicates", "\(s.duplicates)"),
         ("reloads", "\(s.reloads)"), ("failed_reloads", "\(s.failedReloads)"), ("publish_failures", "\(s.publishFailures)")]
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
