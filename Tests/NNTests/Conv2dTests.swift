import Engine
import NN
import XCTest

final class Conv2dTests: XCTestCase {
    func testShapesAndNames() {
        var rng = Philox(seed: 1)
        let same = Conv2d(3, 5, 3, padding: 1, rng: &rng)
        let strided = Conv2d(3, 5, 3, stride: 2, padding: 1, rng: &rng)
        XCTAssertEqual(same.namedParameters().map(\.0), ["weight", "bias"])
        XCTAssertEqual(same.weight.shape, [5, 3, 3, 3])
        let x = Tensor.normal([2, 3, 7, 7], rng: &rng)
        XCTAssertEqual(same(x).shape, [2, 5, 7, 7])
        XCTAssertEqual(strided(x).shape, [2, 5, 4, 4])
    }

    func testInitialisationBoundUsesFanInWithKernelArea() {
        var rng = Philox(seed: 2)
        let conv = Conv2d(16, 32, 3, padding: 1, rng: &rng)
        let bound = 1 / Float(16 * 9).squareRoot()
        for tensor in [conv.weight, conv.bias] {
            let magnitudes = tensor.values.map(abs)
            XCTAssertLessThanOrEqual(magnitudes.max()!, bound)
            XCTAssertGreaterThan(magnitudes.max()!, 0.9 * bound)
        }
    }

    func testGradientsMatchFiniteDifferences() {
        var rng = Philox(seed: 3)
        let conv = Conv2d(2, 3, 3, stride: 2, padding: 1, rng: &rng)
        let x = input([2, 2, 5, 5], rng: &rng)
        assertGradientsMatchFiniteDifferences(of: { conv(x) }, checking: conv.namedParameters() + [("x", x)])
    }
}
