import Engine
import TestSupport
import XCTest
import Training

final class ContrastiveObjectiveTests: XCTestCase {
    override func setUp() { pinEngineThreads() }  // training results depend on the summation order

    /// Case study 2: the assignment accuracy (§2.5 diagnostics) rises above its initial value.
    func testAssignmentAccuracyRises() throws {
        let data = SyntheticData.quadrants(size: 12)
        let config = SyntheticData.config(.contrastive, dataset: data, iterations: 100) { $0.encoderLR = 3e-3 }
        let trainer = try Trainer(config: config, dataset: data)
        let accuracies = try trainCollecting(trainer, term: "assignment_acc")
        let start = Array(accuracies.prefix(5)).mean, end = Array(accuracies.suffix(10)).mean
        XCTAssertGreaterThan(end, 1.5 * start, "assignment_acc \(start) → \(end)")
    }
}
