import Audio
import XCTest

final class NoiseFloorTests: XCTestCase {
    func testDigitalSilenceGetsANoiseFloorAndSoundPassesUnchanged() {
        var floor = NoiseFloor()
        let silence = [Int16](repeating: 0, count: 480)
        let filled = floor.fill(silence)
        XCTAssertTrue(filled.allSatisfy { abs(Int($0)) <= 40 })
        XCTAssertGreaterThan(Set(filled).count, 40, "noise, not a constant")
        XCTAssertGreaterThan(filled.map { abs(Int($0)) }.max()!, 32)
        // A block holding anything louder than the quiet peak is left alone, even if it is mostly zeros.
        var click = [Int16](repeating: 0, count: 160)
        click[80] = 33
        XCTAssertEqual(floor.fill(click), click)
        // A microphone's own noise (uniform ±40) is louder than digital silence: unchanged.
        var generator = SystemRandomNumberGenerator()
        let hiss = (0..<1600).map { _ in Int16.random(in: -40...40, using: &generator) }
        XCTAssertEqual(floor.fill(hiss), hiss)
        // Blocks are judged one by one: silence then speech keeps the speech as it was.
        let speech = (0..<160).map { Int16(2000 * sin(Double($0) / 5)) }
        let mixed = floor.fill(silence.prefix(160) + speech)
        XCTAssertEqual(Array(mixed.suffix(160)), speech)
        XCTAssertNotEqual(Array(mixed.prefix(160)), Array(silence.prefix(160)))
    }

    func testTheSameAudioGetsTheSameNoise() {
        var a = NoiseFloor(), b = NoiseFloor()
        let silence = [Int16](repeating: 0, count: 1000)
        XCTAssertEqual(a.fill(silence), b.fill(silence))
        var c = NoiseFloor(seed: 7)
        XCTAssertNotEqual(a.fill(silence), c.fill(silence), "another seed, other noise")
    }
}
