import ArrayFormats
import XCTest
@testable import Evaluation

final class FIDTests: XCTestCase {
    /// Deterministic, irregular feature rows (no generator needed): mixtures of incommensurate sines.
    static func features(rows: Int, dimension: Int, phase: Double, scale: Double = 1) -> [Float] {
        (0..<(rows * dimension)).map { index in
            let r = Double(index / dimension), c = Double(index % dimension)
            return Float(scale * (sin(1.37 * r + 0.71 * c + phase) + 0.5 * sin(0.113 * r * (c + 1) + phase) + 0.1 * c))
        }
    }

    func testStatisticsMatchTwoPassFloat64Formulas() throws {
        let rows = 37, d = 4
        let x = Self.features(rows: rows, dimension: d, phase: 0.3)
        let stats = try FeatureStatistics(features: x, rows: rows, dimension: d)
        for i in 0..<d {
            let mean = (0..<rows).reduce(0.0) { $0 + Double(x[$1 * d + i]) } / Double(rows)
            XCTAssertEqual(stats.mean[i], mean, accuracy: 1e-12)
            for j in 0..<d {
                var c = 0.0
                for r in 0..<rows {
                    c += (Double(x[r * d + i]) - stats.mean[i]) * (Double(x[r * d + j]) - stats.mean[j])
                }
                XCTAssertEqual(stats.covariance[i * d + j], c / Double(rows - 1), accuracy: 1e-12)
            }
        }
    }

    /// In one dimension FID = (μa − μb)² + (σa − σb)².
    func testOneDimensionalClosedForm() throws {
        let a = Self.features(rows: 200, dimension: 1, phase: 0)
        let b = Self.features(rows: 150, dimension: 1, phase: 1, scale: 2.5).map { $0 + 0.8 }
        let sa = try FeatureStatistics(features: a, rows: 200, dimension: 1)
        let sb = try FeatureStatistics(features: b, rows: 150, dimension: 1)
        let expected = pow(sa.mean[0] - sb.mean[0], 2) + pow(sa.covariance[0].squareRoot() - sb.covariance[0].squareRoot(), 2)
        XCTAssertEqual(try FID.distance(sa, sb), expected, accuracy: 1e-10)
    }

    /// FID is invariant under a rotation of feature space (covariances here are not diagonal).
    func testInvariantUnderRotationAndZeroForIdenticalSets() throws {
        let d = 3, rows = 120
        let a = Self.features(rows: rows, dimension: d, phase: 0.2)
        let b = Self.features(rows: rows, dimension: d, phase: 2.0, scale: 1.7)
        let (c, s) = (cos(0.9), sin(0.9))
        let rotation: [Double] = [c, -s, 0, s, c, 0, 0, 0, 1]
        func rotate(_ x: [Float]) -> [Float] {
            (0..<(rows * d)).map { index in
                let r = index / d, j = index % d
                return Float((0..<d).reduce(0.0) { $0 + Double(x[r * d + $1]) * rotation[$1 * d + j] })
            }
        }
        let plain = try FID.distance(featuresA: a, rowsA: rows, featuresB: b, rowsB: rows, dimension: d)
        let rotated = try FID.distance(featuresA: rotate(a), rowsA: rows, featuresB: rotate(b), rowsB: rows, dimension: d)
        XCTAssertGreaterThan(plain, 0.1)
        XCTAssertEqual(rotated, plain, accuracy: 1e-5 * plain)
        XCTAssertEqual(try FID.distance(featuresA: a, rowsA: rows, featuresB: a, rowsB: rows, dimension: d), 0, accuracy: 1e-9)
    }

    func testBadShapesAndValuesAreErrors() throws {
        XCTAssertThrowsError(try FeatureStatistics(features: [1, 2, 3], rows: 2, dimension: 2))
        XCTAssertThrowsError(try FeatureStatistics(features: [1, 2], rows: 1, dimension: 2))
        XCTAssertThrowsError(try FeatureStatistics(features: [1, .nan, 3, 4], rows: 2, dimension: 2))
        let a = try FeatureStatistics(features: [1, 2, 3, 4], rows: 2, dimension: 2)
        let b = try FeatureStatistics(features: [1, 2, 3], rows: 3, dimension: 1)
        XCTAssertThrowsError(try FID.distance(a, b)) { error in
            XCTAssertTrue("\(error)".contains("dimensions differ"), "\(error)")
        }
    }

    func testAFeatureFilesErrorNamesTheFileAndKeepsTheCause() {
        XCTAssertThrowsError(try FeatureStatistics(array: NDArray(float32: [1, .nan, 3, 4], shape: [2, 2]), source: "a.npy")) { error in
            guard case .source("a.npy", let cause)? = error as? EvaluationError,
                  case .invalidInput("FID", let detail) = cause else { return XCTFail("\(error)") }
            XCTAssertTrue(detail.hasPrefix("features contain a non-finite value"), detail)
            XCTAssertEqual("\(error)", "FID: a.npy: \(detail)")
        }
        XCTAssertThrowsError(try FeatureStatistics(array: NDArray(int32: [1, 2], shape: [2]), source: "b.npy")) { error in
            XCTAssertEqual("\(error)", "FID: b.npy: expected a 2-D feature matrix (samples × features), got shape [2]")
        }
    }
}
