import TestSupport
import XCTest
@testable import LZN

final class PosteriorTests: XCTestCase {
    func testSingleAnchorVelocityAtTimeOneIsPointMinusAnchor() throws {  // C1
        let a = FlowMatrix<Double>([[1, -2, 0.5]])
        let x = FlowMatrix<Double>([[0.3, 0.1, -1.2], [2, 0, 1]])
        let field = try LatentPosterior(x: x, anchors: a, t: 1)
        assertClose(field.velocity, [[-0.7, 2.1, -1.7], [1, 2, 0.5]], tolerance: 1e-12)
    }

    func testVelocityAtTimeOneUsesTheNormalisedWeights() throws {  // C4
        let x = FlowMatrix<Double>([[0.5, 0.5]])
        let uniform = try LatentPosterior(x: x, anchors: ChecklistData.anchors, t: 1)
        assertClose(uniform.velocity, [[0.5, -0.166667]], tolerance: 1e-6)
        let weighted = try LatentPosterior(x: x, anchors: ChecklistData.anchors, t: 1, weights: [0.5, 0.25, 0.25])
        assertClose(weighted.velocity, [[0.25, 0]], tolerance: 1e-12)
        assertClose(weighted.probabilities, [[0.5, 0.25, 0.25]], tolerance: 1e-12)
    }

    func testDataPredictionIdentityInBothPrecisions() throws {  // C5
        let expected: [(Double, [Double])] = [(0.1, [1, 0]), (0.5, [0.496401, 0.696415]), (0.9, [0.039665, 0.713218])]
        for (t, mean) in expected {
            let x = FlowMatrix<Double>([[0.5, 0.5]])
            let field = try LatentPosterior(x: x, anchors: ChecklistData.anchors, t: t)
            assertClose(field.mean, [mean], tolerance: 1e-6, "t = \(t)")
            // x − t·v = m, and the DPM data prediction (x − t·ε̂)/(1 − t) with ε̂ = x + (1 − t)v.
            for k in 0..<2 {
                let v = field.velocity[0, k], xk = x[0, k]
                XCTAssertEqual(xk - t * v, mean[k], accuracy: 1e-6)
                XCTAssertEqual((xk - t * (xk + (1 - t) * v)) / (1 - t), mean[k], accuracy: 1e-6)
            }
            let single = try LatentPosterior(x: x.converted(to: Float.self), anchors: ChecklistData.anchors.converted(), t: t)
            assertClose(single.mean, [mean], tolerance: 2e-6, "float32 t = \(t)")
        }
    }

    func testPosteriorRowsSumToOneAndIgnoreWeightScale() throws {  // C14
        var random = TestRandom(seed: 7)
        let anchors = random.matrix(9, 4), x = random.matrix(5, 4)
        let weights = (0..<9).map { Double($0 % 4) * 0.3 }  // includes zero weights
        let base = try LatentPosterior(x: x, anchors: anchors, t: 0.4, weights: weights)
        let scaled = try LatentPosterior(x: x, anchors: anchors, t: 0.4, weights: weights.map { $0 * 1e3 })
        for row in 0..<5 {
            XCTAssertEqual(base.probabilities.row(row).reduce(0, +), 1, accuracy: 1e-12)
            for j in 0..<9 {
                XCTAssertEqual(base.probabilities[row, j], scaled.probabilities[row, j], accuracy: 1e-12)
                if weights[j] == 0 { XCTAssertEqual(base.probabilities[row, j], 0) }
            }
        }
        assertClose(scaled.velocity, (0..<5).map { Array(base.velocity.row($0)) }, tolerance: 1e-12)
    }

    func testPermutingAnchorsPermutesColumnsAndKeepsVelocity() throws {  // C14
        var random = TestRandom(seed: 11)
        let anchors = random.matrix(6, 3), x = random.matrix(4, 3)
        let order = [3, 0, 5, 1, 4, 2]
        let permuted = FlowMatrix(order.map { Array(anchors.row($0)) })
        let base = try LatentPosterior(x: x, anchors: anchors, t: 0.3)
        let other = try LatentPosterior(x: x, anchors: permuted, t: 0.3)
        for row in 0..<4 {
            for (column, source) in order.enumerated() {
                XCTAssertEqual(other.probabilities[row, column], base.probabilities[row, source], accuracy: 1e-12)
            }
        }
        assertClose(other.velocity, (0..<4).map { Array(base.velocity.row($0)) }, tolerance: 1e-12)
    }

    func testSmallTimePosteriorConcentratesOnTheOwnAnchor() throws {  // C14
        var random = TestRandom(seed: 3)
        let anchors = random.matrix(5, 8), z = random.matrix(5, 8)
        let t = 1e-4
        let x = FlowMatrix(rows: 5, columns: 8, values: zip(z.values, anchors.values).map { t * $0 + (1 - t) * $1 })
        for field in [try LatentPosterior(x: x, anchors: anchors, t: t).velocity,
                      try LatentPosterior(x: x.converted(to: Float.self), anchors: anchors.converted(), t: t).velocity.converted(to: Double.self)] {
            for i in 0..<40 { XCTAssertEqual(field.values[i], z.values[i] - anchors.values[i], accuracy: 2e-3) }
        }
        let pi = try LatentPosterior(x: x, anchors: anchors, t: t).probabilities
        for i in 0..<5 { XCTAssertEqual(pi[i, i], 1, accuracy: 1e-12) }
    }

    /// §1.8 / C10: float32 near-duplicate anchors at t = 1e-4 must match the float64 posterior
    /// (the plain float32 GEMM expansion gets these wrong by orders of magnitude).
    func testNearDuplicateAnchorsAtSmallTimeMatchFloat64() throws {
        var random = TestRandom(seed: 5)
        let base = random.matrix(1, 16, scale: 3)
        let anchorRows = (0..<4).map { k in base.values.map { $0 + 1e-4 * Double(k) * 0.7 } }
        let anchors = FlowMatrix(anchorRows.map { $0.map { Double(Float($0)) } })
        let z = random.matrix(4, 16)
        let t = 1e-4
        let x = FlowMatrix(rows: 4, columns: 16, values: zip(z.values, anchors.values).map { Double(Float(t * $0 + (1 - t) * $1)) })
        let reference = try LatentPosterior(x: x, anchors: anchors, t: t)
        let single = try LatentPosterior(x: x.converted(to: Float.self), anchors: anchors.converted(to: Float.self), t: t)
        let mixed = reference.probabilities.values.filter { $0 > 1e-3 && $0 < 0.999 }.count
        XCTAssertGreaterThan(mixed, 2, "the case must have genuinely mixed posteriors")
        assertClose(single.probabilities, (0..<4).map { Array(reference.probabilities.row($0)) }, tolerance: 1e-4)
    }

    /// C14: ∂m/∂x = (1 − t)/t² Cov_π(a) — symmetric PSD, checked by central differences.
    func testMeanJacobianIsTheScaledPosteriorCovariance() throws {
        var random = TestRandom(seed: 13)
        let anchors = random.matrix(5, 3), x = random.matrix(1, 3, scale: 0.5)
        let t = 0.6, c = 1 - t, h = 1e-6
        let field = try LatentPosterior(x: x, anchors: anchors, t: t)
        var jacobian = [[Double]](repeating: [0, 0, 0], count: 3)
        for k in 0..<3 {
            var plus = x, minus = x
            plus[0, k] += h
            minus[0, k] -= h
            let mp = try LatentPosterior(x: plus, anchors: anchors, t: t).mean
            let mm = try LatentPosterior(x: minus, anchors: anchors, t: t).mean
            for r in 0..<3 { jacobian[r][k] = (mp[0, r] - mm[0, r]) / (2 * h) }
        }
        for r in 0..<3 {
            for k in 0..<3 {
                var covariance = 0.0
                for j in 0..<5 {
                    covariance += field.probabilities[0, j] * (anchors[j, r] - field.mean[0, r]) * (anchors[j, k] - field.mean[0, k])
                }
                XCTAssertEqual(jacobian[r][k], c / (t * t) * covariance, accuracy: 1e-6)
                XCTAssertEqual(jacobian[r][k], jacobian[k][r], accuracy: 1e-6)
            }
            XCTAssertGreaterThanOrEqual(jacobian[r][r], 0)
        }
    }

    func testRejectsBadInputWithNamedErrors() {
        let anchors = FlowMatrix<Double>([[1, 0], [0, 1]])
        XCTAssertThrowsError(try LatentPosterior(x: FlowMatrix([[1, 2, 3]]), anchors: anchors, t: 0.5)) { error in
            XCTAssertTrue("\(error)".contains("points"))
        }
        XCTAssertThrowsError(try LatentPosterior(x: FlowMatrix([[.nan, 2]]), anchors: anchors, t: 0.5))
        XCTAssertThrowsError(try LatentPosterior(x: FlowMatrix([[1, 2]]), anchors: anchors, t: 0.5, weights: [0, 0]))
        XCTAssertThrowsError(try LatentPosterior(x: FlowMatrix([[1, 2]]), anchors: anchors, t: 0.5, weights: [1, -1]))
        XCTAssertThrowsError(try LatentPosterior(x: FlowMatrix([[1, 2]]), anchors: anchors, t: 0))
    }
}
