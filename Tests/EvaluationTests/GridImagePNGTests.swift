import XCTest
@testable import Evaluation

final class GridImagePNGTests: XCTestCase {
    func testInterleavesChannelsAndEncodesAPNGOfTheGridSize() throws {
        let grid = GridImage(channels: 3, height: 1, width: 2, pixels: [1, 2, 10, 20, 100, 200])
        XCTAssertEqual(grid.interleavedPixels, [1, 10, 100, 2, 20, 200])
        let png = try grid.png()
        XCTAssertEqual(Array(png.prefix(8)), [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A])
        // IHDR: width and height big-endian at bytes 16..<24.
        XCTAssertEqual(Array(png[16..<24]), [0, 0, 0, 2, 0, 0, 0, 1])
    }
}
