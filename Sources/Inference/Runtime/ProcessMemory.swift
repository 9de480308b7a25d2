#if canImport(Glibc)
import CMalloc
import Glibc
#endif

/// Resident memory of this process, from `/proc/self/status` (Linux): current (VmRSS) and peak
/// (VmHWM), in bytes. Both count mapped model pages once they have been touched.
public enum ProcessMemory {
    public static func residentBytes() -> Int? { statusField("VmRSS:") }
    public static func peakResidentBytes() -> Int? { statusField("VmHWM:") }

    /// Gives the allocator's free pages back to the system (glibc `malloc_trim(0)`, which also
    /// releases whole free pages inside its arenas). Loading a model and compiling grammars frees
    /// many megabytes of temporaries that would otherwise stay resident; call it after such work.
    /// Returns the resident bytes released (0 where unknown).
    @discardableResult
    public static func returnFreePages() -> Int {
        #if canImport(Glibc)
        let before = residentBytes() ?? 0
        _ = malloc_trim(0)
        return max(0, before - (residentBytes() ?? before))
        #else
        return 0
        #endif
    }

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
