import XCTest
@testable import Datasets

final class PixelScaleTests: XCTestCase {
    func testEndpointsAndMidpoint() {
        XCTAssertEqual(PixelScale.signed[0], -1)
        XCTAssertEqual(PixelScale.signed[255], 1)
        XCTAssertEqual(PixelScale.signed[128], Float(128) / 255 * 2 - 1)
    }

    func testByteInvertsSigned() {
        for b in 0...255 { XCTAssertEqual(PixelScale.byte(PixelScale.signed[b]), UInt8(b)) }
    }

    func testByteClampsAndHandlesNaN() {
        XCTAssertEqual(PixelScale.byte(-3), 0)
        XCTAssertEqual(PixelScale.byte(7), 255)
        XCTAssertEqual(PixelScale.byte(.nan), 0)
        XCTAssertEqual(PixelScale.byte(.infinity), 255)
    }
}
