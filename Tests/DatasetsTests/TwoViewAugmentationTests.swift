import Engine
import XCTest
@testable import Datasets

final class TwoViewAugmentationTests: XCTestCase {
    private func dataset(channels: Int, side: Int = 16, count: Int = 6) -> Dataset {
        Dataset(images: Fixture.pixels(count: count, channels: channels, height: side, width: side), count: count,
                channels: channels, height: side, width: side, labels: nil, classNames: [], split: .train,
                source: "t", flippable: true)
    }

    private func views(_ data: Dataset, _ aug: TwoViewAugmentation, _ indices: [Int], seed: UInt64) -> ([Float], [Float]) {
        let n = indices.count * data.channels * aug.outputSize * aug.outputSize
        var a = [Float](repeating: .nan, count: n), b = [Float](repeating: .nan, count: n)
        var rng = Philox(seed: seed)
        a.withUnsafeMutableBufferPointer { va in
            b.withUnsafeMutableBufferPointer { vb in aug.fillTwoViews(of: data, indices, rng: &rng, view0: va, view1: vb) }
        }
        return (a, b)
    }

    func testScaledDefaults() {
        let small = TwoViewAugmentation(outputSize: 28)
        XCTAssertEqual(small.blurKernel, 3)
        XCTAssertEqual(small.blurSigmaMax, 0.25, accuracy: 1e-6)
        XCTAssertEqual(TwoViewAugmentation(outputSize: 224).blurKernel, 23)
        XCTAssertEqual(TwoViewAugmentation(outputSize: 64).blurKernel, 7)
    }

    func testSameSeedSameViewsWhateverTheThreadCount() {
        for channels in [1, 3] {
            let data = dataset(channels: channels)
            let aug = TwoViewAugmentation(outputSize: 12)
            let saved = Parallel.threads
            Parallel.threads = 1
            let serial = views(data, aug, [0, 3, 3, 5], seed: 11)
            Parallel.threads = 2
            let parallel = views(data, aug, [0, 3, 3, 5], seed: 11)
            Parallel.threads = saved
            XCTAssertEqual(serial.0, parallel.0)
            XCTAssertEqual(serial.1, parallel.1)
            XCTAssertTrue(serial.0.allSatisfy { $0 >= -1 && $0 <= 1 })
        }
    }

    /// One data-parallel rank's rows are those rows of the whole batch's views.
    func testRowsOfTheViewsAreThoseRowsOfTheWholeBatchsViews() {
        let data = dataset(channels: 3)
        let aug = TwoViewAugmentation(outputSize: 12)
        let indices = [0, 3, 5, 1, 2, 4, 0, 5]
        var whole = Philox(seed: 2), part = Philox(seed: 2)
        let (a0, a1) = aug.views(of: data, indices, rng: &whole)
        let (b0, b1) = aug.views(of: data, indices, rows: 3..<7, rng: &part)
        XCTAssertEqual(b0.values, a0.sliced(axis: 0, range: 3..<7).values)
        XCTAssertEqual(b1.values, a1.sliced(axis: 0, range: 3..<7).values)
        XCTAssertEqual(part, whole)
    }

    func testViewsDiffer() {
        let data = dataset(channels: 3)
        let aug = TwoViewAugmentation(outputSize: 16)
        let (a, b) = views(data, aug, [1, 1], seed: 2)
        let size = 3 * 16 * 16
        XCTAssertNotEqual(a, b, "the two views of a batch differ")
        XCTAssertNotEqual(Array(a[0..<size]), Array(a[size...]), "the same image twice in a batch gets different views")
        XCTAssertNotEqual(views(data, aug, [1, 1], seed: 3).0, a, "another seed, other views")
    }

    func testIdentityConfigurationReproducesTheImage() {
        // No crop, flip, jitter, gray or blur: the view is the image in [-1, 1].
        let data = dataset(channels: 3, side: 8, count: 1)
        var aug = TwoViewAugmentation(outputSize: 8)
        aug.cropScaleMin = 1; aug.cropRatioMin = 1; aug.cropRatioMax = 1
        aug.flipProbability = 0; aug.jitterProbability = 0; aug.grayscaleProbability = 0; aug.blurSigmaMax = 0; aug.blurSigmaMin = 0
        let (a, b) = views(data, aug, [0], seed: 1)
        let expected = data.images.map { Float($0) / 255 * 2 - 1 }
        for (x, y) in zip(a, expected) { XCTAssertEqual(x, y, accuracy: 1e-6) }
        XCTAssertEqual(a, b)
    }

    func testCropBoxFitsAndFallsBackToCentre() {
        var aug = TwoViewAugmentation(outputSize: 10)
        var rng = Philox(seed: 4)
        for _ in 0..<200 {
            let box = aug.cropBox(height: 10, width: 20, rng: &rng)
            XCTAssertTrue(box.top >= 0 && box.left >= 0 && box.top + box.height <= 10 && box.left + box.width <= 20)
        }
        // A ratio no box can satisfy: the fallback crop clamps to the allowed ratio, centred.
        aug.cropScaleMin = 1; aug.cropScaleMax = 1; aug.cropRatioMin = 1; aug.cropRatioMax = 1
        let box = aug.cropBox(height: 10, width: 20, rng: &rng)
        XCTAssertEqual([box.top, box.left, box.height, box.width], [0, 5, 10, 10])
    }
}
