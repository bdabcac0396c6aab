import Engine
import NN
import TestSupport
import XCTest

final class GradientClippingTests: XCTestCase {
    func testScalesAllGradientsByTheGlobalNorm() {
        let a = Tensor(shape: [2], values: [0, 0]), b = Tensor(shape: [1], values: [0])
        let noGrad = Tensor(shape: [1], values: [0])
        a.grad = Tensor(shape: [2], values: [3, 0])
        b.grad = Tensor(shape: [1], values: [4])
        let norm = clipGradNorm([a, b, noGrad], maxNorm: 1)
        XCTAssertEqual(norm, 5, accuracy: 1e-6)
        let coefficient: Float = 1 / (5 + 1e-6)
        assertClose(a.grad!.values, [3 * coefficient, 0], tolerance: 1e-7)
        assertClose(b.grad!.values, [4 * coefficient], tolerance: 1e-7)
        XCTAssertNil(noGrad.grad)
    }

    func testLeavesSmallGradientsAlone() {
        let a = Tensor(shape: [2], values: [0, 0])
        a.grad = Tensor(shape: [2], values: [0.3, -0.4])
        XCTAssertEqual(clipGradNorm([a], maxNorm: 1), 0.5, accuracy: 1e-7)
        XCTAssertEqual(a.grad!.values, [0.3, -0.4])
    }

    func testNonFiniteNormIsReportedAndGradientsKept() {
        let a = Tensor(shape: [2], values: [0, 0])
        a.grad = Tensor(shape: [2], values: [.infinity, 1])
        XCTAssertFalse(clipGradNorm([a], maxNorm: 1).isFinite)
        XCTAssertEqual(a.grad!.values, [.infinity, 1])
    }
}
