import ArrayFormats
import Store
import XCTest
@testable import Evaluation

final class CheckpointModelsTests: XCTestCase {
    func testLoadsThePartsOfEachModeWithRawOrEMAWeights() throws {
        let f = try StageFixture()
        let joint = try CheckpointModels.load(from: f.store, artifact: f.checkpoint(mode: "generation", conditional: true), weights: .ema)
        XCTAssertNotNil(joint.encoder)
        XCTAssertEqual(joint.decoder?.latentDim, StageFixture.latentDim)
        XCTAssertEqual(joint.labelAnchors?.shape, [StageFixture.classes, StageFixture.latentDim])
        XCTAssertNil(joint.head)
        XCTAssertEqual(joint.config.tag, "lzn-conditional")

        let rf = try CheckpointModels.load(from: f.store, artifact: f.checkpoint(mode: "generation", latent: false), weights: .raw)
        XCTAssertNil(rf.encoder)
        XCTAssertEqual(rf.decoder?.latentDim, 0)
        XCTAssertEqual(rf.config.tag, "rf")

        let supervised = try CheckpointModels.load(from: f.store, artifact: f.checkpoint(mode: "supervised"), weights: .ema)
        XCTAssertEqual(supervised.head?.outFeatures, StageFixture.classes)
        XCTAssertEqual(supervised.config.tag, "supervised")
    }

    func testWrongKindFormatAndArchitectureAreNamedErrors() throws {
        let f = try StageFixture()
        let text = try f.store.putText("hello", name: "not-a-checkpoint")
        XCTAssertThrowsError(try CheckpointModels.load(from: f.store, artifact: text, weights: .ema)) { error in
            XCTAssertTrue("\(error)".contains("expected a checkpoint bundle"), "\(error)")
        }
        let foreign = try f.store.putBundle(["x": NDArray(float32: [1], shape: [1])], document: ["format": "other/1"], name: "foreign")
        XCTAssertThrowsError(try CheckpointModels.load(from: f.store, artifact: foreign, weights: .ema)) { error in
            XCTAssertTrue("\(error)".contains("expected lzn-checkpoint/1"), "\(error)")
        }
        // Parameters of an xs encoder declared as preset s: shapes do not fit.
        let checkpoint = try f.checkpoint(mode: "supervised")
        var document = try f.store.json(of: checkpoint.id)
        guard case .object(var fields) = document, case .object(var config) = fields["config"]! else { return XCTFail("document") }
        config["preset"] = "s"
        fields["config"] = .object(config)
        document = .object(fields)
        let tensors = try f.store.bundleTensors(checkpoint.id)
        let mismatched = try f.store.putBundle(tensors, document: document, name: "mismatched")
        XCTAssertThrowsError(try CheckpointModels.load(from: f.store, artifact: mismatched, weights: .ema)) { error in
            XCTAssertTrue("\(error)".contains("does not fit a s Encoder"), "\(error)")
        }
    }
}
