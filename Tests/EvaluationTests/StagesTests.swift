import ArrayFormats
import StageKit
import Store
import XCTest
@testable import Evaluation

/// The evaluation stages run in-process against a real store, on fresh `xs` networks and a tiny
/// synthetic dataset: plumbing, shapes, metrics and errors (not model quality).
final class StagesTests: XCTestCase {
    func testGenerateUnconditionalWritesSamplesGridAndNFE() throws {
        let f = try StageFixture()
        let checkpoint = try f.checkpoint(mode: .generation)
        let outputs = try StageRunner.runStandalone(GenerateStage.stage, store: f.store, params: [
            "model": .string("rf-lzn"), "count": .int(6), "batch_size": .int(4), "steps": .int(3),
            "grid_rows": .int(2), "grid_columns": .int(3),
        ], inputs: ["checkpoint": checkpoint.id])
        let samples = try f.store.tensor(XCTUnwrap(outputs["samples"]).id)
        XCTAssertEqual(samples.dtype, .uint8)
        XCTAssertEqual(samples.shape, [6, 1, 8, 8])
        XCTAssertEqual(outputs["samples"]?.metadata["sampler"]?.stringValue, "euler3")
        let png = try f.store.content(of: XCTUnwrap(outputs["grid"]).id)
        XCTAssertEqual(Array(png.prefix(8)), PNG.signature)
        XCTAssertEqual(try f.metrics("lzn-generate"), [Metric("nfe.euler3", 3, tag: "rf-lzn")])
    }

    func testConditionalRK45AndReconstructionRecordTheirMetrics() throws {
        let f = try StageFixture()
        let conditional = try f.checkpoint(mode: .generation, conditional: true)
        let dataset = try f.dataset(count: 6, seed: 3)
        let outputs = try StageRunner.runStandalone(GenerateStage.stage, store: f.store, params: [
            "conditional": .bool(true), "sampler": .string("rk45"),
            "rtol": .float(1e-3), "atol": .float(1e-3), "count": .int(6), "batch_size": .int(6), "label_steps": .int(10),
        ], inputs: ["checkpoint": conditional.id, "dataset": dataset.id], stageName: "generate-conditional")
        XCTAssertEqual(outputs["samples"]?.metadata["labels"], .array([0, 1, 2, 0, 1, 2]))
        let nfe = try XCTUnwrap(f.metrics("generate-conditional").first { $0.name == "nfe.rk45" })
        XCTAssertGreaterThanOrEqual(nfe.value, 8)

        try StageRunner.runStandalone(GenerateStage.stage, store: f.store, params: [
            "conditional": .bool(true), "reconstruct": .bool(true), "count": .int(4), "batch_size": .int(4),
            "steps": .int(2), "latent_steps": .int(3),
        ], inputs: ["checkpoint": conditional.id, "dataset": dataset.id], stageName: "reconstruct")
        let error = try XCTUnwrap(f.metrics("reconstruct").first { $0.name == "reconstruction_error.euler2" })
        XCTAssertTrue(error.value.isFinite && error.value >= 0)
    }

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
        XCTAssertEqual(try f.metrics("lzn-fid"), [Metric("fid.euler2", fid, tag: "rf")])
    }

    func testLatentsStageWritesAnchorsLatentsAndFeatures() throws {
        let f = try StageFixture()
        let outputs = try StageRunner.runStandalone(LatentsStage.stage, store: f.store, params: ["batch_size": .int(5), "steps": .int(4)],
                                                    inputs: ["checkpoint": f.checkpoint(mode: .generation).id, "dataset": f.dataset(count: 10, seed: 5).id])
        XCTAssertEqual(try f.store.tensor(outputs["anchors"]!.id).shape, [10, 4])
        XCTAssertEqual(try f.store.tensor(outputs["latents"]!.id).shape, [10, 4])
        XCTAssertEqual(try f.store.tensor(outputs["features"]!.id).shape, [10, 8 + 16 + 16])
        let std = try XCTUnwrap(f.metrics("lzn-latents").first { $0.name == "latent_std" })
        XCTAssertGreaterThan(std.value, 0)
    }

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

    func testBadParametersAndInputsFailWithoutSucceededRuns() throws {
        let f = try StageFixture()
        let unconditional = try f.checkpoint(mode: .generation)
        XCTAssertThrowsError(try StageRunner.runStandalone(GenerateStage.stage, store: f.store, params: ["conditional": .bool(true)],
                                                           inputs: ["checkpoint": unconditional.id])) { error in
            XCTAssertTrue("\(error)".contains("class-conditional (case 3) checkpoint"), "\(error)")
        }
        XCTAssertThrowsError(try StageRunner.runStandalone(GenerateStage.stage, store: f.store, params: ["reconstruct": .bool(true)],
                                                           inputs: ["checkpoint": unconditional.id])) { error in
            XCTAssertTrue("\(error)".contains("'dataset' input"), "\(error)")
        }
        XCTAssertThrowsError(try StageRunner.runStandalone(GenerateStage.stage, store: f.store, params: ["steps": .int(0)],
                                                           inputs: ["checkpoint": unconditional.id])) { error in
            XCTAssertTrue("\(error)".contains("steps"), "\(error)")
        }
        XCTAssertThrowsError(try StageRunner.runStandalone(ProbeStage.stage, store: f.store, params: [:],
                                                           inputs: ["test_dataset": f.dataset(count: 6, seed: 8).id])) { error in
            XCTAssertTrue("\(error)".contains("raw pixels"), "\(error)")
        }
        XCTAssertThrowsError(try StageRunner.runStandalone(ProbeStage.stage, store: f.store, params: ["mode": .string("classifier")],
                                                           inputs: ["test_dataset": f.dataset(count: 6, seed: 8).id, "checkpoint": unconditional.id])) { error in
            XCTAssertTrue("\(error)".contains("classifier or label anchors"), "\(error)")
        }
        XCTAssertThrowsError(try StageRunner.runStandalone(FIDStage.stage, store: f.store, params: [:], inputs: [
            "samples": f.store.putTensor(NDArray(float32: [1, 2], shape: [2]), name: "not-images").id,
            "reference": f.dataset(count: 6, seed: 9).id, "features": unconditional.id,
        ])) { error in
            XCTAssertTrue("\(error)".contains("expected uint8"), "\(error)")
        }
        let succeeded = try ReadOnlyQuery.run("SELECT count(*) FROM stage_runs WHERE status = 'succeeded'", storePath: f.store.path).rows
        XCTAssertEqual(succeeded, [[.integer(0)]])
    }
}
