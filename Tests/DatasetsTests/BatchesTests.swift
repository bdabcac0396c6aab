import Engine
import XCTest
@testable import Datasets

final class BatchesTests: XCTestCase {
    /// Three 1×2×3 images whose pixels are 10·image + position.
    private let dataset = Dataset(images: (0..<3).flatMap { n in (0..<6).map { UInt8(10 * n + $0) } }, count: 3, channels: 1,
                                  height: 2, width: 3, labels: [0, 1, 0], classNames: ["a", "b"], split: .train,
                                  source: "t", flippable: true)

    private func batch(_ indices: [Int], flips: [Bool]? = nil) -> [Float] {
        var out = [Float](repeating: .nan, count: indices.count * 6)
        out.withUnsafeMutableBufferPointer { dataset.fillBatch(indices, into: $0, flips: flips) }
        return out
    }

    func testScalesToSignedRangeInIndexOrder() {
        let expected = ([20, 21, 22, 23, 24, 25] + [0, 1, 2, 3, 4, 5]).map { PixelScale.signed[$0] }
        XCTAssertEqual(batch([2, 0]), expected)
    }

    func testFlipReversesEachRow() {
        let expected = [12, 11, 10, 15, 14, 13].map { PixelScale.signed[$0] }
        XCTAssertEqual(batch([1], flips: [true]), expected)
    }

    /// One data-parallel rank's rows get the flips the whole batch draws for them.
    func testRowsOfARandomlyFlippedBatchAreThoseRowsOfTheWholeBatch() {
        let indices = (0..<40).map { $0 % 3 }
        var whole = Philox(seed: 8), part = Philox(seed: 8)
        let all = dataset.batch(indices, randomFlip: &whole).values
        let rows = dataset.batch(indices, rows: 10..<30, randomFlip: &part).values
        XCTAssertEqual(rows, Array(all[60..<180]))
        XCTAssertEqual(part, whole)
    }

    func testRandomFlipIsSeededAndOffForUnflippableData() {
        let indices = Array(repeating: 1, count: 64)
        func run(_ data: Dataset, seed: UInt64) -> [Float] {
            var rng = Philox(seed: seed)
            var out = [Float](repeating: 0, count: indices.count * 6)
            out.withUnsafeMutableBufferPointer { data.fillBatch(indices, into: $0, randomFlip: &rng) }
            return out
        }
        XCTAssertEqual(run(dataset, seed: 3), run(dataset, seed: 3))
        XCTAssertNotEqual(run(dataset, seed: 3), run(dataset, seed: 4))
        let flippedCount = stride(from: 0, to: 64 * 6, by: 6).filter { run(dataset, seed: 3)[$0] == PixelScale.signed[12] }.count
        XCTAssertGreaterThan(flippedCount, 16)
        XCTAssertLessThan(flippedCount, 48)
        var digits = dataset
        digits.flippable = false
        XCTAssertEqual(run(digits, seed: 3), batch(indices))
    }
}
