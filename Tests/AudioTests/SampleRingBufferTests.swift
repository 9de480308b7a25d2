import Foundation
import XCTest
import Synchronization

@testable import Audio

/// The hand-over between the capture thread and a consumer: order, indices, drops, wake-ups.
final class SampleRingBufferTests: XCTestCase {
    func testFramesComeOutInOrderWithTheirStreamIndicesAcrossTheWrapAround() {
        let ring = SampleRingBuffer(capacity: 10)
        ring.write((0..<7).map { Int16($0) })
        XCTAssertEqual(ring.read(maxSamples: 5), AudioFrame(startIndex: 0, samples: [0, 1, 2, 3, 4]))
        ring.write((7..<15).map { Int16($0) })  // wraps past the end of the storage
        XCTAssertEqual(ring.read(maxSamples: 100), AudioFrame(startIndex: 5, samples: (5..<15).map { Int16($0) }))
        XCTAssertEqual(ring.counters.written, 15)
        XCTAssertEqual(ring.counters.dropped, 0)
    }

    func testAStalledConsumerLosesTheOldestSamplesCountedAndKeepsTheNewest() {
        let ring = SampleRingBuffer(capacity: 1000)
        // 25 periods of 160 while nobody reads.
        for period in 0..<25 {
            ring.write((0..<160).map { Int16(period * 160 + $0) })
        }
        XCTAssertEqual(ring.counters.written, 4000)
        XCTAssertEqual(ring.counters.dropped, 3000)
        XCTAssertEqual(ring.heldCount, 1000)
        let frame = ring.read(maxSamples: 5000)
        XCTAssertEqual(frame?.startIndex, 3000)
        XCTAssertEqual(frame?.samples, (3000..<4000).map { Int16($0) })
        // One write larger than the whole buffer keeps its own newest part.
        ring.write((0..<2500).map { Int16($0) })
        XCTAssertEqual(ring.counters.dropped, 4500)
        let big = ring.read(maxSamples: 5000)
        XCTAssertEqual(big?.startIndex, 5500)
        XCTAssertEqual(big?.samples, (1500..<2500).map { Int16($0) })
    }

    func testAWaitingReaderWakesForDataAndEndsAfterClose() throws {
        let ring = SampleRingBuffer(capacity: 100)
        let received = Mutex<[AudioFrame?]>([])
        let done = DispatchSemaphore(value: 0)
        Thread {
            for _ in 0..<3 {
                let frame = ring.read(maxSamples: 100)
                received.withLock { $0.append(frame) }
            }
            done.signal()
        }.start()
        Thread.sleep(forTimeInterval: 0.05)
        XCTAssertEqual(received.withLock { $0.count }, 0, "the reader must wait while the buffer is empty")
        ring.write([1, 2, 3])
        try waitUntil("the first frame") { received.withLock { $0.count } == 1 }
        ring.write([4])
        ring.close()
        ring.write([5])  // ignored after close
        XCTAssertEqual(done.wait(timeout: .now() + 5), .success)
        XCTAssertEqual(received.withLock { $0 }, [AudioFrame(startIndex: 0, samples: [1, 2, 3]), AudioFrame(startIndex: 3, samples: [4]), nil])
    }

    func testReadWithATimeoutReturnsNilWhenNothingArrives() {
        let ring = SampleRingBuffer(capacity: 100)
        let began = ContinuousClock.now
        XCTAssertNil(ring.read(maxSamples: 10, timeout: .milliseconds(50)))
        XCTAssertGreaterThanOrEqual(ContinuousClock.now - began, .milliseconds(45))
        ring.write([7])
        XCTAssertEqual(ring.read(maxSamples: 10, timeout: .milliseconds(50)), AudioFrame(startIndex: 0, samples: [7]))
    }
}
