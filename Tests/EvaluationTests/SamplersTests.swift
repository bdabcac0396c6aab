import XCTest
@testable import Evaluation

final class SamplersTests: XCTestCase {
    /// Exact rectified-flow velocity when data is N(m, s²) per component and noise N(0, 1):
    /// the flow carries x₀ (at τ = 0) to m + s·x₀ (at τ = 1) along x(τ) = τm + σ(τ)x₀.
    static func gaussianVelocity(mean m: Float, std s: Float) -> ImageVelocity {
        { x, tau in
            let variance = tau * tau * s * s + (1 - tau) * (1 - tau)
            let gain = (tau * s * s - (1 - tau)) / variance
            return x.map { m + gain * ($0 - tau * m) }
        }
    }

    func testEulerEvaluatesAtTheSpecifiedTimesWithNFEEqualSteps() throws {
        var taus: [Float] = []
        let constant: ImageVelocity = { x, tau in taus.append(tau); return [Float](repeating: 2, count: x.count) }
        let sampled = try EulerSampler(steps: 10).sample(noise: [0, 1], velocity: constant)
        XCTAssertEqual(sampled.nfe, 10)
        XCTAssertEqual(sampled.x[0], 2 * 0.999, accuracy: 1e-5)
        XCTAssertEqual(sampled.x[1], 1 + 2 * 0.999, accuracy: 1e-5)
        XCTAssertEqual(taus.first!, 1e-3, accuracy: 1e-7)
        XCTAssertEqual(taus.last!, 1e-3 + 9 * 0.0999, accuracy: 1e-6)

        taus = []
        let inverted = try EulerSampler(steps: 10).invert(image: [0, 1], velocity: constant)
        XCTAssertEqual(inverted.nfe, 10)
        XCTAssertEqual(inverted.x[0], -2 * 0.999, accuracy: 1e-5)  // no straight-line correction
        XCTAssertEqual(taus[0], 1)
        XCTAssertEqual(taus[1], 0.9001, accuracy: 1e-6)
        XCTAssertEqual(taus.last!, 0.1009, accuracy: 1e-6)
    }

    func testSamplersCarryNoiseToTheGaussianTransportMap() throws {
        let noise: [Float] = [-1.5, -0.3, 0, 0.7, 2.1]
        let velocity = Self.gaussianVelocity(mean: 0.5, std: 0.4)
        let rk45 = try RK45Sampler(rtol: 1e-5, atol: 1e-5).sample(noise: noise, velocity: velocity)
        let euler = try EulerSampler(steps: 1000).sample(noise: noise, velocity: velocity)
        for (i, z) in noise.enumerated() {
            // The state at τ = ε is the noise itself, so the end point is m + s·z up to O(ε).
            XCTAssertEqual(rk45.x[i], 0.5 + 0.4 * z, accuracy: 4e-3)
            XCTAssertEqual(euler.x[i], rk45.x[i], accuracy: 5e-3)
        }
    }

    /// Sample then invert; the values at rtol = atol = 1e-3 and the NFEs are SciPy 1.17's on the same
    /// float32 field (`solve_ivp` forward from τ = 1e-3, backward from τ = 1, straight-line correction).
    func testRK45InverseRecoversNoiseLikeSciPyAndTighterToleranceCostsMoreNFE() throws {
        let noise: [Float] = [-1.2, 0.1, 0.9, 1.7]
        let velocity = Self.gaussianVelocity(mean: -0.2, std: 0.6)
        let scipy: [Double: (sample: Int, invert: Int)] = [1e-3: (14, 20), 1e-5: (32, 26), 1e-7: (74, 68)]
        for tolerance in [1e-3, 1e-5, 1e-7] {
            let sampler = RK45Sampler(rtol: tolerance, atol: tolerance)
            let image = try sampler.sample(noise: noise, velocity: velocity)
            let recovered = try sampler.invert(image: image.x, velocity: velocity)
            XCTAssertEqual(image.nfe, scipy[tolerance]!.sample, "rtol \(tolerance)")
            XCTAssertEqual(recovered.nfe, scipy[tolerance]!.invert, "rtol \(tolerance)")
            if tolerance == 1e-3 {
                let reference: [Float] = [-1.22283211, 0.10212352, 0.91748078, 1.73283823]
                for i in noise.indices { XCTAssertEqual(recovered.x[i], reference[i], accuracy: 2e-5) }
            } else {
                for i in noise.indices { XCTAssertEqual(recovered.x[i], noise[i], accuracy: 2e-3) }
            }
        }
    }

    func testSamplerEnumDispatchesAndNames() throws {
        let velocity = Self.gaussianVelocity(mean: 0, std: 1)
        XCTAssertEqual(ImageSampler.euler(steps: 10).name, "euler10")
        XCTAssertEqual(ImageSampler.rk45(rtol: 1e-5, atol: 1e-5).name, "rk45")
        XCTAssertEqual(try ImageSampler.euler(steps: 7).sample(noise: [0.3], velocity: velocity).nfe, 7)
        XCTAssertGreaterThan(try ImageSampler.rk45(rtol: 1e-5, atol: 1e-5).invert(image: [0.3], velocity: velocity).nfe, 2)
    }

    func testBadStepsAndVelocityShapesAreErrors() {
        XCTAssertThrowsError(try EulerSampler(steps: 0).sample(noise: [0], velocity: { x, _ in x }))
        XCTAssertThrowsError(try EulerSampler(steps: 3).sample(noise: [0, 1], velocity: { _, _ in [0] }))
        XCTAssertThrowsError(try RK45Sampler().sample(noise: [0, 1], velocity: { _, _ in [0] }))
    }
}
