import Foundation
@testable import Inference
import Synchronization
import XCTest

/// Every chunk of every job runs exactly once, and `run` returns, however the threads are
/// scheduled: many tiny jobs with varying chunk counts and threads that yield or sleep mid-chunk
/// (the interleavings that once let a late worker take a chunk of the next job with the previous
/// job's view, count it twice and leave the caller waiting for ever).
final class WorkerPoolTests: XCTestCase {
    func testEveryChunkRunsOnceAcrossManyJobsAndAwkwardScheduling() {
        for threads in [2, 3, 4] {
            let pool = WorkerPool(threads: threads)
            let counts = Mutex([Int](repeating: 0, count: 64))
            var rng = SystemRandomNumberGenerator()
            for job in 0..<20_000 {
                let chunks = Int.random(in: 1...12, using: &rng)
                counts.withLock { for i in 0..<chunks { $0[i] = 0 } }
                let pause = job % 97 == 0
                pool.run(chunks: chunks) { thread, chunk in
                    if pause && thread != 0 { usleep(200) } else if chunk % 5 == 4 { sched_yield() }
                    counts.withLock { $0[chunk] += 1 }
                }
                let seen = counts.withLock { Array($0[0..<chunks]) }
                XCTAssertEqual(seen, [Int](repeating: 1, count: chunks), "job \(job) with \(threads) threads")
                if seen != [Int](repeating: 1, count: chunks) { return }
            }
        }
    }
}
