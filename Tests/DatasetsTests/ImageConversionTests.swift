import XCTest
@testable import Datasets

final class ImageConversionTests: XCTestCase {
    private func dataset(_ images: [UInt8], channels: Int, side: Int) -> Dataset {
        Dataset(images: images, count: images.count / (channels * side * side), channels: channels, height: side, width: side,
                labels: nil, classNames: [], split: .train, source: "test", flippable: true)
    }

    func testRGBToGrayUsesPILLuma() {
        // One 1×2 RGB image: pure red and pure white.
        let rgb = Dataset(images: [255, 255, 0, 255, 0, 255], count: 1, channels: 3, height: 1, width: 2, labels: nil,
                          classNames: [], split: .train, source: "t", flippable: true)
        XCTAssertEqual(rgb.convertingChannels(to: 1).images, [76, 255])
    }

    func testGrayToRGBRepeatsThePlane() {
        let gray = dataset([1, 2, 3, 4, 5, 6, 7, 8], channels: 1, side: 2)
        let rgb = gray.convertingChannels(to: 3)
        XCTAssertEqual(rgb.channels, 3)
        XCTAssertEqual(rgb.images, [1, 2, 3, 4, 1, 2, 3, 4, 1, 2, 3, 4, 5, 6, 7, 8, 5, 6, 7, 8, 5, 6, 7, 8])
        XCTAssertEqual(rgb.convertingChannels(to: 1).images, gray.images)
    }

    func testResizeEveryImage() {
        let d = dataset([0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30,
                         1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1], channels: 1, side: 4)
        let small = d.resized(to: 2)
        XCTAssertEqual([small.count, small.height, small.width], [2, 2, 2])
        XCTAssertEqual(small.images, [5, 9, 21, 25, 1, 1, 1, 1])
        XCTAssertEqual(d.resized(to: 4), d)
    }

    func testSelectingAndSubset() {
        let d = Dataset(images: Array(0..<10), count: 10, channels: 1, height: 1, width: 1, labels: Array(0..<10).map { $0 % 3 },
                        classNames: ["a", "b", "c"], split: .test, source: "t", flippable: false)
        let picked = d.selecting([9, 0, 4])
        XCTAssertEqual(picked.images, [9, 0, 4])
        XCTAssertEqual(picked.labels, [0, 0, 1])
        let subset = d.subset(size: 4, seed: 7)
        XCTAssertEqual(subset.count, 4)
        XCTAssertEqual(subset, d.subset(size: 4, seed: 7), "same seed, same subset")
        XCTAssertEqual(subset.images, subset.images.sorted(), "kept in source order")
        XCTAssertEqual(Set(subset.images).count, 4)
        XCTAssertNotEqual((0..<8).map { d.subset(size: 4, seed: UInt64($0)).images }.count { $0 == subset.images }, 8)
    }
}
