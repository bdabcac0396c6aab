import XCTest
@testable import Evaluation

final class ReconstructionTests: XCTestCase {
    func testMeanL2DistanceAveragesPerImageNorms() throws {
        // Image 0 differs by (3, 4) → 5; image 1 is identical → 0.
        XCTAssertEqual(try Reconstruction.meanL2Distance([3, 4, 1, 1], [0, 0, 1, 1], count: 2), 2.5, accuracy: 1e-12)
        XCTAssertThrowsError(try Reconstruction.meanL2Distance([1, 2, 3], [1, 2, 3], count: 2))
        XCTAssertThrowsError(try Reconstruction.meanL2Distance([1, 2], [1], count: 1))
    }

    /// With the exact Gaussian velocity the flow is invertible: RK45 reconstructs almost exactly and
    /// Euler's first-order error shrinks with more steps.
    func testReconstructionErrorIsSmallForAnExactFlowAndShrinksWithEulerSteps() throws {
        let images: [Float] = [0.3, -0.2, 0.9, 0.1, 0.5, -0.7]
        let velocity = SamplersTests.gaussianVelocity(mean: 0.1, std: 0.5)
        let rk45 = try Reconstruction.run(images: images, count: 2, sampler: .rk45(rtol: 1e-6, atol: 1e-6), velocity: velocity)
        XCTAssertLessThan(rk45.error, 1e-3)
        XCTAssertEqual(rk45.reconstructions.count, images.count)
        let coarse = try Reconstruction.run(images: images, count: 2, sampler: .euler(steps: 10), velocity: velocity)
        let fine = try Reconstruction.run(images: images, count: 2, sampler: .euler(steps: 100), velocity: velocity)
        XCTAssertEqual(coarse.nfe, 20)
        XCTAssertLessThan(fine.error, coarse.error)
    }
}
