import Foundation
import Intents
import MQTT
import Yams

/// The daemon's part of the config file: the `mqtt`, `hermes`, `parser`, `logging`, `audio` and
/// `speech` sections. (`site`, `areas`, `devices`, `scenes` and `catalog` are the registry, read by
/// `HomeConfiguration.load`; `model` is read by the `hark` executable.)
///
/// `load`/`parse` report every problem at once as `Diagnostics`, each naming the file, line,
/// column and field (`deploy/hark.yaml:97:9: mqtt.port: 70000 is not in 1...65535`).
public struct DaemonConfiguration: Sendable, Equatable {
    public var mqtt: MQTTSettings
    public var hermes: HermesSettings
    public var parser: ParserSettings
    public var logging: LoggingSettings
    public var audio: AudioSettings
    public var speech: SpeechSettings

    public init(mqtt: MQTTSettings = MQTTSettings(), hermes: HermesSettings = HermesSettings(),
                parser: ParserSettings = ParserSettings(), logging: LoggingSettings = LoggingSettings(),
                audio: AudioSettings = AudioSettings(), speech: SpeechSettings = SpeechSettings()) {
        self.mqtt = mqtt
        self.hermes = hermes
        self.parser = parser
        self.logging = logging
        self.audio = audio
        self.speech = speech
    }

    /// The sections this type reads; the registry loader skips them (`Registry.daemonKeys`).
    public static let sections = ["mqtt", "hermes", "parser", "logging", "audio", "speech"]

    /// Reads `configFile`. With `registry`, Hermes site mappings must name its areas and
    /// `mqtt.homeassistant` entries must name entities its devices use.
    /// Relative paths in the file (`audio.alsa_config`, `speech.model`) are taken from the file's
    /// directory.
    public static func load(configFile: URL, registry: Registry? = nil) throws(Diagnostics) -> DaemonConfiguration {
        let file = configFile.path
        guard let data = FileManager.default.contents(atPath: file) else {
            throw Diagnostics([Diagnostic(SourceLocation(file: file, line: 1, column: 1), path: "", message: "cannot read configuration file")])
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw Diagnostics([Diagnostic(SourceLocation(file: file, line: 1, column: 1), path: "", message: "configuration file is not UTF-8")])
        }
        var configuration = try parse(yaml: text, file: file, registry: registry)
        let directory = configFile.deletingLastPathComponent()
        func resolve(_ path: String) -> String {
            path.hasPrefix("/") ? path : directory.appendingPathComponent(path).standardized.path
        }
        configuration.audio.alsaConfigurationFile = configuration.audio.alsaConfigurationFile.map(resolve)
        configuration.speech.model = resolve(configuration.speech.model)
        return configuration
    }

    /// Parses the daemon sections of a whole config document; other top-level keys are ignored
    /// here (the registry loader reports unknown ones).
    public static func parse(yaml: String, file: String, registry: Registry? = nil) throws(Diagnostics) -> DaemonConfiguration {
        var reader = ConfigReader(file: file)
        var configuration = DaemonConfiguration()
        guard let root = reader.compose(yaml) else {
            if reader.diagnostics.isEmpty { return configuration }
            throw Diagnostics(reader.diagnostics)
        }
        if let top = reader.mapping(root, "") {
            for (keyNode, value) in top {
                switch keyNode.scalar?.string {
                case "mqtt": configuration.mqtt = readMQTT(value, &reader, registry: registry)
                case "hermes": configuration.hermes = readHermes(value, &reader, registry: registry)
                case "parser": configuration.parser = readParser(value, &reader)
                case "logging": configuration.logging = readLogging(value, &reader)
                case "audio": configuration.audio = readAudio(value, &reader)
                case "speech": configuration.speech = readSpeech(value, &reader)
                default: continue
                }
            }
        }
        if !reader.diagnostics.isEmpty { throw Diagnostics(reader.diagnostics) }
        return configuration
    }
}

/// How Hark reaches the broker and the devices behind it.
public struct MQTTSettings: Sendable, Equatable {
    /// Broker address, client id, credentials, TLS, keepalive, session, outbox.
    public var connection: MQTTConfiguration
    public var adapters: AdapterSettings
    /// Commands waiting for the parser; beyond this an input is rejected with an error on
    /// `hark/<site>/error` (never dropped silently).
    public var inputQueueLimit: Int
    /// Input payloads larger than this are rejected unread (DESIGN.md: 4 KB).
    public var inputPayloadLimit: Int

    public init(connection: MQTTConfiguration = MQTTConfiguration(host: "localhost"), adapters: AdapterSettings = AdapterSettings(),
                inputQueueLimit: Int = 256, inputPayloadLimit: Int = 4096) {
        self.connection = connection
        self.adapters = adapters
        self.inputQueueLimit = inputQueueLimit
        self.inputPayloadLimit = inputPayloadLimit
    }
}

/// Device-side conventions the adapters need.
public struct AdapterSettings: Sendable, Equatable {
    /// Zigbee2MQTT's base topic (`<base>/<friendly_name>/set`).
    public var zigbee2mqttBase: String
    /// Prefix of the default Home Assistant topics (`<base>/<domain>/<object_id>/set`).
    public var homeAssistantBase: String
    /// Per-entity topic overrides, keyed by entity id (`light.kitchen_counter`).
    public var homeAssistantEntities: [String: HomeAssistantTopics]
    /// Percent added or removed by brightness_up/down when the command names no step.
    public var brightnessStep: Int
    /// Percent added or removed by volume_up/down when the command names no step.
    public var volumeStep: Int

    public init(zigbee2mqttBase: String = "zigbee2mqtt", homeAssistantBase: String = "homeassistant",
                homeAssistantEntities: [String: HomeAssistantTopics] = [:], brightnessStep: Int = 10, volumeStep: Int = 10) {
        self.zigbee2mqttBase = zigbee2mqttBase
        self.homeAssistantBase = homeAssistantBase
        self.homeAssistantEntities = homeAssistantEntities
        self.brightnessStep = brightnessStep
        self.volumeStep = volumeStep
    }
}

/// The MQTT topics of one Home Assistant entity, as configured in Home Assistant's MQTT
/// integration. Each nil topic takes its default under `<base>/<domain>/<object_id>/`.
public struct HomeAssistantTopics: Sendable, Equatable {
    /// Default `…/set`: JSON light schema, switch/lock/cover/fan/media payloads.
    public var commandTopic: String?
    /// Default `…/state`: what the adapter follows for state queries and relative commands.
    public var stateTopic: String?
    /// Default `…/position/set`: cover position 0–100.
    public var positionTopic: String?
    /// Default `…/temperature/set`: climate target temperature.
    public var temperatureCommandTopic: String?
    /// Default `…/mode/set`: climate mode (`heat`/`off`) for turn_on/turn_off.
    public var modeCommandTopic: String?
    /// Default `…/preset_mode/set`: fan speed (`low`/`medium`/`high`).
    public var presetModeCommandTopic: String?
    /// Default `…/volume/set`: media volume 0–100.
    public var volumeCommandTopic: String?

    public init(commandTopic: String? = nil, stateTopic: String? = nil, positionTopic: String? = nil,
                temperatureCommandTopic: String? = nil, modeCommandTopic: String? = nil,
                presetModeCommandTopic: String? = nil, volumeCommandTopic: String? = nil) {
        self.commandTopic = commandTopic
        self.stateTopic = stateTopic
        self.positionTopic = positionTopic
        self.temperatureCommandTopic = temperatureCommandTopic
        self.modeCommandTopic = modeCommandTopic
        self.presetModeCommandTopic = presetModeCommandTopic
        self.volumeCommandTopic = volumeCommandTopic
    }

    static let keys = ["command_topic", "state_topic", "position_topic", "temperature_command_topic", "mode_command_topic",
                       "preset_mode_command_topic", "volume_command_topic"]
}

/// The Rhasspy 2.5 Hermes bridge (`hermes/nlu/query` in, `hermes/intent/<name>` out).
public struct HermesSettings: Sendable, Equatable {
    public var enabled: Bool
    /// The Hermes siteId of this hub: queries from it act at the registry's site.
    public var siteID: String?
    /// Satellites: Hermes siteId → area id. A query whose siteId is an area id acts there too.
    public var sites: [String: String]

    public init(enabled: Bool = true, siteID: String? = nil, sites: [String: String] = [:]) {
        self.enabled = enabled
        self.siteID = siteID
        self.sites = sites
    }
}

/// Parser policy (the model itself is configured under `model:`).
public struct ParserSettings: Sendable, Equatable {
    /// Below this confidence a command is "not understood", never a guess on a device.
    public var confidenceThreshold: Double

    public init(confidenceThreshold: Double = 0.5) { self.confidenceThreshold = confidenceThreshold }
}

public struct LoggingSettings: Sendable, Equatable {
    public var level: HubLogger.Level
    /// How often `hark/<site>/stats` is published, in seconds (0: never).
    public var statsInterval: Double
    public init(level: HubLogger.Level = .info, statsInterval: Double = 60) {
        self.level = level
        self.statsInterval = statsInterval
    }
}

/// The microphone and how its stream is cut into utterances (`audio:`). Plain values: the
/// speech stage turns them into an `ALSACaptureConfiguration` and an `Endpointer.Configuration`.
public struct AudioSettings: Sendable, Equatable {
    /// The ALSA capture device (`default`, `plughw:1,0`, or one defined in `alsaConfigurationFile`).
    public var device: String
    /// An ALSA configuration file loaded on top of the system's before opening `device` (tests
    /// define a `file` PCM there); relative to the config file.
    public var alsaConfigurationFile: String?
    /// Silence after speech that ends an utterance, in milliseconds.
    public var trailingSilenceMs: Int
    /// Longest utterance, in seconds; longer speech is cut there.
    public var maximumUtteranceSeconds: Double
    /// Audio kept before the detected start of speech, in milliseconds.
    public var preRollMs: Int
    /// Silence that ends an utterance whose words so far are a complete command of the grammar,
    /// in milliseconds (0: always wait `trailingSilenceMs`).
    public var completeSilenceMs: Int

    public init(device: String = "default", alsaConfigurationFile: String? = nil, trailingSilenceMs: Int = 700,
                maximumUtteranceSeconds: Double = 8, preRollMs: Int = 300, completeSilenceMs: Int = 200) {
        self.device = device
        self.alsaConfigurationFile = alsaConfigurationFile
        self.trailingSilenceMs = trailingSilenceMs
        self.maximumUtteranceSeconds = maximumUtteranceSeconds
        self.preRollMs = preRollMs
        self.completeSilenceMs = completeSilenceMs
    }
}

/// Speech input (`speech:`): whether it runs, the PocketSphinx model, the wake phrase, push-to-talk.
public struct SpeechSettings: Sendable, Equatable {
    /// When `hark run` listens.
    public enum Mode: String, Sendable, Equatable, CaseIterable {
        /// Listen if the capture device opens at start; otherwise log why and run text-only.
        case auto
        /// Always listen; a missing or failing device is retried with backoff (text keeps working).
        case on
        /// Never listen.
        case off
    }

    public var mode: Mode
    /// The PocketSphinx model directory (`pocketsphinx-en-us` layout); relative to the config file.
    public var model: String
    /// Lowercase words, three or more syllables, all in the model's dictionary.
    public var wakePhrase: String
    /// Keyphrase threshold (`-kws_threshold`).
    public var wakeThreshold: Double
    /// Phone loop probability (`-kws_plp`): PocketSphinx's default 1e-1 never detects a three-word
    /// phrase; 1e-10 does.
    public var phoneLoopProbability: Double
    /// Also open listening (no wake phrase) on `hark/<site>/listen` and Hermes `hermes/asr/startListening`.
    public var pushToTalk: Bool
    /// After a wake phrase or a listen request, how long to wait for the command to begin, in seconds.
    public var listenTimeoutSeconds: Double
    /// Start parsing a complete command when the speaker pauses after it, before the utterance
    /// ends (the parse is wasted when the speaker goes on).
    public var speculativeParse: Bool
    /// Words the model's dictionary lacks (names, brands), or says differently: word → one or more
    /// pronunciations in the model's phones (`sonos: S OW N OW S`). They replace the dictionary's own.
    public var pronunciations: [String: [String]] = [:]

    public init(mode: Mode = .auto, model: String = "/usr/share/pocketsphinx/model/en-us", wakePhrase: String = "hey hark house",
                wakeThreshold: Double = 1e-20, phoneLoopProbability: Double = 1e-10, pushToTalk: Bool = false,
                listenTimeoutSeconds: Double = 6, speculativeParse: Bool = true) {
        self.speculativeParse = speculativeParse
        self.mode = mode
        self.model = model
        self.wakePhrase = wakePhrase
        self.wakeThreshold = wakeThreshold
        self.phoneLoopProbability = phoneLoopProbability
        self.pushToTalk = pushToTalk
        self.listenTimeoutSeconds = listenTimeoutSeconds
    }
}

// MARK: - Section readers

extension DaemonConfiguration {
    static let mqttKeys = ["host", "port", "client_id", "keepalive", "username", "password_file", "tls", "persistent_session",
                           "outbox_limit", "input_queue", "zigbee2mqtt_base", "homeassistant_base", "homeassistant",
                           "brightness_step", "volume_step"]

    private static func readMQTT(_ node: Node, _ reader: inout ConfigReader, registry: Registry?) -> MQTTSettings {
        var settings = MQTTSettings()
        guard let mapping = reader.mapping(node, "mqtt") else { return settings }
        var connection = settings.connection
        var username: String?
        var passwordFile: String?, passwordNode: Node?
        for (key, keyNode, value) in reader.entries(mapping, "mqtt", allowed: mqttKeys) {
            let path = "mqtt.\(key)"
            switch key {
            case "host": if let s = reader.string(value, path) { connection.host = s }
            case "port": if let v = reader.int(value, path, in: 1...65_535) { connection.port = v }
            case "client_id":
                if let s = reader.string(value, path) {
                    if s.utf8.count > 65_535 { reader.error(value, path, "is longer than 65535 bytes") } else { connection.clientID = s }
                }
            case "keepalive": if let v = reader.int(value, path, in: 5...65_535) { connection.keepAliveSeconds = v }
            case "username": username = reader.string(value, path)
            case "password_file": passwordFile = reader.string(value, path); passwordNode = value
            case "tls": connection.tls = readTLS(value, &reader)
            case "persistent_session": if let b = reader.bool(value, path) { connection.cleanSession = !b }
            case "outbox_limit": if let v = reader.int(value, path, in: 1...60_000) { connection.outboxLimit = v }
            case "input_queue": if let v = reader.int(value, path, in: 1...100_000) { settings.inputQueueLimit = v }
            case "zigbee2mqtt_base": if let s = reader.topic(value, path) { settings.adapters.zigbee2mqttBase = s }
            case "homeassistant_base": if let s = reader.topic(value, path) { settings.adapters.homeAssistantBase = s }
            case "homeassistant": settings.adapters.homeAssistantEntities = readHomeAssistant(value, &reader, registry: registry)
            case "brightness_step": if let v = reader.int(value, path, in: 1...100) { settings.adapters.brightnessStep = v }
            case "volume_step": if let v = reader.int(value, path, in: 1...100) { settings.adapters.volumeStep = v }
            default: reader.error(keyNode, path, "unhandled key")
            }
        }
        if let passwordFile {
            if let username {
                connection.credentials = .init(username: username, password: .file(passwordFile))
            } else {
                reader.error(passwordNode, "mqtt.password_file", "needs 'username' as well")
            }
        } else if let username {
            connection.credentials = .init(username: username)
        }
        // The client checks the combination too; anything it rejects is reported at `mqtt:`.
        do { try connection.validate() } catch {
            reader.error(node, "mqtt", "\(error)")
        }
        settings.connection = connection
        return settings
    }

    private static func readTLS(_ node: Node, _ reader: inout ConfigReader) -> MQTTConfiguration.TLS? {
        guard let mapping = reader.mapping(node, "mqtt.tls") else { return nil }
        var ca: String?, cert: String?, key: String?, insecure = false
        for (name, _, value) in reader.entries(mapping, "mqtt.tls", allowed: ["ca_file", "cert_file", "key_file", "insecure"]) {
            let path = "mqtt.tls.\(name)"
            switch name {
            case "ca_file": ca = reader.string(value, path)
            case "cert_file": cert = reader.string(value, path)
            case "key_file": key = reader.string(value, path)
            default: insecure = reader.bool(value, path) ?? false
            }
        }
        guard let ca else {
            reader.error(node, "mqtt.tls.ca_file", "missing required key 'ca_file'")
            return nil
        }
        if (cert == nil) != (key == nil) {
            reader.error(node, "mqtt.tls", "cert_file and key_file must be given together")
            return nil
        }
        return .init(caFile: ca, certificateFile: cert, keyFile: key, insecure: insecure)
    }

    private static func readHomeAssistant(_ node: Node, _ reader: inout ConfigReader, registry: Registry?) -> [String: HomeAssistantTopics] {
        guard let mapping = reader.mapping(node, "mqtt.homeassistant") else { return [:] }
        var out: [String: HomeAssistantTopics] = [:]
        let known = Set(registry?.devices.compactMap { d -> String? in
            if case let .homeAssistant(entity) = d.adapter { return entity } else { return nil }
        } ?? [])
        for (keyNode, value) in mapping {
            guard let entity = keyNode.scalar?.string, !entity.isEmpty else {
                reader.error(keyNode, "mqtt.homeassistant", "keys must be Home Assistant entity ids")
                continue
            }
            let path = "mqtt.homeassistant.\(entity)"
            if registry != nil, !known.contains(entity) {
                var message = "no device uses Home Assistant entity '\(entity)'"
                if let hint = ConfigReader.suggestion(for: entity, among: known.sorted()) { message += " (did you mean '\(hint)'?)" }
                reader.error(keyNode, path, message)
                continue
            }
            guard let entries = reader.mapping(value, path) else { continue }
            var topics = HomeAssistantTopics()
            for (key, _, topicNode) in reader.entries(entries, path, allowed: HomeAssistantTopics.keys) {
                let topic = reader.topic(topicNode, "\(path).\(key)")
                switch key {
                case "command_topic": topics.commandTopic = topic
                case "state_topic": topics.stateTopic = topic
                case "position_topic": topics.positionTopic = topic
                case "temperature_command_topic": topics.temperatureCommandTopic = topic
                case "mode_command_topic": topics.modeCommandTopic = topic
                case "preset_mode_command_topic": topics.presetModeCommandTopic = topic
                default: topics.volumeCommandTopic = topic
                }
            }
            out[entity] = topics
        }
        return out
    }

    private static func readHermes(_ node: Node, _ reader: inout ConfigReader, registry: Registry?) -> HermesSettings {
        var settings = HermesSettings()
        guard let mapping = reader.mapping(node, "hermes") else { return settings }
        for (key, _, value) in reader.entries(mapping, "hermes", allowed: ["enabled", "site_id", "sites"]) {
            let path = "hermes.\(key)"
            switch key {
            case "enabled": if let b = reader.bool(value, path) { settings.enabled = b }
            case "site_id": settings.siteID = reader.string(value, path)
            default:
                guard let sites = reader.mapping(value, path) else { continue }
                for (siteNode, areaNode) in sites {
                    guard let site = siteNode.scalar?.string, !site.isEmpty else {
                        reader.error(siteNode, path, "keys must be Hermes siteIds")
                        continue
                    }
                    guard let area = reader.string(areaNode, "\(path).\(site)") else { continue }
                    if let registry, registry.area(id: area) == nil {
                        reader.error(areaNode, "\(path).\(site)",
                                     "unknown area '\(area)' (known: \(registry.areas.map(\.id).joined(separator: ", ")))")
                        continue
                    }
                    settings.sites[site] = area
                }
            }
        }
        return settings
    }

    private static func readParser(_ node: Node, _ reader: inout ConfigReader) -> ParserSettings {
        var settings = ParserSettings()
        guard let mapping = reader.mapping(node, "parser") else { return settings }
        for (_, _, value) in reader.entries(mapping, "parser", allowed: ["confidence_threshold"]) {
            if let v = reader.number(value, "parser.confidence_threshold", in: 0...1) { settings.confidenceThreshold = v }
        }
        return settings
    }

    static let audioKeys = ["device", "alsa_config", "sample_rate", "endpointing"]
    static let endpointingKeys = ["trailing_silence_ms", "complete_silence_ms", "max_utterance_s", "pre_roll_ms", "vad"]

    private static func readAudio(_ node: Node, _ reader: inout ConfigReader) -> AudioSettings {
        var settings = AudioSettings()
        guard let mapping = reader.mapping(node, "audio") else { return settings }
        for (key, _, value) in reader.entries(mapping, "audio", allowed: audioKeys) {
            let path = "audio.\(key)"
            switch key {
            case "device": if let s = reader.string(value, path) { settings.device = s }
            case "alsa_config": settings.alsaConfigurationFile = reader.string(value, path)
            case "sample_rate":
                // Hark works on 16 kHz mono; a device's own rate is converted on capture.
                if let rate = reader.int(value, path, in: 1...384_000), rate != 16_000 {
                    reader.error(value, path, "must be 16000 (Hark works on 16 kHz mono; the device's own rate is converted on capture)")
                }
            default:
                guard let entries = reader.mapping(value, path) else { continue }
                var completeSilence: Node?
                defer {
                    // Only a shorter wait than the trailing silence means anything.
                    if let completeSilence, settings.completeSilenceMs >= settings.trailingSilenceMs {
                        reader.error(completeSilence, "\(path).complete_silence_ms",
                                     "must be shorter than trailing_silence_ms (\(settings.trailingSilenceMs)), or 0 to always wait that long")
                    }
                }
                for (name, _, item) in reader.entries(entries, path, allowed: endpointingKeys) {
                    let itemPath = "\(path).\(name)"
                    switch name {
                    case "trailing_silence_ms": if let v = reader.int(item, itemPath, in: 100...5_000) { settings.trailingSilenceMs = v }
                    case "complete_silence_ms":
                        if let v = reader.int(item, itemPath, in: 0...5_000) {
                            settings.completeSilenceMs = v
                            if v > 0 { completeSilence = item }
                        }
                    case "max_utterance_s": if let v = reader.number(item, itemPath, in: 1...60) { settings.maximumUtteranceSeconds = v }
                    case "pre_roll_ms": if let v = reader.int(item, itemPath, in: 0...2_000) { settings.preRollMs = v }
                    default:
                        guard let s = reader.string(item, itemPath), s != "energy" else { continue }
                        reader.error(item, itemPath, "unknown voice activity detector '\(s)' (expected: energy; WebRTC's VAD is not available in this build)")
                    }
                }
            }
        }
        return settings
    }

    static let speechKeys = ["enabled", "model", "wake_phrase", "wake_threshold", "phone_loop_probability", "push_to_talk", "listen_timeout_s",
                             "speculative_parse", "pronunciations"]

    private static func readSpeech(_ node: Node, _ reader: inout ConfigReader) -> SpeechSettings {
        var settings = SpeechSettings()
        guard let mapping = reader.mapping(node, "speech") else { return settings }
        for (key, _, value) in reader.entries(mapping, "speech", allowed: speechKeys) {
            let path = "speech.\(key)"
            switch key {
            case "enabled":
                if value.scalar?.string == "auto" {
                    settings.mode = .auto
                } else if value.scalar != nil, !reader.isNull(value), let b = value.bool {
                    settings.mode = b ? .on : .off
                } else {
                    reader.error(value, path, "expected true, false or auto, found \(reader.kind(value))")
                }
            case "model": if let s = reader.string(value, path) { settings.model = s }
            case "wake_phrase":
                guard let s = reader.string(value, path) else { continue }
                let words = s.lowercased().split(whereSeparator: \.isWhitespace)
                if words.contains(where: { !$0.allSatisfy { $0.isLetter || $0 == "'" } }) {
                    reader.error(value, path, "'\(s)' must be words only (letters and apostrophes)")
                } else if words.count < 2 {
                    reader.error(value, path, "'\(s)' is too short: use a phrase of three or more syllables (DESIGN.md section 5)")
                } else {
                    settings.wakePhrase = words.joined(separator: " ")
                }
            case "wake_threshold": if let v = probability(value, path, &reader) { settings.wakeThreshold = v }
            case "phone_loop_probability": if let v = probability(value, path, &reader) { settings.phoneLoopProbability = v }
            case "push_to_talk": if let b = reader.bool(value, path) { settings.pushToTalk = b }
            case "speculative_parse": if let b = reader.bool(value, path) { settings.speculativeParse = b }
            case "pronunciations": settings.pronunciations = readPronunciations(value, path, &reader)
            default: if let v = reader.number(value, path, in: 1...60) { settings.listenTimeoutSeconds = v }
            }
        }
        return settings
    }

    /// `word: PHONES` or `word: [PHONES, PHONES]`: lowercase words, phones as uppercase letters
    /// (the CMU set of Debian's model: `AA`, `HH`, …; no stress digits). Whether the model has each
    /// phone is checked when speech starts.
    private static func readPronunciations(_ node: Node, _ path: String, _ reader: inout ConfigReader) -> [String: [String]] {
        var out: [String: [String]] = [:]
        guard let mapping = reader.mapping(node, path) else { return out }
        for (wordNode, value) in mapping {
            guard let word = wordNode.scalar?.string, !word.isEmpty,
                  word.allSatisfy({ ($0.isLetter && $0.isLowercase) || $0 == "'" }) else {
                reader.error(wordNode, path, "'\(wordNode.scalar?.string ?? reader.kind(wordNode))' is not a lowercase word")
                continue
            }
            let entryPath = "\(path).\(word)"
            var texts: [(String, Node)] = []
            if let items = value.sequence {
                for item in items { if let t = reader.string(item, entryPath) { texts.append((t, item)) } }
            } else if let t = reader.string(value, entryPath) {
                texts.append((t, value))
            }
            var pronunciations: [String] = []
            for (text, at) in texts {
                let phones = text.split(whereSeparator: \.isWhitespace)
                if phones.isEmpty {
                    reader.error(at, entryPath, "no phones")
                } else if let bad = phones.first(where: { !$0.allSatisfy { $0.isASCII && $0.isUppercase } }) {
                    let hint = bad.last?.isNumber == true ? " (Debian's en-us dictionary has no stress digits: write \(bad.filter(\.isLetter)))" : ""
                    reader.error(at, entryPath, "'\(bad)' is not a phone: phones are uppercase letters such as AA, HH, NG\(hint)")
                } else {
                    pronunciations.append(phones.joined(separator: " "))
                }
            }
            if !pronunciations.isEmpty { out[word] = pronunciations }
        }
        return out
    }

    /// A number strictly between 0 and 1 (PocketSphinx thresholds such as `1e-20`).
    private static func probability(_ node: Node, _ path: String, _ reader: inout ConfigReader) -> Double? {
        guard let v = reader.number(node, path, in: 0...1) else { return nil }
        guard v > 0, v < 1 else {
            reader.error(node, path, "must be between 0 and 1, exclusive (typical: 1e-10 to 1e-40)")
            return nil
        }
        return v
    }

    private static func readLogging(_ node: Node, _ reader: inout ConfigReader) -> LoggingSettings {
        var settings = LoggingSettings()
        guard let mapping = reader.mapping(node, "logging") else { return settings }
        for (key, _, value) in reader.entries(mapping, "logging", allowed: ["level", "stats_interval"]) {
            if key == "stats_interval" {
                if let seconds = reader.number(value, "logging.stats_interval", in: 0...86_400) { settings.statsInterval = seconds }
                continue
            }
            guard let s = reader.string(value, "logging.level") else { continue }
            if let level = HubLogger.Level(rawValue: s) {
                settings.level = level
            } else {
                let names = HubLogger.Level.allCases.map(\.rawValue)
                var message = "unknown level '\(s)'"
                if let hint = ConfigReader.suggestion(for: s, among: names) { message += " (did you mean '\(hint)'?)" }
                reader.error(value, "logging.level", message + " (expected one of: \(names.joined(separator: ", ")))")
            }
        }
        return settings
    }
}

/// The whole config file, read and validated as one: the home (catalog and registry, from
/// `Intents`) and the daemon's sections checked against it. `hark run` and a reload read it here
/// and nowhere else.
public struct HarkConfiguration: Sendable {
    public var file: URL
    public var home: HomeConfiguration
    public var daemon: DaemonConfiguration

    public init(file: URL, home: HomeConfiguration, daemon: DaemonConfiguration) {
        self.file = file
        self.home = home
        self.daemon = daemon
    }

    /// Reads `configFile`. Throws every problem of both parts at once (`file:line:col: field:
    /// message`); the daemon's sections are still checked when the registry has problems, only
    /// without the cross-checks that need it.
    public static func load(configFile: URL) throws(Diagnostics) -> HarkConfiguration {
        var problems: [Diagnostic] = []
        var home: HomeConfiguration?
        do { home = try HomeConfiguration.load(configFile: configFile) } catch { problems += error.items }
        var daemon: DaemonConfiguration?
        do { daemon = try DaemonConfiguration.load(configFile: configFile, registry: home?.registry) } catch {
            // An unreadable file or a YAML syntax error (no field path) is reported by both
            // readers; once is enough.
            let fileLevel = Set(problems.filter(\.path.isEmpty).map(\.location))
            problems += error.items.filter { !problems.contains($0) && !($0.path.isEmpty && fileLevel.contains($0.location)) }
        }
        guard let home, let daemon, problems.isEmpty else { throw Diagnostics(problems) }
        return HarkConfiguration(file: configFile, home: home, daemon: daemon)
    }
}
