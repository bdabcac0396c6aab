import XCTest
@testable import Evaluation

final class SampleGridTests: XCTestCase {
    func testQuantizationRoundsClipsAndMapsNaNToZero() {
        XCTAssertEqual(quantizeImages([-1, 1, 0, -2, 3, 0.00392, .nan, -0.5]), [0, 255, 128, 0, 255, 128, 0, 64])
    }

    func testImagesArePlacedRowMajorWithGapsAndLabels() throws {
        // Four 1-channel 2×2 images with constant values 10, 20, 30, 40 in two columns.
        let images: [UInt8] = [10, 10, 10, 10, 20, 20, 20, 20, 30, 30, 30, 30, 40, 40, 40, 40]
        let plain = try SampleGrid.make(images: images, count: 4, channels: 1, height: 2, width: 2, columns: 2)
        XCTAssertEqual(plain.height, 7)
        XCTAssertEqual(plain.width, 7)
        func pixel(_ g: GridImage, _ y: Int, _ x: Int) -> UInt8 { g.pixels[y * g.width + x] }
        XCTAssertEqual(pixel(plain, 0, 0), 128)
        XCTAssertEqual(pixel(plain, 1, 1), 10)
        XCTAssertEqual(pixel(plain, 2, 5), 20)
        XCTAssertEqual(pixel(plain, 4, 2), 30)
        XCTAssertEqual(pixel(plain, 5, 4), 40)
        XCTAssertEqual(pixel(plain, 3, 3), 128)

        let dark = [UInt8](repeating: 0, count: 4 * 6)
        let labelled = try SampleGrid.make(images: dark, count: 4, channels: 1, height: 6, width: 1,
                                           columns: 2, rowLabels: ["1", "7"])
        XCTAssertEqual(labelled.width, 4 + 2 + 2 * 2 + 1)
        // "1" is [2, 6, 2, 2, 7]: its top row lights only the middle pixel of the glyph at x = 2.
        XCTAssertEqual((0..<4).map { labelled.pixels[1 * labelled.width + 1 + $0] }, [128, 255, 128, 128])
        XCTAssertEqual((0..<3).map { labelled.pixels[5 * labelled.width + 1 + $0] }, [255, 255, 255])
    }

    func testRGBChannelsStayInTheirPlanes() throws {
        let image: [UInt8] = [1, 2, 3]  // one 3-channel 1×1 image
        let grid = try SampleGrid.make(images: image, count: 1, channels: 3, height: 1, width: 1, columns: 1)
        XCTAssertEqual(grid.pixels.count, 3 * 3 * 3)
        XCTAssertEqual([grid.pixels[4], grid.pixels[9 + 4], grid.pixels[18 + 4]], [1, 2, 3])
    }

    func testBadShapesAreErrors() {
        XCTAssertThrowsError(try SampleGrid.make(images: [0, 0], count: 1, channels: 1, height: 1, width: 1, columns: 1))
        XCTAssertThrowsError(try SampleGrid.make(images: [0], count: 1, channels: 2, height: 1, width: 1, columns: 1))
        XCTAssertThrowsError(try SampleGrid.make(images: [0, 0], count: 2, channels: 1, height: 1, width: 1, columns: 1, rowLabels: ["a"]))
    }
}
