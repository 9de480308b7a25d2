/// Everything the audio sources report. Each description names the file or the ALSA device and
/// says what is wrong with it, so a log line alone is enough to fix the problem.
public enum AudioError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The file cannot be opened or read.
    case fileUnreadable(path: String, reason: String)
    /// The file does not start with a RIFF/WAVE header.
    case notRIFFWave(path: String, detail: String)
    /// The WAVE data is not integer PCM (`formatTag`: 3 IEEE float, 6 A-law, 7 µ-law, ...).
    case notPCM(path: String, formatTag: Int)
    /// PCM, but with a sample size other than 16 bits.
    case unsupportedBitDepth(path: String, bits: Int)
    /// The file ends before a chunk or a sample frame it declares.
    case truncated(path: String, detail: String)
    /// A header field holds an impossible value, or a required chunk is missing.
    case invalidWAV(path: String, detail: String)
    /// A raw S16_LE file with an odd byte count.
    case invalidRaw(path: String, detail: String)
    /// ALSA could not open the device (`code` is ALSA's negative errno).
    case deviceOpenFailed(device: String, code: Int32, reason: String)
    /// The device opened but refused a setting Hark needs (`step` names the `snd_pcm_hw_params`
    /// call).
    case deviceSetupFailed(device: String, step: String, reason: String)
    /// The ALSA configuration file for `snd_pcm_open_lconf` could not be loaded.
    case alsaConfigurationFailed(path: String, reason: String)
    /// A configuration field holds an impossible value.
    case invalidConfiguration(field: String, problem: String)
    /// `start()` on a capture that was already started (or stopped: captures are not restartable).
    case alreadyStarted(device: String)

    public var description: String {
        switch self {
        case let .fileUnreadable(path, reason):
            return "cannot read audio file '\(path)': \(reason)"
        case let .notRIFFWave(path, detail):
            return "'\(path)' is not a RIFF/WAVE file: \(detail)"
        case let .notPCM(path, tag):
            return "'\(path)' is not PCM audio: WAVE format tag \(tag) (\(AudioError.formatName(tag))); Hark reads 16-bit integer PCM"
        case let .unsupportedBitDepth(path, bits):
            return "'\(path)' has \(bits)-bit samples; Hark reads 16-bit PCM (convert with: sox in.wav -b 16 out.wav)"
        case let .truncated(path, detail):
            return "'\(path)' is truncated: \(detail)"
        case let .invalidWAV(path, detail):
            return "'\(path)' is not a valid WAVE file: \(detail)"
        case let .invalidRaw(path, detail):
            return "'\(path)' is not raw S16_LE audio: \(detail)"
        case let .deviceOpenFailed(device, code, reason):
            return "cannot open ALSA capture device '\(device)': \(reason) (error \(code))"
        case let .deviceSetupFailed(device, step, reason):
            return "ALSA capture device '\(device)' refused \(step): \(reason)"
        case let .alsaConfigurationFailed(path, reason):
            return "cannot load ALSA configuration '\(path)': \(reason)"
        case let .invalidConfiguration(field, problem):
            return "invalid audio configuration: \(field) \(problem)"
        case let .alreadyStarted(device):
            return "capture from ALSA device '\(device)' was already started"
        }
    }

    static func formatName(_ tag: Int) -> String {
        switch tag {
        case 1: return "PCM"
        case 2: return "Microsoft ADPCM"
        case 3: return "IEEE float"
        case 6: return "A-law"
        case 7: return "µ-law"
        case 0x11: return "IMA ADPCM"
        case 0x55: return "MPEG Layer 3"
        case 0xFFFE: return "extensible"
        default: return "unknown"
        }
    }
}
