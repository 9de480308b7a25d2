import Dispatch
import Synchronization

/// The bounded hand-over between a capture thread (one writer) and the consumer (one reader).
///
/// It holds at most `capacity` samples. When the consumer stalls and a write would overflow it,
/// the OLDEST samples are dropped and counted: a voice command is always in the newest audio, and
/// a capture thread must never wait for its consumer (the device would overrun instead).
/// Samples keep their stream indices, so after a drop the next frame read starts later than the
/// previous one ended.
///
/// A waiting reader parks on a semaphore (no spinning); the writer signals it only when a reader
/// is actually waiting. All state is behind one `Mutex`, held briefly by both sides.
final class SampleRingBuffer: Sendable {
    let capacity: Int
    private let state: Mutex<State>
    private let dataAvailable = DispatchSemaphore(value: 0)

    private struct State: ~Copyable {
        /// Stream index `i` lives at `storage[i % capacity]`; the held samples are the stream
        /// indices `written - count ..< written`.
        var storage: [Int16]
        /// Samples held, `0...capacity`.
        var count = 0
        /// Stream index of the next sample to be written.
        var written: Int64 = 0
        var dropped: Int64 = 0
        var closed = false
        var readerWaiting = false
    }

    init(capacity: Int) {
        precondition(capacity > 0, "a ring buffer needs room for at least one sample")
        self.capacity = capacity
        state = Mutex(State(storage: [Int16](repeating: 0, count: capacity)))
    }

    /// Appends `samples`, dropping the oldest held (and, when `samples` alone exceeds the
    /// capacity, the start of `samples`) as needed. Never blocks. Ignored once closed.
    func write(_ samples: UnsafeBufferPointer<Int16>) {
        guard !samples.isEmpty else { return }
        let wake = state.withLock { s -> Bool in
            guard !s.closed else { return false }
            let n = samples.count
            // Only the newest `capacity` samples of this write can survive.
            let kept = min(n, capacity)
            let newCount = min(s.count + n, capacity)
            s.dropped += Int64(s.count + n - newCount)
            var position = Int((s.written + Int64(n - kept)) % Int64(capacity))
            var source = n - kept
            while source < n {
                let run = min(n - source, capacity - position)
                s.storage.withUnsafeMutableBufferPointer { storage in
                    _ = UnsafeMutableBufferPointer(rebasing: storage[position..<position + run])
                        .initialize(from: UnsafeBufferPointer(rebasing: samples[source..<source + run]))
                }
                source += run
                position = (position + run) % capacity
            }
            s.written += Int64(n)
            s.count = newCount
            let wake = s.readerWaiting
            s.readerWaiting = false
            return wake
        }
        if wake { dataAvailable.signal() }
    }

    func write(_ samples: [Int16]) {
        samples.withUnsafeBufferPointer { write($0) }
    }

    /// The oldest `maxSamples` (or fewer) held samples as one frame, waiting until there is at
    /// least one; `nil` once closed and empty. With a `timeout`, also `nil` when it expires.
    func read(maxSamples: Int, timeout: Duration? = nil) -> AudioFrame? {
        precondition(maxSamples > 0, "read at least one sample")
        let deadline = timeout.map { DispatchTime.now() + .nanoseconds(Int($0.nanoseconds)) }
        while true {
            let frame = state.withLock { s -> AudioFrame?? in
                if s.count == 0 {
                    if s.closed { return .some(nil) }
                    s.readerWaiting = true
                    return nil
                }
                let n = min(maxSamples, s.count)
                let oldest = s.written - Int64(s.count)
                let start = Int(oldest % Int64(capacity))
                let firstRun = min(n, capacity - start)
                var samples = Array(s.storage[start..<start + firstRun])
                if firstRun < n { samples += s.storage[0..<n - firstRun] }
                let frame = AudioFrame(startIndex: oldest, samples: samples)
                s.count -= n
                return .some(frame)
            }
            if let frame { return frame }
            // A stale signal from an earlier timed-out wait only costs one more loop.
            if let deadline {
                if dataAvailable.wait(timeout: deadline) == .timedOut {
                    state.withLock { $0.readerWaiting = false }
                    return nil
                }
            } else {
                dataAvailable.wait()
            }
        }
    }

    /// Ends the stream: later writes are ignored; reads return what is held, then `nil`.
    func close() {
        let wake = state.withLock { s -> Bool in
            s.closed = true
            let wake = s.readerWaiting
            s.readerWaiting = false
            return wake
        }
        if wake { dataAvailable.signal() }
    }

    /// Samples written so far (the stream index of the next one) and samples dropped.
    var counters: (written: Int64, dropped: Int64) {
        state.withLock { ($0.written, $0.dropped) }
    }

    var heldCount: Int { state.withLock { $0.count } }
}

extension Duration {
    var nanoseconds: Int64 {
        let (seconds, attoseconds) = components
        return seconds * 1_000_000_000 + attoseconds / 1_000_000_000
    }

    var seconds: Double {
        let (seconds, attoseconds) = components
        return Double(seconds) + Double(attoseconds) * 1e-18
    }
}
