import Engine
import TestSupport
import XCTest
import Training

final class SimCLRObjectiveTests: XCTestCase {
    override func setUp() { pinEngineThreads() }  // training results depend on the summation order

    func testNTXentLossFalls() throws {
        let data = SyntheticData.quadrants(size: 12)
        let trainer = try Trainer(config: SyntheticData.config(.simclr, dataset: data, iterations: 40), dataset: data)
        let losses = try trainCollecting(trainer, term: "nt_xent_loss")
        XCTAssertLessThan(Array(losses.suffix(10)).mean, Array(losses.prefix(5)).mean - 0.2)
    }
}
