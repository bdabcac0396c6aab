import TestSupport
import XCTest
@testable import Engine

/// The differentiable NNOps: gradients by central differences (the Engine's gradient check), forward
/// values against composites of core ops where one exists, and dropout's mask semantics.
final class NNOpsTests: XCTestCase {
    func testConv2dGradients() {
        for (stride, padding, kernel) in [(1, 1, 3), (1, 0, 3), (1, 2, 3), (1, 2, 5), (2, 1, 3), (1, 0, 1), (2, 0, 2)] {
            let x = randomTensor([2, 3, 5, 6], seed: 1), w = randomTensor([4, 3, kernel, kernel], seed: 2)
            let b = randomTensor([4], seed: 3)
            assertGradientsMatch([x, w, b], "conv2d stride \(stride) padding \(padding) kernel \(kernel)") {
                conv2d(x, weight: w, bias: b, stride: stride, padding: padding)
            }
        }
        let x = randomTensor([1, 2, 4, 4], seed: 4), w = randomTensor([3, 2, 3, 3], seed: 5)
        assertGradientsMatch([x, w], "conv2d without bias") { conv2d(x, weight: w, bias: nil, padding: 1) }
    }

    func testConv2dShapeAndUntrackedInputGetsNoGradient() {
        let x = randomTensor([2, 3, 7, 7], seed: 6), w = randomTensor([5, 3, 3, 3], seed: 7)
        w.requiresGrad = true
        let y = conv2d(x, weight: w, bias: nil, stride: 2, padding: 1)
        XCTAssertEqual(y.shape, [2, 5, 4, 4])
        y.sum().backward()
        XCTAssertNil(x.grad)
        XCTAssertEqual(w.grad?.shape, [5, 3, 3, 3])
    }

    func testGroupNormGradients() {
        let x = randomTensor([2, 6, 3, 4], seed: 8, low: -2, high: 2)
        let weight = randomTensor([6], seed: 9, low: 0.5, high: 1.5), bias = randomTensor([6], seed: 10)
        assertGradientsMatch([x, weight, bias], "groupNorm", epsilon: 1e-2, tolerance: 5e-3) {
            groupNorm(x, groups: 3, weight: weight, bias: bias, eps: 1e-5)
        }
    }

    func testGroupNormSiLUMatchesTheCompositeAndItsGradients() {
        let x = randomTensor([2, 4, 3, 3], seed: 19, low: -2, high: 2)
        let weight = randomTensor([4], seed: 20, low: 0.5, high: 1.5), bias = randomTensor([4], seed: 21)
        let fused = groupNormSiLU(x, groups: 2, weight: weight, bias: bias, eps: 1e-5)
        let composite = silu(groupNorm(x, groups: 2, weight: weight, bias: bias, eps: 1e-5))
        assertClose(fused.values, composite.values, tolerance: 1e-5, relative: true, "groupNormSiLU forward")
        assertGradientsMatch([x, weight, bias], "groupNormSiLU", epsilon: 1e-2, tolerance: 5e-3) {
            groupNormSiLU(x, groups: 2, weight: weight, bias: bias, eps: 1e-5)
        }
    }

    func testGroupNormNormalisesEachGroup() {
        let x = randomTensor([2, 4, 5], seed: 11, low: 3, high: 9)
        let y = groupNorm(x, groups: 2, weight: Tensor(shape: [4], repeating: 1), bias: Tensor.zeros([4]), eps: 0).values
        for group in 0..<4 {
            let slice = y[(group * 10)..<((group + 1) * 10)]
            let mean = slice.reduce(0, +) / 10
            let variance = slice.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / 10
            XCTAssertEqual(mean, 0, accuracy: 1e-5)
            XCTAssertEqual(variance, 1, accuracy: 1e-4)
        }
    }

    func testUpsampleAndPoolGradients() {
        let x = randomTensor([2, 3, 3, 2], seed: 12)
        XCTAssertEqual(upsampleNearest2x(x).shape, [2, 3, 6, 4])
        assertGradientsMatch([x], "upsampleNearest2x") { upsampleNearest2x(x) }
        XCTAssertEqual(globalAvgPool(x).shape, [2, 3])
        assertGradientsMatch([x], "globalAvgPool") { globalAvgPool(x) }
    }

    func testAttentionMatchesTheCompositeAndItsGradients() {
        let (q, k, v) = (randomTensor([2, 5, 3], seed: 13), randomTensor([2, 5, 3], seed: 14), randomTensor([2, 5, 3], seed: 15))
        let composite = { matmul((matmul(q, k, transposeB: true) * (1 / Float(3).squareRoot())).softmax(axis: 2), v) }
        let fused = scaledDotProductAttention(q: q, k: k, v: v)
        assertClose(fused.values, composite().values, tolerance: 1e-5, relative: true, "attention forward")
        assertGradientsMatch([q, k, v], "scaledDotProductAttention") { scaledDotProductAttention(q: q, k: k, v: v) }
    }

    func testDropoutInsideBatchRowsKeepsThoseRowsOfTheWholeBatchMask() {
        let x = Tensor.normal([6, 3, 5], rng: &Self.dropoutData)
        var whole = Philox(seed: 21)
        let all = dropout(x, p: 0.4, rng: &whole, training: true).values
        var part = Philox(seed: 21)
        let rows = withBatchRows(2..<5, of: 6) { dropout(x.sliced(axis: 0, range: 2..<5), p: 0.4, rng: &part, training: true) }
        XCTAssertEqual(rows.values, Array(all[30..<75]))
        XCTAssertEqual(part, whole, "the whole batch's draws")
    }

    private static var dropoutData = Philox(seed: 5)

    func testDropoutMaskScaleAndDeterminism() {
        let x = Tensor(shape: [100_000], repeating: 2)
        var rng = Philox(seed: 16)
        let y = dropout(x, p: 0.25, rng: &rng, training: true).values
        let zeros = y.filter { $0 == 0 }.count
        XCTAssertEqual(Double(zeros) / Double(y.count), 0.25, accuracy: 0.01)
        XCTAssertTrue(y.allSatisfy { $0 == 0 || abs($0 - 2 / 0.75) < 1e-6 })
        var again = Philox(seed: 16)
        XCTAssertEqual(dropout(x, p: 0.25, rng: &again, training: true).values, y)
        XCTAssertEqual(again, rng, "the same number of draws")

        var untouched = Philox(seed: 16)
        XCTAssertTrue(dropout(x, p: 0.25, rng: &untouched, training: false) === x)
        XCTAssertEqual(untouched, Philox(seed: 16), "evaluation draws nothing")
    }

    func testDropoutGradientUsesTheSameMask() {
        let x = randomTensor([3, 8], seed: 17)
        assertGradientsMatch([x], "dropout") {
            var rng = Philox(seed: 18)
            return dropout(x, p: 0.4, rng: &rng, training: true)
        }
    }
}
