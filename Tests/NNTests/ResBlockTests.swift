import Engine
import NN
import TestSupport
import XCTest

final class ResBlockTests: XCTestCase {
    func testSkipConvolutionOnlyWhenChannelsChange() {
        var rng = Philox(seed: 1)
        XCTAssertNil(ResBlock(8, 8, rng: &rng).skip)
        XCTAssertNotNil(ResBlock(8, 16, rng: &rng).skip)
        XCTAssertNil(ResBlock(8, 8, rng: &rng).cond)
        XCTAssertEqual(ResBlock(8, 8, condDim: 12, rng: &rng).cond?.weight.shape, [8, 12])
    }

    func testIdentityBranchAtZeroSecondConvIsInputOverSqrt2() throws {
        var rng = Philox(seed: 2)
        let block = ResBlock(8, 8, rng: &rng)
        try block.load(stateDict: ["c2.weight": Tensor.zeros([8, 8, 3, 3]), "c2.bias": Tensor.zeros([8])],
                       strict: false)
        let x = Tensor.normal([2, 8, 4, 4], rng: &rng)
        assertClose(block(x).values, x.values.map { $0 / Float(2).squareRoot() }, tolerance: 1e-6)
    }

    func testGradientsWithConditioningAndSkip() {
        var rng = Philox(seed: 3)
        let block = ResBlock(8, 16, condDim: 6, rng: &rng)
        let x = input([2, 8, 4, 4], rng: &rng)
        let cond = input([2, 6], rng: &rng)
        assertGradientsMatchFiniteDifferences(of: { block(x, cond: cond) },
                                              checking: block.namedParameters() + [("x", x), ("cond", cond)])
    }

    func testDropoutIsDrawnFromTheGivenGeneratorOnlyInTraining() {
        var rng = Philox(seed: 4)
        let block = ResBlock(8, 8, dropout: 0.5, rng: &rng)
        let x = Tensor.normal([2, 8, 4, 4], rng: &rng)
        var first = Philox(seed: 10), again = Philox(seed: 10), other = Philox(seed: 11)
        let a = block(x, cond: nil, rng: &first).values
        XCTAssertEqual(a, block(x, cond: nil, rng: &again).values)
        XCTAssertNotEqual(a, block(x, cond: nil, rng: &other).values)
        XCTAssertTrue(block.usesDropout)
        block.eval()
        XCTAssertFalse(block.usesDropout)
        var unused = Philox(seed: 12)
        XCTAssertEqual(block(x).values, block(x, cond: nil, rng: &unused).values)
        XCTAssertEqual(unused, Philox(seed: 12), "eval mode draws nothing")
    }
}
