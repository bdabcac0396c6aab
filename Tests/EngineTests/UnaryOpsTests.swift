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

    func testSixteenLaneFastExpMatchesTheScalarOne() {
        var worst: Float = 0
        var x: Float = -80
        while x < 80 {
            let lanes = SIMD16<Float>((0..<16).map { x + Float($0) * 0.0011 })
            let result = fastExp(lanes)
            for lane in 0..<16 { worst = max(worst, Swift.abs(result[lane] / Foundation.exp(lanes[lane]) - 1)) }
            x += 0.0173 * 16
        }
        XCTAssertLessThan(worst, 3e-7)
        // At and beyond the ends of the range the lanes behave as the scalar function does.
        let edges: [Float] = [100, -100, .nan, .infinity, -.infinity, 88.71, 88.3, -87.32, -87.2, 0, 1, -1, 50, -50, 2, -2]
        let limits = fastExp(SIMD16<Float>(edges))
        for (lane, x) in edges.enumerated() where !x.isNaN {
            XCTAssertEqual(limits[lane], fastExp(x), accuracy: fastExp(x) * 3e-7, "x = \(x)")
        }
        XCTAssertTrue(limits[2].isNaN)
    }

    func testSixteenLaneSigmoidWithoutADivision() {
        var worst = 0.0
        var x: Float = -30
        while x < 30 {
            let lanes = SIMD16<Float>((0..<16).map { x + Float($0) * 0.0013 })
            let result = fastSigmoid(lanes)
            for lane in 0..<16 {
                let exact = 1 / (1 + Foundation.exp(-Double(lanes[lane])))
                worst = max(worst, Swift.abs(Double(result[lane]) / exact - 1))
            }
            x += 0.0013 * 16
        }
        XCTAssertLessThan(worst, 5e-7)
        let limits = fastSigmoid(SIMD16<Float>([100, -100, .infinity, -.infinity, .nan, 0] + [Float](repeating: 1, count: 10)))
        XCTAssertEqual(limits[0], 1)
        XCTAssertEqual(limits[1], 0, accuracy: 1e-38)
        XCTAssertEqual(limits[2], 1)
        XCTAssertEqual(limits[3], 0)
        XCTAssertTrue(limits[4].isNaN)
        XCTAssertEqual(limits[5], 0.5)
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
