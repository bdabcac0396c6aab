import ArrayFormats
import StageKit
import Store
import XCTest
@testable import Evaluation

/// lzn-latents: the three tensor outputs and their shapes.
final class LatentsStageTests: XCTestCase {
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
}
