import XCTest
@testable import Engine

final class ReductionsTests: XCTestCase {
    /// Sums over `axes` of a [2, 3, 4] tensor by explicit loops.
    private func naiveSum(_ x: [Float], axes: Set<Int>) -> [Float] {
        let dims = [2, 3, 4]
        let kept = dims.enumerated().map { axes.contains($0.offset) ? 1 : $0.element }
        var out = [Float](repeating: 0, count: kept.reduce(1, *))
        for i in 0..<2 { for j in 0..<3 { for k in 0..<4 {
            let index = [i, j, k].enumerated().map { axes.contains($0.offset) ? 0 : $0.element }
            out[(index[0] * kept[1] + index[1]) * kept[2] + index[2]] += x[(i * 3 + j) * 4 + k]
        } } }
        return out
    }

    func testSumOverEveryAxisSubset() {
        let x = randomTensor([2, 3, 4], seed: 40)
        for axes: Set<Int> in [[], [0], [1], [2], [0, 1], [0, 2], [1, 2], [0, 1, 2]] {
            let got = x.sum(axes: Array(axes), keepDims: true)
            let expected = naiveSum(x.values, axes: axes)
            XCTAssertEqual(got.count, expected.count)
            for (g, e) in zip(got.values, expected) { XCTAssertEqual(g, e, accuracy: 1e-5, "axes \(axes)") }
        }
        XCTAssertEqual(x.sum(axes: [0, 2]).shape, [3])
        XCTAssertEqual(x.sum(axes: [-1], keepDims: true).shape, [2, 3, 1])
        XCTAssertEqual(x.sum().shape, [])
    }

    func testMeanAndLargeSum() {
        let ones = Tensor(shape: [300, 1000], repeating: 1)
        XCTAssertEqual(ones.sum().scalar, 300_000)
        XCTAssertEqual(ones.mean(axes: [1]).values, [Float](repeating: 1, count: 300))
        XCTAssertEqual(ones.sum(axes: [0]).values, [Float](repeating: 300, count: 1000))
        let x = Tensor(shape: [2, 2], values: [1, 2, 3, 6])
        XCTAssertEqual(x.mean().scalar, 3)
    }

    func testBroadcastBiasGradientPattern() {
        // The gradient of [N,C,H,W] + [1,C,1,1] sums over N, H and W.
        let g = randomTensor([4, 3, 5, 6], seed: 41)
        let got = g.summed(toShape: [1, 3, 1, 1]).values
        let values = g.values
        for c in 0..<3 {
            var expected: Float = 0
            for n in 0..<4 { for p in 0..<30 { expected += values[(n * 3 + c) * 30 + p] } }
            XCTAssertEqual(got[c], expected, accuracy: 1e-4)
        }
    }

    func testGradients() {
        let x = randomTensor([2, 3, 4], seed: 42)
        assertGradientsMatch([x], "sum") { x.sum() }
        assertGradientsMatch([x], "mean") { x.mean() }
        assertGradientsMatch([x], "sum axes [0,2]") { x.sum(axes: [0, 2]) }
        assertGradientsMatch([x], "mean axis 1 keepDims") { x.mean(axes: [1], keepDims: true) }
        assertGradientsMatch([x], "summed(toShape:)") { x.summed(toShape: [3, 1]) }
        let row = randomTensor([1, 4], seed: 43)
        assertGradientsMatch([row], "broadcasted(to:)") { row.broadcasted(to: [2, 3, 4]) }
    }
}
