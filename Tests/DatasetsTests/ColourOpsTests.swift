import XCTest
@testable import Datasets

final class ColourOpsTests: XCTestCase {
    private func run(_ values: [Float], _ op: (UnsafeMutableBufferPointer<Float>) -> Void) -> [Float] {
        var v = values
        v.withUnsafeMutableBufferPointer { op($0) }
        return v
    }

    func testBrightnessScalesAndClamps() {
        XCTAssertEqual(run([0.2, 0.6]) { ColourOps.brightness($0, factor: 2) }, [0.4, 1])
    }

    func testContrastBlendsWithMeanGray() {
        let out = run([0.2, 0.6]) { ColourOps.contrast($0, channels: 1, factor: 0.5) }
        XCTAssertEqual(out[0], 0.3, accuracy: 1e-6)
        XCTAssertEqual(out[1], 0.5, accuracy: 1e-6)
    }

    func testSaturationZeroIsGrayscale() {
        let rgb: [Float] = [1, 0.2, 0, 0.5, 0, 0.9]  // two pixels, planes r, g, b
        XCTAssertEqual(run(rgb) { ColourOps.saturation($0, factor: 0) }, run(rgb) { ColourOps.grayscale($0) })
    }

    func testHueRotationByAThirdTurnsRedToGreen() {
        let out = run([1, 0, 0]) { ColourOps.hue($0, shift: 1.0 / 3) }
        XCTAssertEqual(out[0], 0, accuracy: 1e-5)
        XCTAssertEqual(out[1], 1, accuracy: 1e-5)
        XCTAssertEqual(out[2], 0, accuracy: 1e-5)
        XCTAssertEqual(run([0.3, 0.3, 0.3]) { ColourOps.hue($0, shift: 0.2) }, [0.3, 0.3, 0.3])
        let full = run([0.9, 0.4, 0.1]) { ColourOps.hue($0, shift: 1) }
        for (a, b) in zip(full, [Float(0.9), 0.4, 0.1]) { XCTAssertEqual(a, b, accuracy: 1e-5) }
    }

    func testGaussianBlurKeepsConstantsAndSpreadsImpulse() {
        let scratch = UnsafeMutablePointer<Float>.allocate(capacity: 25)
        defer { scratch.deallocate() }
        let flat = run([Float](repeating: 0.4, count: 25)) {
            ColourOps.gaussianBlur($0, channels: 1, size: 5, kernel: 3, sigma: 1, scratch: scratch)
        }
        for v in flat { XCTAssertEqual(v, 0.4, accuracy: 1e-6) }
        var impulse = [Float](repeating: 0, count: 25)
        impulse[12] = 1
        let blurred = run(impulse) { ColourOps.gaussianBlur($0, channels: 1, size: 5, kernel: 3, sigma: 1, scratch: scratch) }
        let w = [exp(-0.5), 1, exp(-0.5)].map { Float($0) / Float(1 + 2 * exp(-0.5)) }
        XCTAssertEqual(blurred[12], w[1] * w[1], accuracy: 1e-6)
        XCTAssertEqual(blurred[7], w[0] * w[1], accuracy: 1e-6)
        XCTAssertEqual(blurred[6], w[0] * w[0], accuracy: 1e-6)
        XCTAssertEqual(blurred.reduce(0, +), 1, accuracy: 1e-5)
    }
}
