import Models
import Engine
import TestSupport
import XCTest
import Training

final class SupervisedObjectiveTests: XCTestCase {
    override func setUp() { pinEngineThreads() }  // training results depend on the summation order

    func testSupervisedBaselineBeatsChanceWidely() throws {
        let data = SyntheticData.quadrants()
        let config = SyntheticData.config(.supervised, dataset: data, iterations: 40) { $0.encoderLR = 3e-3 }
        let trainer = try Trainer(config: config, dataset: data)
        _ = try trainCollecting(trainer, term: "ce_loss")
        let model = try TrainedModel.load(try trainer.checkpoint(), label: "supervised", weights: .raw)
        let logits = try model.logits(data.batch(Array(0..<data.count)))
        var correct = 0
        for (row, label) in data.labels!.enumerated() {
            let scores = Array(logits.values[(row * 4)..<((row + 1) * 4)])
            if scores.firstIndex(of: scores.max()!) == label { correct += 1 }
        }
        XCTAssertGreaterThan(Double(correct) / Double(data.count), 0.9, "supervised accuracy (chance 0.25)")
    }
}
