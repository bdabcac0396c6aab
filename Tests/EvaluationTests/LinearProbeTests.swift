import TestSupport
import XCTest
import Engine
@testable import Evaluation

final class LinearProbeTests: XCTestCase {
    override func setUp() { pinEngineThreads() }  // training results depend on the summation order

    /// Three Gaussian blobs in 6-D with well-separated means.
    static func blobs(count: Int, seed: UInt64) throws -> LabelledFeatures {
        var rng = Philox(seed: seed)
        var features: [Float] = [], labels: [Int] = []
        for i in 0..<count {
            let label = i % 3
            for j in 0..<6 { features.append((j % 3 == label ? 3 : 0) + rng.normal()) }
            labels.append(label)
        }
        return try LabelledFeatures(features: features, labels: labels, dimension: 6, source: "blobs")
    }

    /// Two concentric rings in 2-D (not linearly separable); `withRadius` appends x² + y² as a third feature.
    static func rings(count: Int, seed: UInt64, withRadius: Bool) throws -> LabelledFeatures {
        var rng = Philox(seed: seed)
        var features: [Float] = [], labels: [Int] = []
        for i in 0..<count {
            let label = i % 2
            let radius: Float = label == 0 ? 1 : 2.5
            let angle = 2 * Float.pi * rng.uniform()
            let (x, y) = (radius * cos(angle) + 0.15 * rng.normal(), radius * sin(angle) + 0.15 * rng.normal())
            features += withRadius ? [x, y, x * x + y * y] : [x, y]
            labels.append(label)
        }
        return try LabelledFeatures(features: features, labels: labels, dimension: withRadius ? 3 : 2, source: "rings")
    }

    let config = LinearProbeConfig(epochs: 20, learningRate: 0.05, batchSize: 32, seed: 7)

    func testSeparableBlobsReachHighAccuracyAndLossFalls() throws {
        let result = try LinearProbe.run(train: Self.blobs(count: 600, seed: 1), test: Self.blobs(count: 300, seed: 2), config: config)
        XCTAssertGreaterThan(result.testAccuracy, 0.95)
        XCTAssertGreaterThan(result.trainAccuracy, 0.95)
        XCTAssertEqual(result.epochLosses.count, 20)
        XCTAssertLessThan(result.epochLosses.last!, 0.5 * result.epochLosses.first!)
    }

    func testRawFeaturesOfNonSeparableRingsScoreLowerThanAFeatureThatSeparatesThem() throws {
        let raw = try LinearProbe.run(train: Self.rings(count: 600, seed: 3, withRadius: false),
                                      test: Self.rings(count: 400, seed: 4, withRadius: false), config: config)
        let lifted = try LinearProbe.run(train: Self.rings(count: 600, seed: 3, withRadius: true),
                                         test: Self.rings(count: 400, seed: 4, withRadius: true), config: config)
        XCTAssertLessThan(raw.testAccuracy, 0.75)
        XCTAssertGreaterThan(lifted.testAccuracy, 0.95)
    }

    func testSameSeedGivesTheSameResultAndNormalisationIsOptional() throws {
        let train = try Self.blobs(count: 120, seed: 5), test = try Self.blobs(count: 60, seed: 6)
        let a = try LinearProbe.run(train: train, test: test, config: config)
        let b = try LinearProbe.run(train: train, test: test, config: config)
        XCTAssertEqual(a.epochLosses, b.epochLosses)
        var normalised = config
        normalised.normalizeFeatures = true
        let c = try LinearProbe.run(train: train, test: test, config: normalised)
        XCTAssertNotEqual(a.epochLosses, c.epochLosses)
        XCTAssertGreaterThan(c.testAccuracy, 0.9)
    }

    func testBadInputsAreErrors() throws {
        XCTAssertThrowsError(try LabelledFeatures(features: [1, 2, 3], labels: [0, 1], dimension: 2, source: "f.npy")) { error in
            XCTAssertTrue("\(error)".contains("f.npy"), "\(error)")
        }
        XCTAssertThrowsError(try LabelledFeatures(features: [1, 2], labels: [-1], dimension: 2, source: "f"))
        XCTAssertThrowsError(try LabelledFeatures(features: [1, .nan], labels: [0], dimension: 2, source: "f"))
        let two = try LabelledFeatures(features: [1, 2, 3, 4], labels: [0, 1], dimension: 2, source: "a")
        let three = try LabelledFeatures(features: [1, 2, 3], labels: [0], dimension: 3, source: "b")
        XCTAssertThrowsError(try LinearProbe.run(train: two, test: three, config: config))
        XCTAssertThrowsError(try LinearProbe.run(train: two, test: two, config: LinearProbeConfig(epochs: 0)))
    }
}
