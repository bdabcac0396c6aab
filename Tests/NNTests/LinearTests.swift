import Engine
import NN
import XCTest

final class LinearTests: XCTestCase {
    func testForwardIsXTimesWeightTransposedPlusBias() throws {
        var rng = Philox(seed: 1)
        let linear = Linear(3, 2, rng: &rng)
        try linear.load(stateDict: [
            "weight": Tensor(shape: [2, 3], values: [1, 2, 3, -1, 0, 1]),
            "bias": Tensor(shape: [2], values: [0.5, -0.5]),
        ])
        let y = linear(Tensor(shape: [2, 3], values: [1, 1, 1, 2, 0, -1]))
        XCTAssertEqual(y.shape, [2, 2])
        XCTAssertEqual(y.values, [6.5, -0.5, -0.5, -3.5])
    }

    func testWithoutBias() {
        var rng = Philox(seed: 2)
        let linear = Linear(4, 3, bias: false, rng: &rng)
        XCTAssertNil(linear.bias)
        XCTAssertEqual(linear.namedParameters().map(\.0), ["weight"])
    }

    func testPyTorchDefaultInitialisationIsUniformWithinOneOverSqrtFanIn() {
        var rng = Philox(seed: 3)
        let linear = Linear(256, 128, rng: &rng)
        let bound: Float = 1 / 16
        for tensor in [linear.weight, linear.bias!] {
            let values = tensor.values
            XCTAssertTrue(values.allSatisfy { abs($0) <= bound })
            XCTAssertGreaterThan(values.map(abs).max()!, 0.95 * bound)
        }
        let weights = linear.weight.values.map(Double.init)
        let mean = weights.reduce(0, +) / Double(weights.count)
        let std = (weights.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(weights.count)).squareRoot()
        XCTAssertEqual(mean, 0, accuracy: 0.002)
        XCTAssertEqual(std, Double(bound) / 3.0.squareRoot(), accuracy: 0.001)
    }

    func testGradientsMatchFiniteDifferences() {
        var rng = Philox(seed: 4)
        let linear = Linear(5, 3, rng: &rng)
        let x = input([4, 5], rng: &rng)
        assertGradientsMatchFiniteDifferences(of: { linear(x) },
                                              checking: linear.namedParameters() + [("x", x)])
    }
}
