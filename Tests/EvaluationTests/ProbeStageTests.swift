import ArrayFormats
import Datasets
import StageKit
import Store
import XCTest
@testable import Evaluation

/// lzn-probe: linear probes on pixels and on lzn-latents features, and the classifier mode.
final class ProbeStageTests: XCTestCase {
    func testLinearProbeOnPixelsAndOnLatentsFeatures() throws {
        let f = try StageFixture()
        let train = try f.dataset(count: 90, seed: 6), test = try f.dataset(count: 30, seed: 7, split: .test)
        try StageRunner.runStandalone(ProbeStage.stage, store: f.store, params: ["epochs": .int(15), "batch_size": .int(16), "learning_rate": .float(0.05)],
                                      inputs: ["train_dataset": train.id, "test_dataset": test.id], stageName: "probe-pixels")
        let pixels = try XCTUnwrap(f.metrics("probe-pixels").first { $0.name == "probe_accuracy" && $0.split == "test" })
        XCTAssertEqual(pixels.tag, "pixels")
        XCTAssertGreaterThan(pixels.value, 0.9, "the synthetic classes are linearly separable in pixel space")

        let encoder = try f.checkpoint(mode: .contrastive)
        let features = try [train, test].map { dataset in
            try StageRunner.runStandalone(LatentsStage.stage, store: f.store, params: ["steps": .int(3)],
                                          inputs: ["checkpoint": encoder.id, "dataset": dataset.id], stageName: "latents-\(dataset.name)")["features"]!
        }
        try StageRunner.runStandalone(ProbeStage.stage, store: f.store, params: ["epochs": .int(3)],
                                      inputs: ["train": features[0].id, "test": features[1].id], stageName: "probe-lzn")
        let probe = try f.metrics("probe-lzn").filter { $0.name == "probe_accuracy" }
        XCTAssertEqual(probe.map(\.split), ["test", "train"])
        XCTAssertEqual(probe.map(\.tag), ["lzn", "lzn"], "the tag comes from the checkpoint behind the features")
    }

    func testAccuraciesOnAHoldoutPartAreLabelledValidation() throws {
        let f = try StageFixture()
        let fit = try f.dataset(count: 40, seed: 6, holdout: DatasetHoldout(count: 12, seed: 3, part: .fit))
        let held = try f.dataset(count: 12, seed: 7, holdout: DatasetHoldout(count: 12, seed: 3, part: .holdout))
        try StageRunner.runStandalone(ProbeStage.stage, store: f.store, params: ["epochs": .int(2)],
                                      inputs: ["train_dataset": fit.id, "test_dataset": held.id], stageName: "probe-pixels")
        XCTAssertEqual(try f.metrics("probe-pixels").filter { $0.name == "probe_accuracy" }.map(\.split), ["validation", "train"])
        try StageRunner.runStandalone(ProbeStage.stage, store: f.store, params: ["mode": .string("classifier")],
                                      inputs: ["test_dataset": held.id, "train_dataset": fit.id, "checkpoint": f.checkpoint(mode: .supervised).id],
                                      stageName: "acc-sup")
        XCTAssertEqual(try f.metrics("acc-sup").map(\.split), ["validation", "train"])

        XCTAssertThrowsError(try StageRunner.runStandalone(ProbeStage.stage, store: f.store, params: [:],
                                                           inputs: ["train_dataset": fit.id, "test_dataset": f.dataset(count: 9, seed: 8).id])) { error in
            XCTAssertTrue("\(error)".contains("both of split 'train'"), "\(error)")
        }
    }

    func testClassifierModeReadsCase3ThroughTheLabelFlowAndTheSupervisedHead() throws {
        let f = try StageFixture()
        let train = try f.dataset(count: 12, seed: 6), test = try f.dataset(count: 9, seed: 7, split: .test)
        try StageRunner.runStandalone(ProbeStage.stage, store: f.store, params: [
            "mode": .string("classifier"), "latent_batch_size": .int(5), "latent_steps": .int(3), "label_steps": .int(10),
        ], inputs: ["test_dataset": test.id, "checkpoint": f.checkpoint(mode: .generation, conditional: true).id], stageName: "acc-lzn")
        let lzn = try f.metrics("acc-lzn")
        XCTAssertEqual(Set(lzn.map(\.name)), ["class_accuracy", "class_accuracy_class_weights"])
        XCTAssertEqual(Set(lzn.map(\.tag)), ["lzn-conditional"])

        try StageRunner.runStandalone(ProbeStage.stage, store: f.store, params: ["mode": .string("classifier")],
                                      inputs: ["test_dataset": test.id, "train_dataset": train.id, "checkpoint": f.checkpoint(mode: .supervised).id],
                                      stageName: "acc-sup")
        let supervised = try f.metrics("acc-sup")
        XCTAssertEqual(supervised.map(\.split), ["test", "train"])
        XCTAssertEqual(Set(supervised.map(\.tag)), ["supervised"])
        XCTAssertTrue((lzn + supervised).allSatisfy { (0...1).contains($0.value) })
    }
}
