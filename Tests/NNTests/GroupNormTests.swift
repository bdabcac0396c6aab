import Engine
import NN
import XCTest

final class GroupNormTests: XCTestCase {
    func testModelsDefaultGroupsAndAffineInitialisation() {
        XCTAssertEqual(GroupNorm(channels: 8).groups, 2)
        XCTAssertEqual(GroupNorm(channels: 16).groups, 4)
        XCTAssertEqual(GroupNorm(channels: 64).groups, 8)
        XCTAssertEqual(GroupNorm(channels: 192).groups, 8)
        let norm = GroupNorm(channels: 16)
        XCTAssertEqual(norm.eps, 1e-5)
        XCTAssertEqual(norm.weight.values, [Float](repeating: 1, count: 16))
        XCTAssertEqual(norm.bias.values, [Float](repeating: 0, count: 16))
        XCTAssertEqual(norm.namedParameters().map(\.0), ["weight", "bias"])
    }

    func testNormalisesEachGroupToZeroMeanUnitVariance() {
        var rng = Philox(seed: 1)
        let norm = GroupNorm(2, 4)
        let x = Tensor.normal([1, 4, 3, 3], std: 3, rng: &rng) + 5
        let y = norm(x).values
        for group in 0..<2 {
            let values = y[(group * 18)..<((group + 1) * 18)].map(Double.init)
            let mean = values.reduce(0, +) / 18
            let variance = values.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / 18
            XCTAssertEqual(mean, 0, accuracy: 1e-5)
            XCTAssertEqual(variance, 1, accuracy: 1e-3)
        }
    }
}
