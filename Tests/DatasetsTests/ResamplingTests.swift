import XCTest
@testable import Datasets

final class ResamplingTests: XCTestCase {
    private func apply(_ input: [Float], channels: Int = 1, height: Int, width: Int, rows: Resampling, cols: Resampling) -> [Float] {
        var out = [Float](repeating: .nan, count: channels * rows.outputSize * cols.outputSize)
        input.withUnsafeBufferPointer { src in
            out.withUnsafeMutableBufferPointer { dst in
                resample(src.baseAddress!, channels: channels, height: height, width: width, rows: rows, cols: cols, into: dst.baseAddress!)
            }
        }
        return out
    }

    func testIdentity() {
        let input = (0..<12).map(Float.init)
        let rows = Resampling(inputSize: 3, start: 0, length: 3, outputSize: 3)
        let cols = Resampling(inputSize: 4, start: 0, length: 4, outputSize: 4)
        XCTAssertEqual(apply(input, height: 3, width: 4, rows: rows, cols: cols), input)
    }

    func testAreaHalvingAveragesBlocks() {
        let input: [Float] = [0, 2, 4, 6,
                              8, 10, 12, 14]
        let rows = Resampling(inputSize: 2, start: 0, length: 2, outputSize: 1)
        let cols = Resampling(inputSize: 4, start: 0, length: 4, outputSize: 2)
        XCTAssertEqual(apply(input, height: 2, width: 4, rows: rows, cols: cols), [5, 9])
    }

    func testAreaWithFractionalCoverage() {
        // 3 → 2: output 0 covers [0, 1.5): (a + b/2) / 1.5.
        let cols = Resampling(inputSize: 3, start: 0, length: 3, outputSize: 2)
        let rows = Resampling(inputSize: 1, start: 0, length: 1, outputSize: 1)
        let out = apply([3, 6, 9], height: 1, width: 3, rows: rows, cols: cols)
        XCTAssertEqual(out[0], 4, accuracy: 1e-5)
        XCTAssertEqual(out[1], 8, accuracy: 1e-5)
    }

    func testBilinearDoublingUsesHalfPixelCentres() {
        // PyTorch F.interpolate([0, 4], size=4, mode="bilinear", align_corners=False) = [0, 1, 3, 4].
        let cols = Resampling(inputSize: 2, start: 0, length: 2, outputSize: 4)
        let rows = Resampling(inputSize: 1, start: 0, length: 1, outputSize: 1)
        XCTAssertEqual(apply([0, 4], height: 1, width: 2, rows: rows, cols: cols), [0, 1, 3, 4])
    }

    func testCropWindowOffsetsTheInput() {
        // Columns 1..<3 of a 4-wide row, unscaled.
        let cols = Resampling(inputSize: 4, start: 1, length: 2, outputSize: 2)
        let rows = Resampling(inputSize: 1, start: 0, length: 1, outputSize: 1)
        XCTAssertEqual(apply([10, 20, 30, 40], height: 1, width: 4, rows: rows, cols: cols), [20, 30])
    }

    func testSinglePixelInputsEnlarge() {
        let cols = Resampling(inputSize: 1, start: 0, length: 1, outputSize: 3)
        let rows = Resampling(inputSize: 1, start: 0, length: 1, outputSize: 2)
        XCTAssertEqual(apply([7], height: 1, width: 1, rows: rows, cols: cols), [7, 7, 7, 7, 7, 7])
    }

    func testWeightsSumToOne() {
        for (input, start, length, output) in [(28, 0.0, 28.0, 9), (28, 3.0, 11.0, 28), (5, 0.5, 4.0, 3), (7, 0.0, 7.0, 2)] {
            let r = Resampling(inputSize: input, start: start, length: length, outputSize: output)
            for o in 0..<output {
                let sum = r.weights[(o * r.taps)..<((o + 1) * r.taps)].reduce(0, +)
                XCTAssertEqual(sum, 1, accuracy: 1e-5)
                XCTAssertLessThanOrEqual(r.first[o] + r.taps, input)
            }
        }
    }

    func testShorterSideCentreCropOfTallImage() {
        // 6×2 (tall) to 2: shorter side already 2, keep rows 2..<4.
        let image: [UInt8] = [0, 1, 10, 11, 20, 21, 30, 31, 40, 41, 50, 51]
        var out = [UInt8](repeating: 0, count: 4)
        image.withUnsafeBufferPointer { src in
            out.withUnsafeMutableBufferPointer { dst in
                resizeAndCrop(src.baseAddress!, channels: 1, height: 6, width: 2, size: 2, into: dst.baseAddress!)
            }
        }
        XCTAssertEqual(out, [20, 21, 30, 31])
    }
}
