import Foundation
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// A microphone for tests: a named pipe that ALSA's `file` plugin reads as `infile`, written in real
/// time (16 kHz mono S16_LE) by a thread of its own. Queued speech is written as it is due; between
/// utterances the pipe carries a microphone's noise floor, so the stream never ends and the reader
/// is paced as by a sound card (or `speed` times faster).
public final class PacedFIFO: Sendable {
    public let path: String
    /// Audio seconds written per wall-clock second.
    public let speed: Double
    private let queue = Mutex<[Int16]>([])
    private let stopped = Atomic<Bool>(false)
    private let finished = DispatchSemaphore(value: 0)
    /// Samples written so far.
    private let written = Atomic<Int>(0)

    /// Creates the pipe at `path` and starts the writer thread (which waits for a reader to open it).
    public init(path: String, speed: Double = 1) throws {
        self.path = path
        self.speed = speed
        guard mkfifo(path, 0o644) == 0 else { throw SynthesisError(command: "mkfifo \(path): \(String(cString: strerror(errno)))") }
        let thread = Thread { [self] in
            self.write()
            self.finished.signal()
        }
        thread.name = "paced fifo"
        thread.start()
    }

    /// Queues samples to be written after those already queued.
    public func say(_ samples: [Int16]) {
        queue.withLock { $0 += samples }
    }

    /// Seconds of queued audio not yet written.
    public var pendingSeconds: Double { Double(queue.withLock { $0.count }) / 16_000 }

    public var writtenSeconds: Double { Double(written.load(ordering: .relaxed)) / 16_000 }

    /// Stops writing and closes the pipe (the reader then sees end of file). Idempotent.
    public func stop() {
        guard !stopped.exchange(true, ordering: .sequentiallyConsistent) else { return }
        // A writer still waiting for a reader in open() is released by opening the read end once.
        let fd = open(path, O_RDONLY | O_NONBLOCK)
        finished.wait()
        if fd >= 0 { close(fd) }
        unlink(path)
    }

    private func write() {
        let fd = open(path, O_WRONLY)
        guard fd >= 0 else { return }
        defer { close(fd) }
        signal(SIGPIPE, SIG_IGN)
        let chunk = 320  // 20 ms
        var noise = SplitMix(seed: 7)
        let start = ContinuousClock.now
        var total = 0
        while !stopped.load(ordering: .sequentiallyConsistent) {
            var samples = queue.withLock { q -> [Int16] in
                let n = min(chunk, q.count)
                defer { q.removeFirst(n) }
                return Array(q.prefix(n))
            }
            while samples.count < chunk { samples.append(Int16(Int(noise.next() % 81) - 40)) }
            let bytes = Synthesizer.rawBytes(samples)
            let ok = bytes.withUnsafeBytes { raw -> Bool in
                var offset = 0
                while offset < raw.count {
                    let n = Glibc.write(fd, raw.baseAddress! + offset, raw.count - offset)
                    if n <= 0 { return false }
                    offset += n
                }
                return true
            }
            guard ok else { return }
            total += chunk
            written.store(total, ordering: .relaxed)
            let due = start + .microseconds(Int64(Double(total) * 1_000_000 / 16_000 / speed))
            let now = ContinuousClock.now
            if due > now { Thread.sleep(forTimeInterval: Double((due - now) / .microseconds(1)) / 1e6) }
        }
    }
}

/// SplitMix64, for the noise floor (no global random state).
private struct SplitMix {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
