import TestSupport
import XCTest
@testable import Engine

final class ArithmeticTests: XCTestCase {
    func testBroadcastForwardMatchesExplicitLoop() {
        let a = randomTensor([2, 3, 4], seed: 1)
        let b = randomTensor([3, 1], seed: 2)
        let sum = (a + b).values, product = (a * b).values, quotient = (a / (b + 3)).values
        let difference = (b - a).values
        let av = a.values, bv = b.values
        for i in 0..<2 { for j in 0..<3 { for k in 0..<4 {
            let index = i * 12 + j * 4 + k
            let x = av[index], y = bv[j]
            XCTAssertEqual(sum[index], x + y)
            XCTAssertEqual(product[index], x * y)
            XCTAssertEqual(quotient[index], x / (y + 3), accuracy: 1e-6)
            XCTAssertEqual(difference[index], y - x)
        } } }
        XCTAssertEqual((a + b).shape, [2, 3, 4])
    }

    func testChannelBiasBroadcast() {
        let x = randomTensor([2, 3, 4, 5], seed: 3)
        let bias = randomTensor([1, 3, 1, 1], seed: 4)
        let out = (x + bias).values, xv = x.values, bv = bias.values
        for n in 0..<2 { for c in 0..<3 { for p in 0..<20 {
            let index = (n * 3 + c) * 20 + p
            XCTAssertEqual(out[index], xv[index] + bv[c])
        } } }
    }

    func testBinaryGradientsWithBroadcasting() {
        let shapes: [([Int], [Int])] = [([3, 4], [3, 4]), ([2, 3, 4], [4]), ([2, 3, 4], [3, 1]),
                                        ([1, 3, 1, 2], [2, 1, 4, 1]), ([3], []), ([2, 3, 2, 2], [1, 3, 1, 1])]
        for (index, (shapeA, shapeB)) in shapes.enumerated() {
            let a = randomTensor(shapeA, seed: UInt64(10 + index))
            let b = randomTensor(shapeB, seed: UInt64(20 + index), low: 0.5, high: 2)
            assertGradientsMatch([a, b], "add \(shapeA) \(shapeB)") { a + b }
            assertGradientsMatch([a, b], "sub \(shapeA) \(shapeB)") { a - b }
            assertGradientsMatch([a, b], "mul \(shapeA) \(shapeB)") { a * b }
            assertGradientsMatch([a, b], "div \(shapeA) \(shapeB)", epsilon: 1e-3) { a / b }
        }
    }

    func testScalarOperandGradients() {
        let x = randomTensor([5], seed: 5, low: 0.5, high: 2)
        assertGradientsMatch([x], "x + 2") { x + 2 }
        assertGradientsMatch([x], "3 - x") { 3 - x }
        assertGradientsMatch([x], "x * 1.5") { x * 1.5 }
        assertGradientsMatch([x], "x / 4") { x / 4 }
        assertGradientsMatch([x], "2 / x", epsilon: 1e-3) { 2 / x }
        assertGradientsMatch([x], "-x") { -x }
    }

    func testScaledSumMatchesTheCompositeAndItsGradients() {
        let a = randomTensor([2, 3, 4], seed: 6), b = randomTensor([2, 3, 4], seed: 7)
        assertClose(scaledSum(a, b, scale: 0.7).values, ((a + b) * 0.7).values, tolerance: 1e-6, relative: true, "scaledSum")
        assertGradientsMatch([a, b], "scaledSum") { scaledSum(a, b, scale: 0.7) }
        assertGradientsMatch([a], "scaledSum of a tensor with itself") { scaledSum(a, a, scale: 0.7) }
    }

    func testFanOutAccumulatesGradients() {
        let x = Tensor(shape: [2], values: [1, 2])
        x.requiresGrad = true
        (x * x + x).sum().backward()
        XCTAssertEqual(x.grad?.values, [3, 5])
        // A second backward accumulates (+=) into the existing gradient.
        (x * 2).sum().backward()
        XCTAssertEqual(x.grad?.values, [5, 7])
    }

    func testSharedPassThroughGradientIsCopiedPerLeaf() {
        let a = Tensor(shape: [2], values: [1, 2]), b = Tensor(shape: [2], values: [3, 4])
        a.requiresGrad = true
        b.requiresGrad = true
        (a + b).sum().backward()
        a.grad!.withUnsafeMutableBufferPointer { $0[0] = 100 }
        XCTAssertEqual(b.grad?.values, [1, 1])
    }

    func testWithoutGradRecordsNothing() {
        let x = Tensor(shape: [2], values: [1, 2])
        x.requiresGrad = true
        let y = withoutGrad { x * 3 }
        XCTAssertNil(y.node)
        XCTAssertTrue(isGradEnabled)
    }
}
