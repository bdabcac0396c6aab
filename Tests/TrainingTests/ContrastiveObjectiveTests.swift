import Engine
import XCTest
import Training

final class ContrastiveObjectiveTests: XCTestCase {
    /// Case study 2: the assignment accuracy (§2.5 diagnostics) rises above its initial value.
    func testAssignmentAccuracyRises() throws {
        let data = SyntheticData.quadrants(size: 12)
        let config = SyntheticData.config(.contrastive, dataset: data, iterations: 50)
        let trainer = try Trainer(config: config, dataset: data)
        let accuracies = try trainCollecting(trainer, term: "assignment_acc")
        let start = Array(accuracies.prefix(5)).mean, end = Array(accuracies.suffix(10)).mean
        XCTAssertGreaterThan(end, start + 0.1, "assignment_acc \(start) → \(end)")
    }
}
