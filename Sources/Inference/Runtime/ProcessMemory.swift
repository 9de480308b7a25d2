#if canImport(Glibc)
import Glibc
#endif

/// Resident memory of this process, from `/proc/self/status` (Linux): current (VmRSS) and peak
/// (VmHWM), in bytes. Both count mapped model pages once they have been touched.
public enum ProcessMemory {
    public static func residentBytes() -> Int? { statusField("VmRSS:") }
    public static func peakResidentBytes() -> Int? { statusField("VmHWM:") }

    private static func statusField(_ name: String) -> Int? {
        guard let file = fopen("/proc/self/status", "r") else { return nil }
        defer { fclose(file) }
        var line = [CChar](repeating: 0, count: 256)
        while fgets(&line, Int32(line.count), file) != nil {
            let bytes = line.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }
            let text = String(decoding: bytes, as: UTF8.self)
            guard text.hasPrefix(name) else { continue }
            let digits = text.dropFirst(name.count).filter { $0.isNumber }
            return Int(digits).map { $0 * 1024 }
        }
        return nil
    }
}
