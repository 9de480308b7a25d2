import ArgumentParser
import Audio
import Foundation
import Grammar
import Hub
import Intents
import Listening
import Speech
#if canImport(Glibc)
import Glibc
#endif

/// `hark listen`: the daemon's speech path without MQTT. Audio from a WAV file or an ALSA device
/// goes through the endpointer, the wake phrase (unless `--no-wake`) and the recogniser; each
/// command is parsed and printed as its transcript, its Action JSON (`source: speech`,
/// `ms: {asr, parse}`) and its timings. With `--wav` it exits at the end of the file.
struct Listen: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Recognise and parse spoken commands from a WAV file or a capture device (no MQTT).")

    @OptionGroup var model: ModelOptions

    @Option(name: .long, help: "The configuration YAML (registry, audio and speech sections).")
    var config: String

    @Option(name: .long, help: "A WAV file (16-bit PCM, any rate and channels) instead of the capture device.")
    var wav: String?

    @Option(name: .long, help: "The ALSA capture device (default: audio.device from the configuration).")
    var device: String?

    @Flag(name: .long, help: "Every utterance is a command (no wake phrase).")
    var noWake = false

    @Option(name: .long, help: "The area the commands are heard in (default: the configuration's site).")
    var site: String?

    func validate() throws {
        if wav != nil, device != nil { throw ValidationError("give --wav or --device, not both") }
    }

    func run() throws {
        let loaded: HarkConfiguration
        do { loaded = try HarkConfiguration.load(configFile: URL(fileURLWithPath: config)) } catch {
            for problem in error.items { FileHandle.standardError.write(Data("\(problem)\n".utf8)) }
            throw ExitCode(1)
        }
        let (home, daemon) = (loaded.home, loaded.daemon)
        let site = site ?? home.registry.site

        var options = IntentParser.Options()
        options.threads = model.threads
        daemon.parser.apply(to: &options)
        let language = try model.load()
        if language.adapter == nil { options.examples = 8 }
        let parser = try IntentParser(language: language, catalog: home.catalog, registry: home.registry, options: options)
        try parser.prepare(site: site)

        let speechModel = try SpeechModel(directory: URL(fileURLWithPath: daemon.speech.model))
        let dictionary = try PronunciationDictionary.load(model: speechModel, added: daemon.speech.pronunciations)
        let pipeline = try ListeningPipeline(
            model: speechModel, dictionary: dictionary, catalog: home.catalog, registry: home.registry,
            configuration: SpeechService.pipelineConfiguration(audio: daemon.audio, speech: daemon.speech, wake: !noWake))
        for warning in pipeline.grammar.warnings { FileHandle.standardError.write(Data("speech grammar: \(warning)\n".utf8)) }

        let source: any AudioSource
        if let wav {
            source = try WAVFileSource(path: wav)
        } else {
            var capture = SpeechService.captureConfiguration(daemon.audio)
            if let device { capture.device = device }
            source = try ALSACapture(configuration: capture)
            FileHandle.standardError.write(Data("listening on ALSA device '\(capture.device)'\(noWake ? "" : " for '\(daemon.speech.wakePhrase)'"); Ctrl-C ends\n".utf8))
        }
        try source.start()
        let interrupt = Interrupt(source)
        defer { interrupt.cancel() }

        func show(_ events: [ListeningPipeline.Event]) throws {
            for event in events {
                switch event {
                case let .provisional(text, index):
                    print(String(format: "pause at %.2f s after a complete command: %@", AudioFrame.seconds(index), text))
                case let .wake(phrase, index):
                    print(String(format: "wake: '%@' at %.2f s", phrase, AudioFrame.seconds(index)))
                case let .ignored(utterance, reason):
                    print(String(format: "ignored: %.2f–%.2f s (%@)", AudioFrame.seconds(utterance.speechStart), AudioFrame.seconds(utterance.speechEnd), reason))
                case let .command(heard):
                    let result = try parser.parse(heard.transcript.text, site: site)
                    let asr = Int(heard.asrMilliseconds.rounded())
                    print("transcript: \(heard.transcript.text)")
                    print(result.actionJSON(id: newActionID(), source: .speech, timings: ["asr": asr]))
                    print(String(format: "timings: asr %.1f ms (RTF %.3f; %.1f ms after the endpoint), parse %.1f ms; end of speech → action %.0f ms (endpointer %.0f ms of silence%@)",
                                 heard.asrMilliseconds, heard.transcript.realTimeFactor, heard.asrAfterEndpointMilliseconds, result.timings.totalMs,
                                 heard.endpointMilliseconds + heard.asrAfterEndpointMilliseconds + result.timings.totalMs, heard.endpointMilliseconds,
                                 heard.endedOnCompleteSentence ? ", a complete command" : ""))
                }
            }
        }
        while let frame = source.read(maxSamples: 1_600) {
            try show(try pipeline.process(frame))
        }
        try show(try pipeline.finish())
    }
}

/// Stops a source on SIGINT so that `hark listen --device` ends cleanly.
private final class Interrupt {
    private let signalSource: any DispatchSourceSignal

    init(_ source: any AudioSource) {
        signal(SIGINT, SIG_IGN)
        signalSource = DispatchSource.makeSignalSource(signal: SIGINT, queue: .global())
        signalSource.setEventHandler { source.stop() }
        signalSource.resume()
    }

    func cancel() { signalSource.cancel() }
}
