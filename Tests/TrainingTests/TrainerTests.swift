import Models
import Datasets
import Engine
import NN
import TestSupport
import XCTest
@testable import Training

/// The shared machinery: bitwise resume from a checkpoint, freezing by budgets, bad configurations.
final class TrainerTests: XCTestCase {
    override func setUp() { pinEngineThreads() }  // training results depend on the summation order

    /// An absurd learning rate sends the weights to ±1e37 after one step; every later forward pass is
    /// non-finite, so every step is skipped, and training stops at the divergence limit.
    func testTrainingStopsWithAnErrorAfterTheDivergenceLimitOfSkippedStepsInARow() throws {
        let data = SyntheticData.quadrants()
        let config = SyntheticData.config(.supervised, dataset: data, iterations: 300) { $0.encoderLR = 1e37 }
        let trainer = try Trainer(config: config, dataset: data)
        XCTAssertTrue(try trainer.step().applied, "the first step still sees finite weights")
        var thrown: Error?
        while !trainer.finished && thrown == nil {
            do { try trainer.step() } catch { thrown = error }
        }
        guard case .diverged(let iteration, let count, _)? = thrown as? TrainingError else {
            return XCTFail("expected TrainingError.diverged, got \(String(describing: thrown))")
        }
        XCTAssertEqual(count, Trainer.divergenceLimit)
        XCTAssertEqual(iteration, Trainer.divergenceLimit)
        XCTAssertEqual(trainer.skippedSteps, Trainer.divergenceLimit)
        XCTAssertTrue("\(thrown!)".contains("iterations 2–101 were all skipped"), "\(thrown!)")

        // A resume state carries the streak, so a resumed run stops at the same iteration.
        let partial = try Trainer(config: config, dataset: data)
        for _ in 0..<50 { try partial.step() }
        let resumed = try Trainer(config: config, dataset: data)
        try resumed.restore(try partial.checkpoint(resumeState: true), label: "after 50")
        XCTAssertEqual(resumed.skippedInARow, 49)
        for _ in 50..<100 { try resumed.step() }
        XCTAssertThrowsError(try resumed.step())
    }

    func testRestoringACheckpointContinuesBitwiseLikeAnUninterruptedRun() throws {
        let data = SyntheticData.quadrants()
        let config = SyntheticData.config(.generation, dataset: data, iterations: 12) { $0.conditional = true; $0.labelSteps = 20 }
        let uninterrupted = try Trainer(config: config, dataset: data)
        _ = try trainCollecting(uninterrupted, term: "loss")

        let first = try Trainer(config: config, dataset: data)
        for _ in 0..<5 { try first.step() }
        let saved = try first.checkpoint(resumeState: true)
        let resumed = try Trainer(config: config, dataset: data)
        try resumed.restore(saved, label: "after 5")
        XCTAssertEqual(resumed.iteration, 5)
        XCTAssertGreaterThan(first.trainingSeconds, 0)
        XCTAssertEqual(resumed.trainingSeconds, first.trainingSeconds, "a resume state carries the seconds trained so far")
        _ = try trainCollecting(resumed, term: "loss")
        XCTAssertGreaterThan(resumed.trainingSeconds, first.trainingSeconds)

        let a = try uninterrupted.checkpoint(), b = try resumed.checkpoint()
        XCTAssertEqual(Set(a.tensors.keys), Set(b.tensors.keys))
        for (name, tensor) in a.tensors { XCTAssertEqual(tensor.values, b.tensors[name]!.values, name) }
        XCTAssertEqual(a.document, b.document, "a final checkpoint holds no timing")
        XCTAssertNil(b.document["training_seconds"])
    }

    /// The stage's metrics since its last record travel with a resume state (exactly: the first record
    /// after a resume equals an uninterrupted run's), never with a final checkpoint.
    func testAResumeStateCarriesTheUnrecordedMetricsAndAFinalCheckpointDoesNot() throws {
        let data = SyntheticData.quadrants()
        let config = SyntheticData.config(.generation, dataset: data, iterations: 4)
        let first = try Trainer(config: config, dataset: data)
        for _ in 0..<3 { first.metricWindow.add(try first.step(diagnostics: true), batch: config.batch) }
        XCTAssertNotEqual(first.metricWindow, MetricWindow())
        let resumed = try Trainer(config: config, dataset: data)
        try resumed.restore(try first.checkpoint(resumeState: true), label: "after 3")
        XCTAssertEqual(resumed.metricWindow, first.metricWindow)
        XCTAssertEqual(resumed.metricWindow.mean("recon_loss"), first.metricWindow.mean("recon_loss"))
        XCTAssertNil(try first.checkpoint().document["metric_window"])
        try resumed.restore(try first.checkpoint(), label: "final")
        XCTAssertEqual(resumed.metricWindow, MetricWindow(), "a checkpoint without a window starts an empty one")
    }

    func testPartsFreezeAtTheirBudgets() throws {
        let data = SyntheticData.quadrants()
        let config = SyntheticData.config(.generation, dataset: data, iterations: 6) { $0.decoderIterations = 3 }
        let trainer = try Trainer(config: config, dataset: data)
        for _ in 0..<3 { try trainer.step() }
        let decoderAfterBudget = trainer.networks.decoder!.parameters().map(\.values)
        let encoderAfterBudget = trainer.networks.encoder!.parameters().map(\.values)
        _ = try trainCollecting(trainer, term: "loss")
        XCTAssertEqual(trainer.networks.decoder!.parameters().map(\.values), decoderAfterBudget, "frozen decoder changed")
        XCTAssertNotEqual(trainer.networks.encoder!.parameters().map(\.values), encoderAfterBudget,
                          "the encoder keeps training through the frozen decoder")
        let ema = try trainer.checkpoint().tensors
        XCTAssertEqual(ema["ema.decoder.num_updates"]?.scalar, 3)
        XCTAssertEqual(ema["ema.encoder.num_updates"]?.scalar, 6)
    }

    /// `lr_schedule` reaches the optimizer: every step's factor is the schedule's at that step.
    func testTheCosineScheduleSetsEveryStepsLearningRateFactor() throws {
        let data = SyntheticData.quadrants()
        let config = SyntheticData.config(.supervised, dataset: data, iterations: 5) { $0.lrSchedule = .cosine }
        let trainer = try Trainer(config: config, dataset: data)
        var factors: [Double] = []
        while !trainer.finished { factors.append(try trainer.step().learningRateFactor) }
        let expected = (0..<5).map { Double(learningRateFactor(step: $0, warmup: 1, total: 5, schedule: .cosine)) }
        XCTAssertEqual(factors, expected)
        XCTAssertEqual(factors.last!, 0.1464466, accuracy: 1e-6)
    }

    func testBadConfigurationsFailBeforeTrainingWithClearMessages() {
        let unlabelled = SyntheticData.quadrants(labelled: false)
        func problems(_ config: TrainingConfig, _ data: Dataset) -> String {
            do {
                _ = try Trainer(config: config, dataset: data)
                return ""
            } catch {
                return "\(error)"
            }
        }
        XCTAssertTrue(problems(SyntheticData.config(.generation, dataset: unlabelled, iterations: 1) { $0.conditional = true }, unlabelled)
            .contains("needs a labelled dataset"))
        XCTAssertTrue(problems(SyntheticData.config(.supervised, dataset: unlabelled, iterations: 1), unlabelled)
            .contains("needs a labelled dataset"))
        XCTAssertTrue(problems(SyntheticData.config(.contrastive, dataset: unlabelled, iterations: 1, batch: 1), unlabelled)
            .contains("batch must be at least 2"))
        XCTAssertTrue(problems(SyntheticData.config(.generation, dataset: unlabelled, iterations: 1) { $0.preset = "huge" }, unlabelled)
            .contains("preset is \"huge\", expected one of: xs, s, m"))
        XCTAssertTrue(problems(SyntheticData.config(.generation, dataset: unlabelled, iterations: 1, batch: 500), unlabelled)
            .contains("larger than the dataset"))
    }

    func testACheckpointOfAnotherArchitectureIsRefused() throws {
        let data = SyntheticData.quadrants()
        let rf = try Trainer(config: SyntheticData.config(.generation, dataset: data, iterations: 2) { $0.latent = .none }, dataset: data)
        let lzn = try Trainer(config: SyntheticData.config(.generation, dataset: data, iterations: 2), dataset: data)
        XCTAssertThrowsError(try lzn.restore(try rf.checkpoint(), label: "rf")) { error in
            XCTAssertTrue("\(error)".contains("another architecture: latent is none there, lzn here"), "\(error)")
        }
        XCTAssertThrowsError(try lzn.initialize(from: try rf.checkpoint(), label: "rf"))
    }
}
