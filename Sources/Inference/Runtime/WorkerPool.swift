import InferenceKernels
import Synchronization
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A fixed group of threads that run one data-parallel job at a time, the caller included.
///
/// A job is a number of chunks; every thread claims chunks from a shared counter until none are
/// left, and `run` returns once every chunk is done. The counter carries the job's number beside
/// the next chunk index, and a chunk is claimed by compare-and-swap only while the number is the
/// job the thread woke for: a worker descheduled mid-claim can never take (or count) a chunk of
/// the next job with the previous job's view, which once left a chunk claimed twice, the done
/// count one past the total, and the caller waiting for ever. A worker the OS has not scheduled yet
/// simply finds nothing left to claim, so on a busy 2-core hub a descheduled thread never holds
/// the others up for more than one chunk.
///
/// Waiting threads spin briefly (a forward pass issues a job every few microseconds) and then
/// park on a condition variable, so an idle daemon uses no CPU and a busy neighbour (speech
/// recognition) is not starved (DESIGN.md section 4: threads that wait must park).
/// `run` must not be called concurrently from several threads; the engine owns one pool.
public final class WorkerPool: @unchecked Sendable {
    public let threadCount: Int
    // The counters live on separate cache lines: workers poll `generation` while chunks are
    // claimed and finished, and sharing a line would make every claim a cross-core miss.
    private let generation = Atomic<Int>(0)
    private let padding1 = CacheLinePadding()
    /// `(job number << 32) | next chunk index`.
    private let claim = Atomic<Int>(0)
    private let padding2 = CacheLinePadding()
    private let finishedChunks = Atomic<Int>(0)
    private let padding3 = CacheLinePadding()
    private let stopping = Atomic<Bool>(false)
    private let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    private let wake = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)
    private let done = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)
    fileprivate var job: ((Int, Int) -> Void)?
    private var chunkCount = 0
    private var workers: [pthread_t] = []
    /// Spin iterations before parking: each an atomic load and a compiler barrier (no PAUSE, see
    /// `hk_cpu_relax`), about 0.1 ms in all here. 20k (10–15 us) was shorter than the gaps between
    /// a forward pass's jobs, and the worker parked and was woken by a futex ~12 times per model
    /// call: 200k cut futex calls over a bench run from 70k to 5k and the parse median by 10–25 %.
    private let spinLimit = 200_000

    public init(threads: Int) {
        threadCount = max(1, threads)
        pthread_mutex_init(mutex, nil)
        pthread_cond_init(wake, nil)
        pthread_cond_init(done, nil)
        for index in 1..<threadCount {
            let context = Unmanaged.passRetained(WorkerStart(pool: self, index: index)).toOpaque()
            var thread = pthread_t()
            let status = pthread_create(&thread, nil, { raw in
                let start = Unmanaged<WorkerStart>.fromOpaque(raw!).takeRetainedValue()
                start.pool.workerLoop(index: start.index)
                return nil
            }, context)
            precondition(status == 0, "pthread_create failed with \(status)")
            workers.append(thread)
        }
    }

    deinit {
        stopping.store(true, ordering: .sequentiallyConsistent)
        pthread_mutex_lock(mutex)
        generation.store((generation.load(ordering: .acquiring) + 1) & 0xFFFF_FFFF, ordering: .sequentiallyConsistent)
        pthread_cond_broadcast(wake)
        pthread_mutex_unlock(mutex)
        for thread in workers { pthread_join(thread, nil) }
        pthread_cond_destroy(wake)
        pthread_cond_destroy(done)
        pthread_mutex_destroy(mutex)
        mutex.deallocate()
        wake.deallocate()
        done.deallocate()
    }

    /// Runs `body(threadIndex, chunk)` for every chunk in `0..<chunks`, spread over the threads,
    /// and returns when all are done. `threadIndex` is in `0..<threadCount` (for per-thread scratch).
    /// The closure is escaping because a worker may release its copy a moment after the job
    /// is done; nothing it captures is touched after `run` returns.
    public func run(chunks: Int, _ body: @escaping (Int, Int) -> Void) {
        guard chunks > 0 else { return }
        if threadCount == 1 || chunks == 1 {
            for chunk in 0..<chunks { body(0, chunk) }
            return
        }
        do {
            let escapable = body
            let number = (generation.load(ordering: .acquiring) + 1) & 0xFFFF_FFFF
            job = escapable
            chunkCount = chunks
            finishedChunks.store(0, ordering: .sequentiallyConsistent)
            claim.store(number << 32, ordering: .sequentiallyConsistent)
            pthread_mutex_lock(mutex)
            generation.store(number, ordering: .sequentiallyConsistent)
            pthread_cond_broadcast(wake)
            pthread_mutex_unlock(mutex)

            while let chunk = claimChunk(of: number) {
                escapable(0, chunk)
                finished(chunks)
            }
            var spins = 0
            while finishedChunks.load(ordering: .acquiring) != chunks && spins < spinLimit {
                hk_cpu_relax()
                spins += 1
            }
            if finishedChunks.load(ordering: .acquiring) != chunks {
                pthread_mutex_lock(mutex)
                while finishedChunks.load(ordering: .acquiring) != chunks { pthread_cond_wait(done, mutex) }
                pthread_mutex_unlock(mutex)
            }
            // Close the counter before the next job changes `chunkCount`: a worker that read this
            // job's counter at its end could otherwise claim "chunk N" against the next job's larger
            // count. Every chunk is claimed and done, so nothing reaches the closure any more.
            claim.store((number << 32) | 0xFFFF_FFFF, ordering: .sequentiallyConsistent)
            job = nil
        }
    }

    /// Splits `0..<count` into chunks of about `granularity` (at least 4 per thread so that a
    /// preempted thread's share is small) and runs `body(threadIndex, range)` on each.
    public func parallelRanges(_ count: Int, granularity: Int = 1, _ body: @escaping (Int, Range<Int>) -> Void) {
        guard count > 0 else { return }
        let unit = max(granularity, 1)
        let units = (count + unit - 1) / unit
        let chunks = min(units, threadCount == 1 ? 1 : threadCount * 4)
        run(chunks: chunks) { thread, chunk in
            let lower = min(count, units * chunk / chunks * unit)
            let upper = min(count, units * (chunk + 1) / chunks * unit)
            if lower < upper { body(thread, lower..<upper) }
        }
    }

    /// The next chunk of job `number`, or nil when it has none left or is not the current job.
    private func claimChunk(of number: Int) -> Int? {
        var current = claim.load(ordering: .acquiring)
        while true {
            guard current >> 32 == number else { return nil }
            let index = current & 0xFFFF_FFFF
            // `chunkCount` is written before the counter names the job, and cannot change while
            // the job has chunks left (the next job waits for all of them).
            guard index < chunkCount else { return nil }
            let (exchanged, original) = claim.compareExchange(expected: current, desired: current + 1,
                                                              ordering: .acquiringAndReleasing)
            if exchanged { return index }
            current = original
        }
    }

    /// Counts one finished chunk and wakes the caller after the last.
    private func finished(_ chunks: Int) {
        if finishedChunks.add(1, ordering: .acquiringAndReleasing).newValue == chunks {
            pthread_mutex_lock(mutex)
            pthread_cond_signal(done)
            pthread_mutex_unlock(mutex)
        }
    }

    private func workerLoop(index: Int) {
        var seen = 0
        while true {
            var spins = 0
            while generation.load(ordering: .acquiring) == seen && spins < spinLimit {
                hk_cpu_relax()
                spins += 1
            }
            if generation.load(ordering: .acquiring) == seen {
                pthread_mutex_lock(mutex)
                while generation.load(ordering: .acquiring) == seen { pthread_cond_wait(wake, mutex) }
                pthread_mutex_unlock(mutex)
            }
            seen = generation.load(ordering: .acquiring)
            if stopping.load(ordering: .acquiring) { return }
            let chunks = chunkCount
            while let chunk = claimChunk(of: seen) {
                runJob(index: index, chunk: chunk)
                finished(chunks)
            }
        }
    }
}

extension WorkerPool {
    /// Calls the current job (kept out of line so that the caller's loop stays small).
    @inline(never)
    fileprivate func runJob(index: Int, chunk: Int) {
        job?(index, chunk)
    }
}

/// 120 bytes of nothing, to keep neighbouring stored properties on different cache lines.
private struct CacheLinePadding {
    let bytes: (Int, Int, Int, Int, Int, Int, Int, Int, Int, Int, Int, Int, Int, Int, Int) = (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
}

private final class WorkerStart {
    let pool: WorkerPool
    let index: Int
    init(pool: WorkerPool, index: Int) { self.pool = pool; self.index = index }
}
