import TestSupport
import XCTest
@testable import Engine

/// GroupNormKernels against the definition in Double, with gradients by the chain rule written out naively.
final class KernelGroupNormTests: XCTestCase {
    func testForwardAndBackwardMatchTheDefinition() {
        for (g, seed) in [(GroupNormGeometry(batch: 3, channels: 8, plane: 10, groups: 4), UInt64(1)),
                          (GroupNormGeometry(batch: 2, channels: 6, plane: 49, groups: 1), 2),
                          (GroupNormGeometry(batch: 2, channels: 4, plane: 3, groups: 4), 3)] {
            check(g, seed: seed)
        }
    }

    func testConstantGroupGivesBiasAndFiniteGradient() {
        let g = GroupNormGeometry(batch: 1, channels: 2, plane: 4, groups: 1)
        let x = [Float](repeating: 3, count: g.count)
        let result = run(g, x: x, gamma: [2, 5], beta: [0.5, -1], dy: KernelTestSupport.randomValues(g.count, seed: 9), eps: 1e-5)
        XCTAssertEqual(result.y, [0.5, 0.5, 0.5, 0.5, -1, -1, -1, -1])
        XCTAssertTrue(result.dx.allSatisfy { $0.isFinite })
    }

    func testFusedSiLUMatchesGroupNormThenSiLU() {
        // Planes below one 16-lane block, exactly two, and 3 blocks plus a last one overlapping the third.
        for plane in [7, 32, 49] { checkFusedSiLU(GroupNormGeometry(batch: 2, channels: 6, plane: plane, groups: 3)) }
    }

    private func checkFusedSiLU(_ g: GroupNormGeometry) {
        let x = KernelTestSupport.randomValues(g.count, seed: 40, low: -2, high: 2)
        let gamma = KernelTestSupport.randomValues(g.channels, seed: 41, low: 0.5, high: 1.5)
        let beta = KernelTestSupport.randomValues(g.channels, seed: 42)
        let dy = KernelTestSupport.randomValues(g.count, seed: 43)
        let plain = run(g, x: x, gamma: gamma, beta: beta, dy: dy, eps: 1e-5)
        let sigmoid = { (z: Float) -> Float in 1 / (1 + Foundation.exp(-z)) }
        // The fused op's gradient is the plain op's gradient at dz = dy·SiLU′(z).
        let dz = zip(plain.y, dy).map { z, d in d * sigmoid(z) * (1 + z * (1 - sigmoid(z))) }
        let chained = run(g, x: x, gamma: gamma, beta: beta, dy: dz, eps: 1e-5)
        for wantInputGrad in [true, false] {
            let fused = run(g, x: x, gamma: gamma, beta: beta, dy: dy, eps: 1e-5, applySiLU: true, wantInputGrad: wantInputGrad)
            assertClose(fused.y, plain.y.map { $0 * sigmoid($0) }, tolerance: 1e-5, relative: true, "fused output, plane \(g.plane)")
            if wantInputGrad { assertClose(fused.dx, chained.dx, tolerance: 1e-4, relative: true, "fused input gradient, plane \(g.plane)") }
            assertClose(fused.dgamma, chained.dgamma, tolerance: 1e-4, relative: true, "fused weight gradient, plane \(g.plane)")
            assertClose(fused.dbeta, chained.dbeta, tolerance: 1e-4, relative: true, "fused bias gradient, plane \(g.plane)")
        }
    }

    private func check(_ g: GroupNormGeometry, seed: UInt64, file: StaticString = #filePath, line: UInt = #line) {
        let x = KernelTestSupport.randomValues(g.count, seed: seed, low: -2, high: 3)
        let gamma = KernelTestSupport.randomValues(g.channels, seed: seed + 10, low: 0.5, high: 1.5)
        let beta = KernelTestSupport.randomValues(g.channels, seed: seed + 20)
        let dy = KernelTestSupport.randomValues(g.count, seed: seed + 30)
        let eps: Float = 1e-5
        let actual = run(g, x: x, gamma: gamma, beta: beta, dy: dy, eps: eps)

        // Reference: y = xhat·γ + β; dx from the explicit Jacobian of xhat over each group.
        var y = [Double](repeating: 0, count: g.count), dx = y
        var dgamma = [Double](repeating: 0, count: g.channels), dbeta = dgamma
        let size = g.count / (g.batch * g.groups), perGroup = g.channels / g.groups
        for item in 0..<(g.batch * g.groups) {
            let range = (item * size)..<((item + 1) * size)
            let mean = range.reduce(0.0) { $0 + Double(x[$1]) } / Double(size)
            let variance = range.reduce(0.0) { $0 + pow(Double(x[$1]) - mean, 2) } / Double(size)
            let rstd = 1 / (variance + Double(eps)).squareRoot()
            let channel = { (i: Int) in (item % g.groups) * perGroup + (i - range.lowerBound) / g.plane }
            for i in range {
                let xhat = (Double(x[i]) - mean) * rstd
                y[i] = xhat * Double(gamma[channel(i)]) + Double(beta[channel(i)])
                dgamma[channel(i)] += Double(dy[i]) * xhat
                dbeta[channel(i)] += Double(dy[i])
            }
            for i in range {
                var sum = 0.0
                for j in range {
                    // ∂xhat_j/∂x_i = rstd·(δij − 1/M − xhat_i·xhat_j/M)
                    let xi = (Double(x[i]) - mean) * rstd, xj = (Double(x[j]) - mean) * rstd
                    let jacobian = rstd * ((i == j ? 1 : 0) - 1 / Double(size) - xi * xj / Double(size))
                    sum += Double(dy[j]) * Double(gamma[channel(j)]) * jacobian
                }
                dx[i] = sum
            }
        }
        let f = { (v: [Double]) in v.map(Float.init) }
        assertClose(actual.y, f(y), tolerance: 1e-5, relative: true, "output", file: file, line: line)
        assertClose(actual.dx, f(dx), tolerance: 1e-4, relative: true, "input gradient", file: file, line: line)
        assertClose(actual.dgamma, f(dgamma), tolerance: 1e-4, relative: true, "weight gradient", file: file, line: line)
        assertClose(actual.dbeta, f(dbeta), tolerance: 1e-5, relative: true, "bias gradient", file: file, line: line)
    }

    private func run(_ g: GroupNormGeometry, x: [Float], gamma: [Float], beta: [Float], dy: [Float], eps: Float,
                     applySiLU: Bool = false, wantInputGrad: Bool = true)
        -> (y: [Float], dx: [Float], dgamma: [Float], dbeta: [Float]) {
        var y = [Float](repeating: .nan, count: g.count), dx = y
        var mean = [Float](repeating: .nan, count: g.statisticsCount), rstd = mean
        var dgamma = [Float](repeating: .nan, count: g.channels), dbeta = dgamma
        y.withUnsafeMutableBufferPointer { yp in
            mean.withUnsafeMutableBufferPointer { mp in
                rstd.withUnsafeMutableBufferPointer { rp in
                    GroupNormKernels.forward(input: x, weight: gamma, bias: beta, output: yp.baseAddress!,
                                             mean: mp.baseAddress!, rstd: rp.baseAddress!, geometry: g, eps: eps,
                                             applySiLU: applySiLU)
                }
            }
        }
        dx.withUnsafeMutableBufferPointer { dxp in
            dgamma.withUnsafeMutableBufferPointer { dgp in
                dbeta.withUnsafeMutableBufferPointer { dbp in
                    GroupNormKernels.backward(input: x, weight: gamma, bias: beta, mean: mean, rstd: rstd, outputGrad: dy, geometry: g,
                                              inputGrad: wantInputGrad ? dxp.baseAddress : nil, weightGrad: dgp.baseAddress,
                                              biasGrad: dbp.baseAddress, applySiLU: applySiLU)
                }
            }
        }
        return (y, dx, dgamma, dbeta)
    }
}
