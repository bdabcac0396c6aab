import Models
import Datasets
import Engine
import Foundation
import LZN
import TestSupport
import XCTest
@testable import Training

/// Each objective's loss by value on a tiny batch, against numbers computed independently of the
/// objective: NT-Xent (value and gradient) against PyTorch (Tests/Fixtures/objectives), the
/// supervised cross-entropy and the rectified-flow loss by hand in float64 from the networks'
/// outputs, and the contrastive loss as the assignment loss of the flowed views, whose value and
/// gradients `AlignmentLossesTests.testMatchesEveryReverseFixture` checks against the paper's code
/// (Tests/Fixtures/lzn).
final class ObjectiveValueTests: XCTestCase {
    override func setUp() { pinEngineThreads() }  // the values depend on the summation order

    /// The cases of Tests/Fixtures/objectives/nt_xent.json (see regenerate.py there).
    struct NTXentCase: Decodable {
        var name: String
        var temperature: Double
        var rows: Int
        var dim: Int
        var projections: [Double]
        var loss: Double
        var grad: [Double]
        var positive_accuracy: Double

        static func all() throws -> [NTXentCase] {
            let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
                .appendingPathComponent("Fixtures/objectives/nt_xent.json")
            struct Document: Decodable { var cases: [NTXentCase] }
            return try JSONDecoder().decode(Document.self, from: Data(contentsOf: url)).cases
        }
    }

    func testNTXentMatchesPyTorchInValueAndGradient() throws {
        let cases = try NTXentCase.all()
        XCTAssertEqual(cases.count, 3)
        for c in cases {
            let projections = Tensor(shape: [c.rows, c.dim], values: c.projections.map { Float($0) })
            projections.requiresGrad = true
            let (loss, accuracy) = ntXentLoss(projections, temperature: Float(c.temperature))
            XCTAssertEqual(Double(loss.scalar), c.loss, accuracy: 2e-6 * (1 + c.loss), c.name)
            XCTAssertEqual(accuracy, c.positive_accuracy, c.name)
            loss.backward()
            assertClose(projections.grad?.values ?? [], c.grad, tolerance: 2e-6, relative: true, "\(c.name) gradient")
        }
    }

    /// A trainer at preset xs on the synthetic quadrants, and its first iteration's batch and generators.
    /// The decoder's output convolution starts at zero (velocity 0, so a loss of either sign of the
    /// target would agree): it gets random weights first.
    private func firstIteration(_ mode: TrainingMode, size: Int = 8, batch: Int = 8,
                                configure: (inout TrainingConfig) -> Void = { _ in })
        throws -> (trainer: Trainer, data: Dataset, indices: [Int], randomness: IterationRandomness, output: ObjectiveOutput) {
        let data = SyntheticData.quadrants(size: size)
        let config = SyntheticData.config(mode, dataset: data, iterations: 1, batch: batch, configure: configure)
        let trainer = try Trainer(config: config, dataset: data)
        if let output = trainer.networks.decoder?.cout.weight {
            var rng = Philox(seed: 12)
            output.withUnsafeMutableBufferPointer { rng.fillUniform($0, low: -0.1, high: 0.1) }
        }
        let indices = trainer.order.indices(iteration: 0)
        let randomness = IterationRandomness(seed: config.seed, iteration: 0)
        let output = try trainer.objective.loss(indices: indices, randomness: randomness, diagnostics: true, shard: trainer.shard)
        return (trainer, data, indices, randomness, output)
    }

    func testSupervisedLossIsTheCrossEntropyOfTheClassifierLogits() throws {
        let (trainer, data, indices, randomness, output) = try firstIteration(.supervised)
        var flips = randomness.flips
        let x = data.batch(indices, randomFlip: &flips)
        let logits = withoutGrad { trainer.networks.classifier!(trainer.networks.encoder!.features(x)) }
        let classes = logits.shape[1]
        XCTAssertEqual(logits.shape, [indices.count, 4])
        // −mean over the batch of log softmax(logits)[label], in float64.
        var total = 0.0, correct = 0
        for (row, index) in indices.enumerated() {
            let z = logits.values[(row * classes)..<((row + 1) * classes)].map(Double.init)
            let largest = z.max()!
            let logSumExp = largest + Foundation.log(z.reduce(0) { $0 + Foundation.exp($1 - largest) })
            let label = data.labels![index]
            total += logSumExp - z[label]
            if z.firstIndex(of: largest) == label { correct += 1 }
        }
        let expected = total / Double(indices.count)
        XCTAssertEqual(output.terms["ce_loss"]!, expected, accuracy: 1e-6 * (1 + expected))
        XCTAssertEqual(Double(output.loss.scalar), expected, accuracy: 1e-6 * (1 + expected))
        XCTAssertEqual(output.terms["train_accuracy"]!, Double(correct) / Double(indices.count))
    }

    /// x_τ = τ·x1 + (1 − τ)·x0 with τ ~ U[1e-3, 1) and x0 ~ N(0, I) from the iteration's generators;
    /// the loss is mean((v − (x1 − x0))²) over every element, with v the decoder's velocity at x_τ
    /// (given the LZN latents of the batch when there are any).
    func testRectifiedFlowLossIsTheMeanSquaredVelocityError() throws {
        for latent in [LatentKind.none, .lzn] {
            let (trainer, data, indices, randomness, output) = try firstIteration(.generation) { $0.latent = latent }
            let config = trainer.config, batch = indices.count
            var flips = randomness.flips, times = randomness.times, noise = randomness.noise, dropout = randomness.dropout
            let x1 = data.batch(indices, randomFlip: &flips)
            let tau = Tensor.uniform([batch], low: 1e-3, high: 1, rng: &times)
            let x0 = Tensor.normal(x1.shape, rng: &noise)
            let perImage = x1.count / batch
            let (a, b, t) = (x1.values, x0.values, tau.values)
            let xt = Tensor(shape: x1.shape, values: (0..<x1.count).map { i in t[i / perImage] * a[i] + (1 - t[i / perImage]) * b[i] })
            let velocity = try withoutGrad { () -> Tensor in
                var latents: Tensor?
                if latent == .lzn {
                    var prior = randomness.prior
                    latents = try lznLatents(anchors: trainer.networks.encoder!(x1), prior: Tensor.normal([batch, config.latentDim], rng: &prior),
                                             solver: .dpmSolver(order: 3), steps: config.latentSteps)
                }
                return trainer.networks.decoder!(xt: xt, tau: tau, latent: latents, labelsOneHot: nil, rng: &dropout)
            }
            let v = velocity.values
            let expected = (0..<v.count).reduce(0.0) { sum, i in
                let error = Double(v[i]) - (Double(a[i]) - Double(b[i]))
                return sum + error * error
            } / Double(v.count)
            XCTAssertGreaterThan(v.map { abs($0) }.max() ?? 0, 0.01, "the decoder's velocity is not zero")
            XCTAssertEqual(output.terms["recon_loss"]!, expected, accuracy: 1e-5 * expected, "latent \(latent)")
            XCTAssertEqual(output.terms["loss"]!, expected, accuracy: 1e-5 * expected, "latent \(latent)")
        }
    }

    /// The contrastive loss: the forward latent flow of view 0's anchors (prior draws and scale from
    /// the configuration), then the assignment loss toward view 1's anchors; the views are cropped
    /// as the configuration's crop_scale_min says. With `symmetric` it is the mean of that and the
    /// same with the views swapped (its prior drawn next from the same generator).
    func testContrastiveLossIsTheAssignmentLossOfTheFlowedViews() throws {
        for symmetric in [false, true] {
            let (trainer, data, indices, randomness, output) = try firstIteration(.contrastive, size: 12) {
                $0.cropScaleMin = 0.5
                $0.symmetric = symmetric
            }
            let config = trainer.config
            var augmentation = randomness.augmentation, prior = randomness.prior
            var twoViews = TwoViewAugmentation(outputSize: 12)
            twoViews.cropScaleMin = 0.5
            let (view0, view1) = twoViews.views(of: data, indices, rng: &augmentation)
            let expected = try withoutGrad { () -> Double in
                let anchors0 = trainer.networks.encoder!(view0), anchors1 = trainer.networks.encoder!(view1)
                func direction(_ source: Tensor, _ target: Tensor) throws -> Double {
                    let latents = try lznLatents(anchors: source, prior: Tensor.normal([indices.count, config.latentDim], rng: &prior),
                                                 solver: .euler, steps: config.latentSteps, priorScale: config.priorScale)
                    return Double(try assignmentLoss(latents: latents, targetAnchors: target, steps: config.latentSteps,
                                                     cutoff: config.cutoff).loss.scalar)
                }
                let forward = try direction(anchors0, anchors1)
                return symmetric ? (forward + (try direction(anchors1, anchors0))) / 2 : forward
            }
            XCTAssertEqual(output.terms["assignment_loss"]!, expected, accuracy: 1e-5 * abs(expected), "symmetric \(symmetric)")
            XCTAssertEqual(output.terms["loss"]!, expected, accuracy: 1e-5 * abs(expected), "symmetric \(symmetric)")
        }
    }
}
