import Engine
import XCTest
@testable import Datasets

final class EpochOrderTests: XCTestCase {
    func testEpochIsSeededPermutationChunkedWithDropLast() {
        var order = EpochOrder(count: 10, batchSize: 3, dataSeed: 5)
        XCTAssertEqual(order.batchesPerEpoch, 3)
        var rng = Philox(seed: 5 + 2)
        let permutation = rng.permutation(10)
        XCTAssertEqual(order.indices(epoch: 2, batch: 0), Array(permutation[0..<3]))
        XCTAssertEqual(order.indices(epoch: 2, batch: 2), Array(permutation[6..<9]))
        let all = (0..<3).flatMap { order.indices(epoch: 2, batch: $0) }
        XCTAssertEqual(Set(all).count, 9, "no sample twice within an epoch; one dropped")
    }

    func testIterationsContinueAcrossEpochs() {
        var order = EpochOrder(count: 10, batchSize: 3)
        var fresh = EpochOrder(count: 10, batchSize: 3)
        XCTAssertEqual(order.indices(iteration: 4), fresh.indices(epoch: 1, batch: 1))
        XCTAssertEqual(order.indices(iteration: 0), order.permutation(epoch: 0).prefix(3).map { $0 })
        XCTAssertNotEqual(order.permutation(epoch: 0), order.permutation(epoch: 1))
    }
}
