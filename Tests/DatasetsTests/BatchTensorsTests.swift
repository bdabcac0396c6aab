import Engine
import XCTest
@testable import Datasets

final class BatchTensorsTests: XCTestCase {
    private let dataset = Dataset(images: Fixture.pixels(count: 4, channels: 3, height: 6, width: 6), count: 4, channels: 3,
                                  height: 6, width: 6, labels: [0, 1, 0, 1], classNames: ["a", "b"], split: .train,
                                  source: "t", flippable: true)

    func testBatchTensorMatchesTheBufferFill() {
        let tensor = dataset.batch([3, 1])
        XCTAssertEqual(tensor.shape, [2, 3, 6, 6])
        var expected = [Float](repeating: 0, count: 2 * 108)
        expected.withUnsafeMutableBufferPointer { dataset.fillBatch([3, 1], into: $0) }
        XCTAssertEqual(tensor.values, expected)
    }

    func testFlippedBatchIsSeeded() {
        var a = Philox(seed: 9), b = Philox(seed: 9)
        XCTAssertEqual(dataset.batch([0, 1, 2, 3], randomFlip: &a).values, dataset.batch([0, 1, 2, 3], randomFlip: &b).values)
        XCTAssertEqual(a, b, "both generators advanced alike")
    }

    func testViewsHaveTheAugmentationSize() {
        var rng = Philox(seed: 1)
        let (v0, v1) = TwoViewAugmentation(outputSize: 4).views(of: dataset, [0, 2, 3], rng: &rng)
        XCTAssertEqual(v0.shape, [3, 3, 4, 4])
        XCTAssertEqual(v1.shape, [3, 3, 4, 4])
        XCTAssertNotEqual(v0.values, v1.values)
        var again = Philox(seed: 1)
        XCTAssertEqual(TwoViewAugmentation(outputSize: 4).views(of: dataset, [0, 2, 3], rng: &again).0.values, v0.values)
    }
}
