import TestSupport
import XCTest
@testable import Engine

/// SiLU (the op, through autodiff), softmax, nearest upsampling and global average pooling against direct formulas.
final class KernelElementwiseTests: XCTestCase {
    func testSiLUForwardAndBackward() {
        // Long enough to be split over the workers, with extreme values at the ends.
        var x = KernelTestSupport.randomValues(70_001, seed: 5, low: -12, high: 12)
        x[0] = -200; x[1] = 200; x[x.count - 1] = -90
        let dy = KernelTestSupport.randomValues(x.count, seed: 6)
        let input = Tensor(shape: [x.count], values: x)
        input.requiresGrad = true
        let output = silu(input)
        (output * Tensor(shape: [x.count], values: dy)).sum().backward()
        let y = output.values, dx = input.grad!.values
        let sigmoid = { (v: Double) in 1 / (1 + Foundation.exp(-v)) }
        let expectedY = x.map { Float(Double($0) * sigmoid(Double($0))) }
        let expectedDx = zip(x, dy).map { v, g -> Float in
            let s = sigmoid(Double(v))
            return Float(Double(g) * s * (1 + Double(v) * (1 - s)))
        }
        assertClose(y, expectedY, tolerance: 1e-6, relative: true, "silu")
        assertClose(dx, expectedDx, tolerance: 1e-6, relative: true, "silu gradient")
    }

    func testSoftmaxRowsWithScale() {
        let rows = 5, columns = 37, scale: Float = 0.3
        var x = KernelTestSupport.randomValues(rows * columns, seed: 7, low: -20, high: 20)
        x[3] = 1000  // a huge logit must not overflow
        let dy = KernelTestSupport.randomValues(x.count, seed: 8)
        var y = [Float](repeating: .nan, count: x.count), dx = y
        y.withUnsafeMutableBufferPointer {
            SoftmaxKernels.forwardRows(input: x, output: $0.baseAddress!, rows: rows, columns: columns, scale: scale)
        }
        dx.withUnsafeMutableBufferPointer {
            SoftmaxKernels.backwardRows(output: y, outputGrad: dy, inputGrad: $0.baseAddress!, rows: rows, columns: columns, scale: scale)
        }
        var expectedY = [Float](), expectedDx = [Float]()
        for r in 0..<rows {
            let row = (0..<columns).map { Double(scale) * Double(x[r * columns + $0]) }
            let m = row.max()!, e = row.map { Foundation.exp($0 - m) }, total = e.reduce(0, +)
            let p = e.map { $0 / total }
            let dot = (0..<columns).reduce(0.0) { $0 + p[$1] * Double(dy[r * columns + $1]) }
            expectedY += p.map(Float.init)
            expectedDx += (0..<columns).map { Float(Double(scale) * p[$0] * (Double(dy[r * columns + $0]) - dot)) }
        }
        assertClose(y, expectedY, tolerance: 1e-6, relative: true, "softmax")
        assertClose(dx, expectedDx, tolerance: 1e-6, relative: true, "softmax gradient")
    }

    func testNearestUpsampleAndItsAdjoint() {
        let planes = 3, height = 2, width = 3
        let x = (0..<(planes * height * width)).map(Float.init)
        var y = [Float](repeating: .nan, count: 4 * x.count)
        y.withUnsafeMutableBufferPointer {
            UpsampleKernels.nearest2xForward(input: x, output: $0.baseAddress!, planes: planes, height: height, width: width)
        }
        for p in 0..<planes {
            for i in 0..<(2 * height) {
                for j in 0..<(2 * width) {
                    XCTAssertEqual(y[(p * 2 * height + i) * 2 * width + j], x[(p * height + i / 2) * width + j / 2])
                }
            }
        }
        let dy = KernelTestSupport.randomValues(y.count, seed: 11)
        var dx = [Float](repeating: .nan, count: x.count)
        dx.withUnsafeMutableBufferPointer {
            UpsampleKernels.nearest2xBackward(outputGrad: dy, inputGrad: $0.baseAddress!, planes: planes, height: height, width: width)
        }
        var expected = [Float](repeating: 0, count: x.count)
        for p in 0..<planes {
            for i in 0..<(2 * height) {
                for j in 0..<(2 * width) {
                    expected[(p * height + i / 2) * width + j / 2] += dy[(p * 2 * height + i) * 2 * width + j]
                }
            }
        }
        assertClose(dx, expected, tolerance: 1e-6, relative: true, "upsample gradient")
    }

    func testGlobalAveragePool() {
        let planes = 4, plane = 21
        let x = KernelTestSupport.randomValues(planes * plane, seed: 12)
        var y = [Float](repeating: .nan, count: planes)
        y.withUnsafeMutableBufferPointer { PoolKernels.globalAverageForward(input: x, output: $0.baseAddress!, planes: planes, plane: plane) }
        let expected = (0..<planes).map { p in x[(p * plane)..<((p + 1) * plane)].reduce(0, +) / Float(plane) }
        assertClose(y, expected, tolerance: 1e-6, relative: true, "pool")
        let dy: [Float] = [1, -2, 3, 4.2]
        var dx = [Float](repeating: .nan, count: x.count)
        dx.withUnsafeMutableBufferPointer {
            PoolKernels.globalAverageBackward(outputGrad: dy, inputGrad: $0.baseAddress!, planes: planes, plane: plane)
        }
        assertClose(dx, (0..<x.count).map { dy[$0 / plane] / Float(plane) }, tolerance: 1e-7, relative: true, "pool gradient")
    }

    func testTreeSumsOfSixteenVectorsAreTheTreeSumsBitForBit() {
        // Magnitudes from 1e-4 to 1e4 so that any other order of additions rounds differently.
        let values = KernelTestSupport.randomValues(256, seed: 11).enumerated().map { $1 * Float(pow(10, Double($0 % 9) - 4)) }
        let vectors = (0..<16).map { SIMD16<Float>(values[(16 * $0)..<(16 * $0 + 16)]) }
        let sums = VectorMath.treeSums { vectors[$0] }
        for k in 0..<16 { XCTAssertEqual(sums[k].bitPattern, VectorMath.treeSum(vectors[k]).bitPattern, "vector \(k)") }
        let inOrder = (0..<16).map { k in vectors[k].indices.reduce(Float(0)) { $0 + vectors[k][$1] } }
        XCTAssertNotEqual((0..<16).map { sums[$0] }, inOrder, "the data must tell summation orders apart")
    }

    func testTreeSumAddsEveryLane() {
        // Integers up to 2^24 add exactly in any order; random lanes agree with a Double sum to rounding.
        let integers = SIMD16<Float>((0..<16).map { Float($0 * $0) })
        XCTAssertEqual(VectorMath.treeSum(integers), Float((0..<16).map { $0 * $0 }.reduce(0, +)))
        let values = KernelTestSupport.randomValues(16, seed: 9)
        let exact = values.map(Double.init).reduce(0, +)
        XCTAssertEqual(Double(VectorMath.treeSum(SIMD16<Float>(values))), exact, accuracy: 1e-5 * values.map { abs(Double($0)) }.reduce(0, +))
    }
}
