import ALSADiagnostics
import CALSA
import Foundation

/// What a capture device delivers once configured: interleaved S16 frames at `rate` with
/// `channels` channels, read `periodFrames` at a time.
public struct CaptureFormat: Sendable, Equatable, CustomStringConvertible {
    public var rate: Int
    public var channels: Int
    public var periodFrames: Int

    public init(rate: Int, channels: Int, periodFrames: Int) {
        self.rate = rate
        self.channels = channels
        self.periodFrames = periodFrames
    }

    public var description: String { "S16_LE \(rate) Hz \(channels) ch, period \(periodFrames) frames" }
}

/// The PCM calls the capture loop makes. The loop only ever talks to a device through this, so a
/// test can wrap the real ALSA device and inject `-EPIPE`, `-ESTRPIPE` or `-ENODEV` mid-stream.
/// Used on the capture thread only; the device is closed when the object goes away.
protocol CapturePCM: AnyObject {
    var format: CaptureFormat { get }
    /// Reads up to `frames` interleaved frames into `buffer`: the number read, or a negative
    /// errno as `snd_pcm_readi` returns it.
    func read(into buffer: UnsafeMutablePointer<Int16>, frames: Int) -> Int
    /// `snd_pcm_prepare`: 0 or a negative errno.
    func prepare() -> Int32
    /// `snd_pcm_resume`: 0, `-EAGAIN` while the device is still waking, or another negative errno.
    func resume() -> Int32
}

/// Opens (and configures) a capture device. The capture thread calls it for the first open and
/// for every reopen after an outage.
typealias CapturePCMOpener = @Sendable () throws -> any CapturePCM

/// A real ALSA capture PCM, owned by this object: opened and configured in `init`, closed in
/// `deinit`.
///
/// Configuration asks for interleaved S16_LE at 16 kHz, mono. A device that cannot do that keeps
/// its own rate and channel count (the nearest it offers), and the capture converts. With
/// `allowALSAConversion` false (the default) the PCM is opened with
/// `SND_PCM_NO_AUTO_RESAMPLE | SND_PCM_NO_AUTO_CHANNELS`, so a `plug` device (Debian's `default`
/// on a bare card) reports its hardware's real rate and channels instead of converting with
/// alsa-lib's own resampler; the sample format is still converted by `plug` when needed.
final class ALSAPCM: CapturePCM {
    let device: String
    let format: CaptureFormat
    private let handle: OpaquePointer
    /// The configuration tree given to `snd_pcm_open_lconf`, kept for the PCM's lifetime.
    private let configuration: OpaquePointer?

    /// Opens `device` for capture, from the global ALSA configuration, or from it with
    /// `configurationFile` loaded on top (`snd_pcm_open_lconf`): tests use this to define a
    /// `file` PCM without touching the system's configuration.
    init(device: String, configurationFile: String?, periodTime: Duration, bufferTime: Duration, allowALSAConversion: Bool) throws {
        self.device = device
        let configuration = try configurationFile.map(ALSAPCM.loadConfiguration)
        var pcm: OpaquePointer?
        let mode = allowALSAConversion ? 0 : SND_PCM_NO_AUTO_RESAMPLE | SND_PCM_NO_AUTO_CHANNELS
        hark_alsa_collect_messages()
        hark_alsa_clear_messages()
        let rc: Int32
        if let configuration {
            rc = snd_pcm_open_lconf(&pcm, device, SND_PCM_STREAM_CAPTURE, mode, configuration)
        } else {
            rc = snd_pcm_open(&pcm, device, SND_PCM_STREAM_CAPTURE, mode)
        }
        guard rc >= 0, let pcm else {
            if let configuration { snd_config_delete(configuration) }
            let said = String(cString: hark_alsa_messages_text())
            throw AudioError.deviceOpenFailed(device: device, code: rc, reason: ALSAPCM.describe(rc) + (said.isEmpty ? "" : " (alsa-lib: \(said))"))
        }
        do {
            format = try ALSAPCM.configure(
                pcm, device: device, periodTime: periodTime, bufferTime: bufferTime, allowALSAConversion: allowALSAConversion)
        } catch {
            snd_pcm_close(pcm)
            if let configuration { snd_config_delete(configuration) }
            throw error
        }
        handle = pcm
        self.configuration = configuration
    }

    deinit {
        snd_pcm_close(handle)
        if let configuration { snd_config_delete(configuration) }
    }

    func read(into buffer: UnsafeMutablePointer<Int16>, frames: Int) -> Int {
        Int(snd_pcm_readi(handle, buffer, snd_pcm_uframes_t(frames)))
    }

    func prepare() -> Int32 { snd_pcm_prepare(handle) }
    func resume() -> Int32 { snd_pcm_resume(handle) }

    /// alsa-lib's text for a negative error code.
    static func describe(_ code: Int32) -> String { String(cString: snd_strerror(code)) }

    /// The global configuration (when it loads) with `path` loaded on top.
    private static func loadConfiguration(_ path: String) throws -> OpaquePointer {
        var root: OpaquePointer?
        var global: OpaquePointer?
        if snd_config_update_ref(&global) >= 0, let global {
            let rc = snd_config_copy(&root, global)
            snd_config_unref(global)
            guard rc >= 0 else { throw AudioError.alsaConfigurationFailed(path: path, reason: describe(rc)) }
        } else {
            let rc = snd_config_top(&root)
            guard rc >= 0 else { throw AudioError.alsaConfigurationFailed(path: path, reason: describe(rc)) }
        }
        guard let root else { throw AudioError.alsaConfigurationFailed(path: path, reason: "no configuration tree") }
        guard FileManager.default.isReadableFile(atPath: path) else {
            snd_config_delete(root)
            throw AudioError.alsaConfigurationFailed(path: path, reason: "no such file or not readable")
        }
        var input: OpaquePointer?
        var rc = snd_input_stdio_open(&input, path, "r")
        if rc >= 0, let input {
            rc = snd_config_load(root, input)
            snd_input_close(input)
        }
        guard rc >= 0 else {
            snd_config_delete(root)
            throw AudioError.alsaConfigurationFailed(path: path, reason: describe(rc))
        }
        return root
    }

    private static func configure(
        _ pcm: OpaquePointer, device: String, periodTime: Duration, bufferTime: Duration, allowALSAConversion: Bool
    ) throws -> CaptureFormat {
        var params: OpaquePointer?
        guard snd_pcm_hw_params_malloc(&params) >= 0, let params else {
            throw AudioError.deviceSetupFailed(device: device, step: "snd_pcm_hw_params_malloc", reason: "out of memory")
        }
        defer { snd_pcm_hw_params_free(params) }
        func check(_ rc: Int32, _ step: String) throws {
            guard rc >= 0 else { throw AudioError.deviceSetupFailed(device: device, step: step, reason: describe(rc)) }
        }
        try check(snd_pcm_hw_params_any(pcm, params), "any configuration (snd_pcm_hw_params_any)")
        try check(snd_pcm_hw_params_set_access(pcm, params, SND_PCM_ACCESS_RW_INTERLEAVED), "interleaved read access")
        try check(snd_pcm_hw_params_set_format(pcm, params, SND_PCM_FORMAT_S16_LE), "sample format S16_LE")
        if !allowALSAConversion {
            // No resampling layer behind Hark's back (see the type's comment).
            _ = snd_pcm_hw_params_set_rate_resample(pcm, params, 0)
        }
        if snd_pcm_hw_params_set_channels(pcm, params, 1) < 0 {
            var channels: UInt32 = 1
            try check(snd_pcm_hw_params_set_channels_near(pcm, params, &channels), "a channel count near 1")
        }
        if snd_pcm_hw_params_set_rate(pcm, params, UInt32(AudioFrame.sampleRate), 0) < 0 {
            // The lowest rate at or above 16 kHz keeps the most of the speech band per sample.
            var rate = UInt32(AudioFrame.sampleRate)
            var direction: Int32 = 0
            try check(snd_pcm_hw_params_set_rate_near(pcm, params, &rate, &direction), "a sample rate near 16 kHz")
        }
        var periodMicroseconds = UInt32(clamping: periodTime.nanoseconds / 1000)
        var bufferMicroseconds = UInt32(clamping: bufferTime.nanoseconds / 1000)
        var direction: Int32 = 0
        try check(snd_pcm_hw_params_set_period_time_near(pcm, params, &periodMicroseconds, &direction), "a period time")
        try check(snd_pcm_hw_params_set_buffer_time_near(pcm, params, &bufferMicroseconds, &direction), "a buffer time")
        try check(snd_pcm_hw_params(pcm, params), "the hardware parameters (snd_pcm_hw_params)")

        var rate: UInt32 = 0
        var channels: UInt32 = 0
        var period: snd_pcm_uframes_t = 0
        try check(snd_pcm_hw_params_get_rate(params, &rate, &direction), "reading back the rate")
        try check(snd_pcm_hw_params_get_channels(params, &channels), "reading back the channels")
        try check(snd_pcm_hw_params_get_period_size(params, &period, &direction), "reading back the period")
        return CaptureFormat(rate: Int(rate), channels: Int(channels), periodFrames: Int(period))
    }
}
