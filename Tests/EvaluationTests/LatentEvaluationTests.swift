import Engine
import LZN
import TestSupport
import XCTest
@testable import Evaluation

final class LatentEvaluationTests: XCTestCase {
    override func setUp() { pinEngineThreads() }  // training results depend on the summation order

    /// Three well-separated label anchors in 4-D and image anchors clustered around them.
    static func clusters(count: Int, seed: UInt64) -> (anchors: FlowMatrix<Float>, labels: [Int], labelAnchors: FlowMatrix<Float>) {
        let labelAnchors = FlowMatrix<Float>([[3, 0, 0, 0], [0, 3, 0, 0], [0, 0, 3, 0]])
        var rng = Philox(seed: seed)
        var values: [Float] = [], labels: [Int] = []
        for i in 0..<count {
            let label = i % 3
            labels.append(label)
            for j in 0..<4 { values.append(labelAnchors[label, j] + 0.3 * rng.normal()) }
        }
        return (FlowMatrix(rows: count, columns: 4, values: values), labels, labelAnchors)
    }

    func testLatentsAreComputedPerBatchAndLookGaussian() throws {
        let data = Self.clusters(count: 400, seed: 1)
        let settings = LatentFlowSettings(batchSize: 100, steps: 10, seed: 3)
        let latents = try LatentEvaluation.latents(anchors: data.anchors, settings: settings)
        XCTAssertEqual(latents.rows, 400)
        let std = LatentsStage.standardDeviation(latents.values)
        XCTAssertEqual(std, 1, accuracy: 0.25, "the flow carries the anchors to N(0, I)")
        XCTAssertEqual(try LatentEvaluation.latents(anchors: data.anchors, settings: settings), latents, "seeded")
        // Each batch is its own anchor set: the first batch alone gives the same latents.
        let first = FlowMatrix(rows: 100, columns: 4, values: Array(data.anchors.values.prefix(400)))
        XCTAssertEqual(try LatentEvaluation.latents(anchors: first, settings: settings).values, Array(latents.values.prefix(400)))
    }

    func testClassAccuracyIsHighWhenImageAnchorsClusterAtTheirLabelAnchors() throws {
        let data = Self.clusters(count: 120, seed: 2)
        let accuracy = try LatentEvaluation.classAccuracy(anchors: data.anchors, labels: data.labels, labelAnchors: data.labelAnchors,
                                                          settings: LatentFlowSettings(batchSize: 60, steps: 10, seed: 4), labelSteps: 50)
        XCTAssertGreaterThan(accuracy.uniform, 0.9)
        XCTAssertGreaterThan(accuracy.classWeights, 0.9)
        XCTAssertThrowsError(try LatentEvaluation.classAccuracy(anchors: data.anchors, labels: Array(data.labels.dropLast()),
                                                                labelAnchors: data.labelAnchors, settings: LatentFlowSettings()))
        var bad = data.labels
        bad[0] = 7
        XCTAssertThrowsError(try LatentEvaluation.classAccuracy(anchors: data.anchors, labels: bad, labelAnchors: data.labelAnchors,
                                                                settings: LatentFlowSettings()))
    }

    /// §3.2 conditional latents read back to their class through the reverse label flow.
    func testClassLatentsRoundTripThroughTheLabelRead() throws {
        let labelAnchors = FlowMatrix<Float>([[2, 0], [0, 2], [-2, -2]])
        let classes = (0..<30).map { $0 % 3 }
        var rng = Philox(seed: 5)
        let prior = FlowMatrix(rows: 30, columns: 2, values: (0..<60).map { _ in rng.normal() })
        let latents = try LatentEvaluation.classLatents(classes: classes, labelAnchors: labelAnchors, prior: prior, steps: 100)
        XCTAssertEqual(try classifyLatents(latents: latents, labelAnchors: labelAnchors), classes)
        XCTAssertThrowsError(try LatentEvaluation.classLatents(classes: [3], labelAnchors: labelAnchors,
                                                               prior: FlowMatrix(rows: 1, columns: 2, values: [0, 0])))
    }
}
