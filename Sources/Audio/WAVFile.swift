import Foundation

/// The PCM contents of a RIFF/WAVE file: interleaved 16-bit samples with their rate and channel
/// count, as the file stores them.
///
/// Reads the layout Microsoft's RIFF specification gives: `RIFF` size `WAVE`, then chunks of a
/// 4-byte id, a little-endian 32-bit size and the data, each padded to an even length. `fmt `
/// holds the format tag, channels, sample rate, byte rate, block alignment and bits per sample;
/// tag 0xFFFE (WAVE_FORMAT_EXTENSIBLE) carries the real tag in the first two bytes of its
/// sub-format GUID at offset 24. Other chunks (`LIST`, `fact`, ...) are skipped. Only 16-bit
/// integer PCM is accepted; everything else is a specific `AudioError` naming the file.
struct WAVFile: Equatable {
    var sampleRate: Int
    var channels: Int
    /// Interleaved frames.
    var samples: [Int16]

    init(sampleRate: Int, channels: Int, samples: [Int16]) {
        self.sampleRate = sampleRate
        self.channels = channels
        self.samples = samples
    }

    init(contentsOf path: String) throws {
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            throw AudioError.fileUnreadable(path: path, reason: Self.reason(error))
        }
        try self.init(data: data, path: path)
    }

    init(data: Data, path: String) throws {
        let bytes = [UInt8](data)
        func u16(_ at: Int) -> Int { Int(bytes[at]) | Int(bytes[at + 1]) << 8 }
        func u32(_ at: Int) -> Int { u16(at) | u16(at + 2) << 16 }
        func fourCC(_ at: Int) -> String { String(decoding: bytes[at..<at + 4], as: UTF8.self) }

        guard bytes.count >= 12 else {
            throw bytes.count >= 4 && fourCC(0) == "RIFF"
                ? AudioError.truncated(path: path, detail: "\(bytes.count) bytes, shorter than the 12-byte RIFF header")
                : AudioError.notRIFFWave(path: path, detail: "\(bytes.count) bytes, no RIFF header")
        }
        guard fourCC(0) == "RIFF" else {
            throw AudioError.notRIFFWave(path: path, detail: "starts with \(Self.printable(bytes[0..<4])) instead of 'RIFF'")
        }
        guard fourCC(8) == "WAVE" else {
            throw AudioError.notRIFFWave(path: path, detail: "RIFF form type is \(Self.printable(bytes[8..<12])) instead of 'WAVE'")
        }

        var format: (tag: Int, channels: Int, rate: Int, blockAlign: Int, bits: Int)?
        var pcm: Range<Int>?
        var cutShort: String?
        var offset = 12
        while offset + 8 <= bytes.count {
            let id = fourCC(offset)
            let size = u32(offset + 4)
            let body = offset + 8
            let available = bytes.count - body
            switch id {
            case "fmt ":
                guard size >= 16 else {
                    throw AudioError.invalidWAV(path: path, detail: "'fmt ' chunk of \(size) bytes, at least 16 expected")
                }
                guard available >= 16 else {
                    throw AudioError.truncated(path: path, detail: "file ends inside the 'fmt ' chunk at byte \(bytes.count)")
                }
                var tag = u16(body)
                if tag == 0xFFFE {
                    guard size >= 40, available >= 40 else {
                        throw AudioError.invalidWAV(path: path, detail: "extensible 'fmt ' chunk of \(size) bytes, 40 expected")
                    }
                    tag = u16(body + 24)
                }
                format = (tag, u16(body + 2), u32(body + 4), u16(body + 12), u16(body + 14))
            case "data":
                guard size <= available else {
                    throw AudioError.truncated(
                        path: path, detail: "the 'data' chunk declares \(size) bytes but only \(available) follow")
                }
                pcm = body..<body + size
            default:
                break
            }
            guard size <= available else {
                cutShort = "the '\(id)' chunk declares \(size) bytes but only \(available) follow"
                break
            }
            offset = body + size + (size & 1)
        }

        if cutShort == nil, offset < bytes.count, offset + 8 > bytes.count {
            cutShort = "the file ends inside a chunk header at byte \(offset)"
        }
        guard let format else {
            if let cutShort { throw AudioError.truncated(path: path, detail: cutShort) }
            throw AudioError.invalidWAV(path: path, detail: "no 'fmt ' chunk")
        }
        guard format.tag == 1 else { throw AudioError.notPCM(path: path, formatTag: format.tag) }
        guard format.bits == 16 else { throw AudioError.unsupportedBitDepth(path: path, bits: format.bits) }
        guard format.channels > 0 else { throw AudioError.invalidWAV(path: path, detail: "0 channels") }
        guard format.rate > 0 else { throw AudioError.invalidWAV(path: path, detail: "sample rate 0") }
        guard format.blockAlign == 2 * format.channels else {
            throw AudioError.invalidWAV(
                path: path, detail: "block alignment \(format.blockAlign) for \(format.channels) channels of 16 bits, \(2 * format.channels) expected")
        }
        guard let pcm else {
            if let cutShort { throw AudioError.truncated(path: path, detail: cutShort) }
            throw AudioError.invalidWAV(path: path, detail: "no 'data' chunk")
        }
        guard pcm.count % format.blockAlign == 0 else {
            throw AudioError.truncated(
                path: path, detail: "the 'data' chunk holds \(pcm.count) bytes, not a whole number of \(format.blockAlign)-byte frames")
        }
        sampleRate = format.rate
        channels = format.channels
        samples = Self.int16LittleEndian(bytes[pcm])
    }

    /// The file's audio as 16 kHz mono (channels averaged, then resampled).
    var hark: [Int16] { FormatConverter.convertAll(samples, rate: sampleRate, channels: channels) }

    /// A canonical 44-byte-header WAVE file of these samples.
    var data: Data {
        var out = Data()
        func put32(_ v: Int) { out.append(contentsOf: (0..<4).map { UInt8(truncatingIfNeeded: v >> (8 * $0)) }) }
        func put16(_ v: Int) { out.append(contentsOf: (0..<2).map { UInt8(truncatingIfNeeded: v >> (8 * $0)) }) }
        let size = samples.count * 2
        out.append(contentsOf: Array("RIFF".utf8)); put32(36 + size); out.append(contentsOf: Array("WAVE".utf8))
        out.append(contentsOf: Array("fmt ".utf8)); put32(16); put16(1); put16(channels)
        put32(sampleRate); put32(sampleRate * channels * 2); put16(channels * 2); put16(16)
        out.append(contentsOf: Array("data".utf8)); put32(size)
        for s in samples { put16(Int(s)) }
        return out
    }

    static func int16LittleEndian(_ bytes: ArraySlice<UInt8>) -> [Int16] {
        var samples = [Int16](repeating: 0, count: bytes.count / 2)
        var i = bytes.startIndex
        for k in samples.indices {
            samples[k] = Int16(bitPattern: UInt16(bytes[i]) | UInt16(bytes[i + 1]) << 8)
            i += 2
        }
        return samples
    }

    static func printable(_ bytes: ArraySlice<UInt8>) -> String {
        let text = bytes.map { (0x20..<0x7F).contains($0) ? String(UnicodeScalar($0)) : "\\x" + String($0, radix: 16) }.joined()
        return "'\(text)'"
    }

    static func reason(_ error: Error) -> String {
        if let cocoa = error as? CocoaError, let underlying = cocoa.userInfo[NSUnderlyingErrorKey] as? NSError,
            underlying.domain == NSPOSIXErrorDomain
        {
            return String(cString: strerror(Int32(underlying.code)))
        }
        if let cocoa = error as? CocoaError, cocoa.code == .fileReadNoSuchFile { return "no such file" }
        return error.localizedDescription
    }
}
