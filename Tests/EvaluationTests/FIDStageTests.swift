import ArrayFormats
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
        XCTAssertEqual(try f.metrics("lzn-fid"), [Metric("fid.euler2", fid, tag: "rf")])
    }
}
