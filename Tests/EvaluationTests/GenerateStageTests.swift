import ArrayFormats
import StageKit
import Store
import XCTest
@testable import Evaluation

/// lzn-generate in-process on fresh `xs` networks: outputs, metadata and metrics (not sample quality).
final class GenerateStageTests: XCTestCase {
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
}
