import Models
import ArrayFormats
import Datasets
import Engine
import StageKit
import Store
import XCTest
@testable import Evaluation

/// lzn-fid in pipeline form: samples from lzn-generate against a reference, classifier features.
final class FIDStageTests: XCTestCase {
    func testFIDStageScoresSamplesAgainstTheReferenceWithTheClassifierFeatures() throws {
        let f = try StageFixture()
        let generator = try f.checkpoint(mode: .generation, latent: false)
        let samples = try StageRunner.runStandalone(GenerateStage.stage, store: f.store, params: [
            "count": .int(8), "steps": .int(2),
        ], inputs: ["checkpoint": generator.id])["samples"]!
        let outputs = try StageRunner.runStandalone(FIDStage.stage, store: f.store, params: [:], inputs: [
            "samples": samples.id, "reference": f.dataset(count: 12, seed: 4).id, "features": f.checkpoint(mode: .supervised).id,
        ])
        let result = try f.store.json(of: XCTUnwrap(outputs["result"]).id)
        let fid = try XCTUnwrap(result["fid"]?.doubleValue)
        XCTAssertTrue(fid.isFinite && fid > 0)
        XCTAssertEqual(result["model"]?.stringValue, "rf")
        XCTAssertEqual(try f.metrics("lzn-fid"), [Metric("fid.euler2", fid, tag: "rf")], "unconditional: no conditional_sample_accuracy")
        XCTAssertNil(result["conditional_sample_accuracy"])
    }

    /// Samples stored with their classes as lzn-generate stores class-conditional samples (real
    /// images here, so the classes can be chosen against the classifier's own predictions).
    private func conditionalSamples(_ f: StageFixture, images dataset: Dataset, labels: [Int]) throws -> Artifact {
        try GeneratedSamples.save(dataset.images, count: dataset.count, channels: dataset.channels, height: dataset.height, width: dataset.width,
                                  metadata: GeneratedSamples.metadata(sampler: "euler2", model: "lzn-conditional", mode: "conditional", labels: labels),
                                  name: "samples", in: f.store)
    }

    func testConditionalSampleAccuracyIsTheClassifiersAgreementWithTheSampleClasses() throws {
        let f = try StageFixture()
        let features = try f.checkpoint(mode: .supervised)
        let images = try DatasetArtifact.load(f.dataset(count: 12, seed: 5), from: f.store)
        // The classifier's predictions, computed directly on the whole set at once.
        let network = try TrainedModel.load(store: f.store, artifact: features)
        let x = Tensor(shape: [images.count, images.channels, images.height, images.width])
        x.withUnsafeMutableBufferPointer { images.fillBatch(Array(0..<images.count), into: $0) }
        let predictions = NetworkEvaluation.argmaxRows(try network.logits(x).values, width: StageFixture.classes)
        // Classes that agree with the prediction on the first 7 samples only.
        let labels = predictions.enumerated().map { i, p in i < 7 ? p : (p + 1) % StageFixture.classes }

        let outputs = try StageRunner.runStandalone(FIDStage.stage, store: f.store, params: ["batch_size": .int(5)], inputs: [
            "samples": conditionalSamples(f, images: images, labels: labels).id, "reference": f.dataset(count: 10, seed: 4).id,
            "features": features.id,
        ])
        let result = try f.store.json(of: XCTUnwrap(outputs["result"]).id)
        XCTAssertEqual(result["conditional_sample_accuracy"]?.doubleValue, 7.0 / 12)
        let fid = try XCTUnwrap(result["fid"]?.doubleValue)
        XCTAssertEqual(try f.metrics("lzn-fid"), [Metric("fid.euler2", fid, tag: "lzn-conditional"),
                                                  Metric("conditional_sample_accuracy", 7.0 / 12, tag: "lzn-conditional")])
    }

    func testConditionalSamplesWithoutAClassifierRecordOnlyTheFID() throws {
        let f = try StageFixture()
        let images = try DatasetArtifact.load(f.dataset(count: 6, seed: 5), from: f.store)
        let outputs = try StageRunner.runStandalone(FIDStage.stage, store: f.store, params: [:], inputs: [
            "samples": conditionalSamples(f, images: images, labels: [0, 1, 2, 0, 1, 2]).id, "reference": f.dataset(count: 10, seed: 4).id,
            "features": f.checkpoint(mode: .contrastive).id,
        ])
        let result = try f.store.json(of: XCTUnwrap(outputs["result"]).id)
        XCTAssertNil(result["conditional_sample_accuracy"])
        XCTAssertEqual(try f.metrics("lzn-fid").map(\.name), ["fid.euler2"])
    }

    func testBadSampleClassesAreRefused() throws {
        let f = try StageFixture()
        let images = try DatasetArtifact.load(f.dataset(count: 4, seed: 5), from: f.store)
        let (reference, features) = (try f.dataset(count: 10, seed: 4), try f.checkpoint(mode: .supervised))
        for (labels, message) in [([0, 1, 2, 3], "sample class 3 is outside the 3 classes of the feature network's classifier"),
                                  ([0, 1], "'labels' in its metadata must be 4 non-negative integers, one per sample")] {
            XCTAssertThrowsError(try StageRunner.runStandalone(FIDStage.stage, store: f.store, params: [:], inputs: [
                "samples": conditionalSamples(f, images: images, labels: labels).id, "reference": reference.id, "features": features.id,
            ])) { error in
                XCTAssertTrue("\(error)".contains(message), "\(error)")
            }
        }
        XCTAssertEqual(try f.metrics("lzn-fid"), [])
    }
}
