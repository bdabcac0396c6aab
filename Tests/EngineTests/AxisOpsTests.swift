import XCTest
@testable import Engine

final class AxisOpsTests: XCTestCase {
    func testMaxValuesAndGradientGoesToFirstArgmax() {
        let x = Tensor(shape: [2, 3], values: [1, 5, 5, 7, 2, 3])
        x.requiresGrad = true
        let m = x.max(axis: 1)
        XCTAssertEqual(m.values, [5, 7])
        m.sum().backward()
        XCTAssertEqual(x.grad?.values, [0, 1, 0, 1, 0, 0])
        XCTAssertEqual(x.max(axis: 0, keepDims: true).values, [7, 5, 5])
        XCTAssertEqual(x.max(axis: 0, keepDims: true).shape, [1, 3])
    }

    func testSoftmaxFamilyMatchesDefinitionOnEveryAxis() {
        let x = randomTensor([2, 3, 4], seed: 50, low: -3, high: 3)
        let values = x.values
        for axis in 0..<3 {
            let softmax = x.softmax(axis: axis).values
            let logSoftmax = x.logSoftmax(axis: axis).values
            let lse = x.logSumExp(axis: axis, keepDims: true).values
            let strides = [12, 4, 1], dims = [2, 3, 4]
            for index in 0..<24 {
                let position = (index / strides[axis]) % dims[axis]
                let start = index - position * strides[axis]
                let slice = (0..<dims[axis]).map { Double(values[start + $0 * strides[axis]]) }
                let reference = Foundation.log(slice.map { Foundation.exp($0) }.reduce(0, +))
                let reducedIndex = (index / (strides[axis] * dims[axis])) * strides[axis] + index % strides[axis]
                XCTAssertEqual(Double(lse[reducedIndex]), reference, accuracy: 1e-5)
                XCTAssertEqual(Double(logSoftmax[index]), Double(values[index]) - reference, accuracy: 1e-5)
                XCTAssertEqual(Double(softmax[index]), Foundation.exp(Double(values[index]) - reference), accuracy: 1e-6)
            }
        }
    }

    func testLogSumExpIsStableForLargeInputs() {
        let x = Tensor(shape: [1, 3], values: [1000, 1000, -Float.infinity])
        XCTAssertEqual(x.logSumExp(axis: 1).scalar, 1000 + Foundation.log(2), accuracy: 1e-3)
        let allNegativeInfinity = Tensor(shape: [2], repeating: -.infinity)
        XCTAssertEqual(allNegativeInfinity.logSumExp(axis: 0).scalar, -.infinity)
    }

    func testGradients() {
        let x = randomTensor([3, 4, 5], seed: 51, low: -2, high: 2)
        for axis in [0, 1, 2, -1] {
            assertGradientsMatch([x], "logSumExp axis \(axis)") { x.logSumExp(axis: axis) }
            assertGradientsMatch([x], "softmax axis \(axis)") { x.softmax(axis: axis) }
            assertGradientsMatch([x], "logSoftmax axis \(axis)") { x.logSoftmax(axis: axis) }
            // Distinct values at least 0.01 apart keep the finite differences away from argmax switches.
            let spread = Tensor(shape: x.shape, values: (0..<60).map { Float(($0 * 37) % 60) * 0.05 })
            assertGradientsMatch([spread], "max axis \(axis)", epsilon: 1e-3) { spread.max(axis: axis, keepDims: axis == 1) }
        }
    }
}
