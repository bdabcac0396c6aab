import XCTest
@testable import Engine

final class UnaryOpsTests: XCTestCase {
    func testForwardValues() {
        let x = Tensor(shape: [4], values: [-2, -0.5, 0.5, 3])
        let reference: [(String, Tensor, (Float) -> Float)] = [
            ("exp", exp(x), { Foundation.exp($0) }),
            ("square", square(x), { $0 * $0 }),
            ("relu", relu(x), { max($0, 0) }),
            ("sigmoid", sigmoid(x), { 1 / (1 + Foundation.exp(-$0)) }),
            ("tanh", tanh(x), { Foundation.tanh($0) }),
            ("silu", silu(x), { $0 / (1 + Foundation.exp(-$0)) }),
            ("abs", abs(x), { Swift.abs($0) }),
        ]
        for (name, result, f) in reference {
            for (got, input) in zip(result.values, x.values) {
                XCTAssertEqual(got, f(input), accuracy: 1e-6 * max(1, Swift.abs(f(input))), name)
            }
        }
        let positive = Tensor(shape: [3], values: [0.25, 1, 9])
        XCTAssertEqual(sqrt(positive).values, [0.5, 1, 3])
        XCTAssertEqual(log(positive).values[2], Foundation.log(9), accuracy: 1e-6)
    }

    func testFastExpAccuracyAndLimits() {
        var worst: Float = 0
        var x: Float = -80
        while x < 80 {
            worst = max(worst, Swift.abs(fastExp(x) / Foundation.exp(x) - 1))
            x += 0.0173
        }
        XCTAssertLessThan(worst, 3e-7)
        XCTAssertEqual(fastExp(100), .infinity)
        XCTAssertEqual(fastExp(-100), 0)
        XCTAssertTrue(fastExp(.nan).isNaN)
    }

    func testGradients() {
        let x = randomTensor([3, 4], seed: 30, low: -2, high: 2)
        let positive = randomTensor([3, 4], seed: 31, low: 0.5, high: 3)
        assertGradientsMatch([x], "exp") { exp(x) }
        assertGradientsMatch([positive], "log", epsilon: 1e-3) { log(positive) }
        assertGradientsMatch([positive], "sqrt", epsilon: 1e-3) { sqrt(positive) }
        assertGradientsMatch([x], "square") { square(x) }
        assertGradientsMatch([x], "sigmoid") { sigmoid(x) }
        assertGradientsMatch([x], "tanh") { tanh(x) }
        assertGradientsMatch([x], "silu") { silu(x) }
        // Kinks at 0: inputs stay at least 0.1 away from them (uniform on ±[0.1, 2]).
        let awayFromZero = Tensor(shape: [12], values: x.values.map { $0 >= 0 ? $0 + 0.1 : $0 - 0.1 })
        assertGradientsMatch([awayFromZero], "relu") { relu(awayFromZero) }
        assertGradientsMatch([awayFromZero], "abs") { abs(awayFromZero) }
    }

    func testLargeTensorsTakeTheParallelPath() {
        let x = randomTensor([1 << 17], seed: 32, low: -3, high: 3)
        let inputs = x.values, outputs = silu(x).values
        for i in stride(from: 0, to: x.count, by: 997) {
            XCTAssertEqual(outputs[i], inputs[i] / (1 + Foundation.exp(-inputs[i])), accuracy: 1e-6)
        }
    }
}
