import Audio
import Foundation
import Hub
import Inference
import Intents
import ServiceLifecycle
import Speech
import Synchronization

/// Errors that end one run of the speech stage (its supervisor restarts it with backoff).
public enum SpeechServiceError: Error, Sendable, CustomStringConvertible {
    /// The audio source ended on its own (a device that stopped delivering and could not recover).
    case streamEnded(String)
    /// The hub has no site, so commands cannot be placed.
    case noSite

    public var description: String {
        switch self {
        case let .streamEnded(source): return "the audio stream from \(source) ended"
        case .noSite: return "the configuration names no site (the area this hub listens in); speech commands need one"
        }
    }
}

/// The daemon's speech stage: an `AudioSource` (the ALSA microphone) through `ListeningPipeline`
/// (endpointer, wake phrase, recogniser over the home's JSGF grammar) into `HubService.submit` as
/// `source: .speech` commands with their `asr` time. Publishes Hermes `hermes/hotword/<id>/detected`
/// and `hermes/asr/textCaptured`; with push-to-talk, `hark/<site>/listen` and
/// `hermes/asr/startListening` open listening without the wake phrase.
///
/// Threads: capture runs on `ALSACapture`'s own thread; decoding on one dedicated thread of this
/// service (PocketSphinx blocks for tens of milliseconds per utterance), never on Swift's
/// cooperative pool and never on the MQTT reader. The grammar follows configuration reloads: when
/// the hub reloads, the decoding thread rebuilds it between two frames.
///
/// Failure: a ServiceLifecycle `Service` meant to run under `SupervisedService`. When the device
/// cannot be opened, `run()` throws (the supervisor retries with backoff) unless `stayOffWithoutDevice`
/// is set and the device never opened: then it logs why speech is off and idles until shutdown.
/// Text commands over MQTT are unaffected either way.
public final class SpeechService: Service, Sendable {
    public typealias SourceFactory = @Sendable () throws -> any AudioSource

    private let hub: HubService
    private let settings: SpeechSettings
    private let pipelineConfiguration: ListeningPipeline.Configuration
    private let makeSource: SourceFactory
    private let sourceName: String
    private let stayOffWithoutDevice: Bool
    private let logger: HubLogger
    private let counters = Mutex(SpeechStatistics())
    /// Audio counters of the sources of earlier runs, added to the current one's.
    private let earlierAudio = Mutex(AudioSourceStatistics())
    private let requests = Mutex<[ListenRequest]>([])
    private let everOpened = Atomic<Bool>(false)

    /// - Parameters:
    ///   - source: makes a fresh, unstarted source for each run (`ALSACapture` over `audio.device`).
    ///   - sourceName: how the log names it (`ALSA device 'default'`).
    public init(hub: HubService, audio: AudioSettings, speech: SpeechSettings, sourceName: String, stayOffWithoutDevice: Bool,
                logger: HubLogger, source: @escaping SourceFactory) {
        self.hub = hub
        settings = speech
        pipelineConfiguration = Self.pipelineConfiguration(audio: audio, speech: speech, wake: true)
        makeSource = source
        self.sourceName = sourceName
        self.stayOffWithoutDevice = stayOffWithoutDevice
        self.logger = logger
    }

    /// The pipeline settings the config file asks for (`wake: false`: every utterance is a command).
    public static func pipelineConfiguration(audio: AudioSettings, speech: SpeechSettings, wake: Bool) -> ListeningPipeline.Configuration {
        var endpointer = Endpointer.Configuration()
        endpointer.trailingSilence = .milliseconds(audio.trailingSilenceMs)
        endpointer.maximumLength = .milliseconds(Int((audio.maximumUtteranceSeconds * 1000).rounded()))
        endpointer.preRoll = .milliseconds(audio.preRollMs)
        let wakeSettings = wake ? ListeningPipeline.Configuration.Wake(
            phrase: speech.wakePhrase, threshold: speech.wakeThreshold, phoneLoopProbability: speech.phoneLoopProbability) : nil
        return ListeningPipeline.Configuration(endpointer: endpointer, wake: wakeSettings,
                                               listenTimeout: .milliseconds(Int((speech.listenTimeoutSeconds * 1000).rounded())),
                                               completeSilence: audio.completeSilenceMs > 0 ? .milliseconds(audio.completeSilenceMs) : nil)
    }

    /// The ALSA capture the config file asks for.
    public static func captureConfiguration(_ audio: AudioSettings) -> ALSACaptureConfiguration {
        ALSACaptureConfiguration(device: audio.device, configurationFile: audio.alsaConfigurationFile)
    }

    public var statistics: SpeechStatistics { counters.withLock { $0 } }

    public func run() async throws {
        counters.withLock { $0.starts += 1 }
        let model: SpeechModel
        do {
            model = try SpeechModel(directory: URL(fileURLWithPath: settings.model))
        } catch {
            logger.error("speech off: the PocketSphinx model cannot be used", ["model": settings.model, "error": "\(error)"])
            throw error
        }
        guard let site = hub.registry.site else { throw SpeechServiceError.noSite }
        // Commands and Hermes messages need the hub's connection; wait for it (not forever: a
        // broker that is down queues QoS 1 commands anyway).
        let readyBy = ContinuousClock.now + .seconds(30)
        while !hub.isReady, ContinuousClock.now < readyBy, !Task.isShuttingDownGracefully {
            try await Task.sleep(for: .milliseconds(50))
        }

        let source: any AudioSource
        do {
            source = try makeSource()
            try source.start()
        } catch {
            if stayOffWithoutDevice, !everOpened.load(ordering: .relaxed) {
                logger.warning("speech off: no capture device; text commands over MQTT keep working", [
                    "source": sourceName, "error": "\(error)", "hint": "set speech.enabled: true to retry with backoff, false to silence this",
                ])
                try? await gracefulShutdown()
                return
            }
            logger.warning("speech off until the capture device opens; text commands over MQTT keep working",
                           ["source": sourceName, "error": "\(error)"])
            throw error
        }
        everOpened.store(true, ordering: .relaxed)

        let stop = StopFlag()
        let outcome: Result<Void, any Error> = await withTaskCancellationOrGracefulShutdownHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Result<Void, any Error>, Never>) in
                let thread = Thread { [self] in
                    continuation.resume(returning: Result {
                        try self.decodeLoop(source: source, model: model, site: site, stop: stop)
                    })
                }
                thread.name = "speech"
                thread.qualityOfService = .userInitiated
                thread.start()
            }
        } onCancelOrGracefulShutdown: {
            stop.set()
            source.stop()
        }
        source.stop()
        hub.setListenHandler(nil)
        let audio = source.statistics
        earlierAudio.withLock { e in
            e.overruns += audio.overruns
            e.droppedSamples += audio.droppedSamples
            e.reopens += audio.reopens
        }
        publishStatistics(nil)
        logger.info("speech stopped", fields(statistics))
        try outcome.get()
        if !stop.isSet { throw SpeechServiceError.streamEnded(sourceName) }
    }

    /// The model's dictionary with the configured pronunciations, read for each grammar build and
    /// not kept: holding it for reloads only would cost the daemon 4 MB of resident memory.
    private func loadDictionary(_ model: SpeechModel) throws(SpeechError) -> PronunciationDictionary {
        try PronunciationDictionary.load(model: model, added: settings.pronunciations)
    }

    /// The decoding thread: frames in, events out, until the source ends or `stop` is set.
    private func decodeLoop(source: any AudioSource, model: SpeechModel, site: String, stop: StopFlag) throws {
        let clock = ContinuousClock()
        let loadStart = clock.now
        var generation = hub.statistics.reloads
        let dictionary: PronunciationDictionary
        do { dictionary = try loadDictionary(model) } catch {
            logger.error("speech off: the pronunciation dictionary cannot be used", ["model": settings.model, "error": "\(error)"])
            throw error
        }
        let pipeline = try ListeningPipeline(model: model, dictionary: dictionary, catalog: hub.catalog, registry: hub.registry,
                                             configuration: pipelineConfiguration)
        for warning in pipeline.grammar.warnings { logger.warning("speech grammar: \(warning)") }
        // Building the grammar and both decoders frees many temporaries: give their pages back.
        ProcessMemory.returnFreePages()
        let wakeID = Hermes.wakewordID(settings.wakePhrase)
        if settings.pushToTalk {
            hub.setListenHandler { [self] request in self.requests.withLock { $0.append(request) } }
        }
        logger.info("listening", [
            "source": sourceName, "site": site, "wake_phrase": settings.wakePhrase, "push_to_talk": "\(settings.pushToTalk)",
            "grammar_words": "\(pipeline.grammar.words.count)", "ms": "\(Int((clock.now - loadStart) / .milliseconds(1)))",
        ])
        var lastStats = clock.now
        while !stop.isSet {
            guard let frame = source.read(maxSamples: 1_600) else { break }
            let received = clock.now
            // A reload since the last frame: the grammar follows the new registry.
            let reloads = hub.statistics.reloads
            if reloads != generation {
                generation = reloads
                let t0 = clock.now
                do {
                    try pipeline.update(catalog: hub.catalog, registry: hub.registry, dictionary: loadDictionary(model))
                    logger.info("speech grammar rebuilt for the reloaded configuration", [
                        "words": "\(pipeline.grammar.words.count)", "ms": "\(Int((clock.now - t0) / .milliseconds(1)))",
                    ])
                } catch {
                    logger.error("speech grammar not rebuilt; the previous one stays", ["error": "\(error)"])
                }
            }
            for request in requests.withLock({ r -> [ListenRequest] in defer { r = [] }; return r }) where request.site == site {
                counters.withLock { $0.listenRequests += 1 }
                logger.info("listening for a command (push-to-talk)", ["topic": request.origin])
                pipeline.listen(sessionID: request.sessionID)
            }
            for event in try pipeline.process(frame) {
                handle(event, site: site, wakeID: wakeID, frameEnd: frame.endIndex, received: received)
            }
            if clock.now - lastStats >= .seconds(1) {
                lastStats = clock.now
                publishStatistics(source.statistics)
            }
        }
        publishStatistics(source.statistics)
    }

    private func handle(_ event: ListeningPipeline.Event, site: String, wakeID: String, frameEnd: Int64, received: ContinuousClock.Instant) {
        switch event {
        case let .provisional(text, _):
            // The speaker paused after a complete command: start parsing it, so that the action
            // is ready (or nearly) when the pause has lasted long enough to end the utterance.
            if settings.speculativeParse { hub.prefetch(text: text, site: site) }
        case let .wake(phrase, index):
            counters.withLock { $0.wakeDetections += 1 }
            logger.info("wake phrase heard", ["phrase": phrase, "at_s": String(format: "%.2f", AudioFrame.seconds(index))])
            hub.publish(topic: Hermes.hotwordDetectedTopic(wakeID),
                        Hermes.hotwordDetected(wakewordID: wakeID, siteID: site, sensitivity: settings.wakeThreshold))
        case let .ignored(utterance, reason):
            counters.withLock { c in
                c.utterances += 1
                if reason != "no wake phrase" { c.recognized += 1 }
            }
            // After a wake phrase the user expects an answer: say why there is none. Speech
            // without one (the room talking) stays at debug.
            let level: HubLogger.Level = reason == "no wake phrase" || reason == "wake phrase only" ? .debug : .info
            logger.log(level, "no command heard", ["reason": reason, "speech_s": String(format: "%.2f", utterance.speechDuration)])
        case let .command(heard):
            let asr = Int(heard.asrMilliseconds.rounded())
            counters.withLock { c in
                c.utterances += 1
                c.recognized += 1
                c.commands += 1
                c.lastASRMs = heard.asrMilliseconds
            }
            // Wall-clock time since the end of speech: the audio after it, plus decoding.
            let sinceEnd = AudioFrame.seconds(frameEnd - heard.utterance.speechEnd) * 1000
                + Double((ContinuousClock.now - received) / .microseconds(1)) / 1000
            logger.info("heard", [
                "text": heard.transcript.text, "asr_ms": "\(asr)", "speech_s": String(format: "%.2f", heard.utterance.speechDuration),
                "since_speech_end_ms": "\(Int(sinceEnd.rounded()))", "wake": "\(heard.afterWakePhrase)",
            ])
            hub.publish(topic: Hermes.textCapturedTopic, Hermes.textCaptured(
                text: heard.transcript.text, seconds: heard.transcript.audioSeconds, likelihood: 1, siteID: site,
                sessionID: heard.sessionID, wakewordID: heard.afterWakePhrase ? wakeID : nil))
            hub.submit(HubCommand(text: heard.transcript.text, site: site, source: .speech, timings: ["asr": asr], origin: "speech"))
        }
    }

    /// Adds the audio counters (earlier runs' and the current source's) and hands the lot to the hub.
    private func publishStatistics(_ current: AudioSourceStatistics?) {
        let earlier = earlierAudio.withLock { $0 }
        let s = counters.withLock { c -> SpeechStatistics in
            c.overruns = earlier.overruns + (current?.overruns ?? 0)
            c.droppedSamples = earlier.droppedSamples + (current?.droppedSamples ?? 0)
            c.reopens = earlier.reopens + (current?.reopens ?? 0)
            return c
        }
        hub.updateSpeechStatistics(s)
    }

    private func fields(_ s: SpeechStatistics) -> KeyValuePairs<String, String> {
        ["utterances": "\(s.utterances)", "commands": "\(s.commands)", "wake_detections": "\(s.wakeDetections)",
         "listen_requests": "\(s.listenRequests)", "overruns": "\(s.overruns)", "dropped_samples": "\(s.droppedSamples)",
         "reopens": "\(s.reopens)"]
    }
}

/// Set once to end the decoding thread's loop.
private final class StopFlag: Sendable {
    private let value = Atomic<Bool>(false)
    var isSet: Bool { value.load(ordering: .sequentiallyConsistent) }
    func set() { value.store(true, ordering: .sequentiallyConsistent) }
}
