import ArrayFormats
import StageKit
import Store
import XCTest
@testable import Evaluation

/// Bad parameters and inputs of every evaluation stage: clear errors, nothing recorded as succeeded.
final class StageErrorsTests: XCTestCase {
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
