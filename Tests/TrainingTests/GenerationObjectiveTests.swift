import Models
import Engine
import LZN
import TestSupport
import XCTest
import Training

final class GenerationObjectiveTests: XCTestCase {
    override func setUp() { pinEngineThreads() }  // training results depend on the summation order

    func testGenerationLossFallsWellBelowItsStart() throws {
        let data = SyntheticData.quadrants()
        let trainer = try Trainer(config: SyntheticData.config(.generation, dataset: data, iterations: 60), dataset: data)
        let losses = try trainCollecting(trainer, term: "recon_loss")
        XCTAssertEqual(losses.count, 60)
        let start = Array(losses.prefix(5)).mean, end = Array(losses.suffix(10)).mean
        XCTAssertLessThan(end, 0.6 * start, "rectified-flow loss \(start) → \(end)")
        XCTAssertEqual(trainer.skippedSteps, 0)
    }

    func testPlainRectifiedFlowBaselineHasNoEncoderAndLearns() throws {
        let data = SyntheticData.quadrants()
        let config = SyntheticData.config(.generation, dataset: data, iterations: 40) { $0.latent = .none }
        let trainer = try Trainer(config: config, dataset: data)
        XCTAssertNil(trainer.networks.encoder)
        XCTAssertEqual(trainer.networks.decoder?.latentDim, 0)
        let losses = try trainCollecting(trainer, term: "recon_loss")
        XCTAssertLessThan(Array(losses.suffix(10)).mean, 0.7 * Array(losses.prefix(5)).mean)
    }

    /// Case study 3: after training, the label read-out (forward DPM latent flow of a batch, reverse
    /// Euler flow toward the label anchors, nearest anchor) beats chance (25%) by a wide margin.
    func testConditionalLabelReadOutBeatsChance() throws {
        let data = SyntheticData.quadrants()
        let config = SyntheticData.config(.generation, dataset: data, iterations: 80, batch: 32) {
            $0.conditional = true
            $0.encoderLR = 3e-3
            $0.labelAnchorLR = 1e-2
            $0.labelSteps = 50
        }
        let trainer = try Trainer(config: config, dataset: data)
        let accuracies = try trainCollecting(trainer, term: "label_loss")
        XCTAssertEqual(accuracies.count, 80)
        let model = try TrainedModel.load(try trainer.checkpoint(), label: "case 3", weights: .raw)
        let indices = Array(0..<64)
        let anchors = try model.anchors(data.batch(indices))
        var rng = Philox(seed: 11)
        let latents = try withoutGrad {
            try lznLatents(anchors: anchors, prior: Tensor.normal(anchors.shape, rng: &rng), solver: .dpmSolver(order: 3), steps: 20)
        }
        let labelAnchors = model.labelAnchors!
        let predicted = try classifyLatents(
            latents: FlowMatrix(rows: 64, columns: 16, values: latents.values),
            labelAnchors: FlowMatrix(rows: labelAnchors.shape[0], columns: 16, values: labelAnchors.values), steps: 50)
        let accuracy = Double(zip(predicted, indices.map { data.labels![$0] }).filter { $0 == $1 }.count) / 64
        XCTAssertGreaterThan(accuracy, 0.6, "case-3 label read-out accuracy \(accuracy) (chance 0.25)")
    }
}
