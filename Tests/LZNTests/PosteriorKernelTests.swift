import TestSupport
import XCTest
@testable import LZN

/// The tiled kernel's three ways to the same gradient: the posterior kept by the forward,
/// recomputed in the backward, and (for a concentrated posterior) sums over its nonzeros instead
/// of dense products.
final class PosteriorKernelTests: XCTestCase {
    private struct Gradients {
        var x: [Double]
        var anchors: [Double]
    }

    private func gradient<P: FlowScalar>(_ kernel: PosteriorKernel<P>, x: [Double], t: Double, meanGradient: [Double],
                                          entries: [ProbabilityGradientEntry<Double>], kept: Bool,
                                          afterForward: (PosteriorKernel<P>) -> Void = { _ in }) -> Gradients {
        var mean = [Double](repeating: 0, count: x.count)
        var gx = [Double](repeating: 0, count: x.count)
        var ga = [Double](repeating: 0, count: kernel.count * kernel.dimension)
        x.withUnsafeBufferPointer { xb in
            _ = mean.withUnsafeMutableBufferPointer { mb in
                kernel.evaluate(x: xb.baseAddress!, t: t, mean: mb.baseAddress!, recording: false, keptAs: kept ? 0 : nil)
            }
            afterForward(kernel)
            meanGradient.withUnsafeBufferPointer { gb in
                gx.withUnsafeMutableBufferPointer { gxb in
                    ga.withUnsafeMutableBufferPointer { gab in
                        kernel.accumulateGradient(x: xb.baseAddress!, t: t, meanGradient: gb.baseAddress!, probabilityGradient: entries,
                                                  xGradient: gxb.baseAddress!, anchorGradient: gab.baseAddress!, keptAs: kept ? 0 : nil)
                    }
                }
            }
        }
        return Gradients(x: gx, anchors: ga)
    }

    private func check<P: FlowScalar>(_: P.Type, tolerance: Double) throws {
        var random = TestRandom(seed: 11)
        let b = 37, d = 5  // 4 tiles of 10, 10, 10 and 7 rows
        let anchors = random.matrix(b, d, scale: 10)
        let noise = random.matrix(b, d)
        let meanGradient = random.matrix(b, d).values
        let entries = (0..<b).map { ProbabilityGradientEntry(row: $0, column: ($0 * 7) % b, value: 0.5) }
        // t = 0.1: each query holds its own anchor's zone (a sparse posterior); t = 0.95: dense.
        for t in [0.1, 0.95] {
            let x = zip(anchors.values, noise.values).map { (1 - t) * $0 + 0.1 * t * $1 }
            func kernel(sparse: Bool) -> PosteriorKernel<P> {
                let kernel = anchors.values.withUnsafeBufferPointer {
                    PosteriorKernel<P>(anchors: $0.baseAddress!, count: b, dimension: d, logWeights: nil, batch: b)
                }
                kernel.allowsSparseTiles = sparse
                return kernel
            }
            let kept = gradient(kernel(sparse: true), x: x, t: t, meanGradient: meanGradient, entries: entries, kept: true) {
                XCTAssertEqual($0.keptSparseTiles(evaluation: 0), t < 0.5 ? 4 : 0, "\(P.self) t = \(t): sparse tiles")
            }
            let recomputed = gradient(kernel(sparse: true), x: x, t: t, meanGradient: meanGradient, entries: entries, kept: false)
            let dense = gradient(kernel(sparse: false), x: x, t: t, meanGradient: meanGradient, entries: entries, kept: false)
            XCTAssertEqual(kept.x, recomputed.x, "\(P.self) t = \(t): x gradient, kept vs recomputed")
            XCTAssertEqual(kept.anchors, recomputed.anchors, "\(P.self) t = \(t): anchor gradient, kept vs recomputed")
            // Relative to both gradients together: at a one-hot posterior the x gradient is ~0.
            XCTAssertLessThan(relativeL2(kept.x + kept.anchors, dense.x + dense.anchors), tolerance,
                              "\(P.self) t = \(t): gradients, tiles vs dense")
            XCTAssertGreaterThan(kept.anchors.map(abs).max()!, 0, "\(P.self) t = \(t): a gradient that is all zeros checks nothing")
        }
    }

    func testKeptRecomputedAndSparseTilesGiveTheDenseGradient() throws {
        try check(Double.self, tolerance: 1e-12)
        try check(Float.self, tolerance: 1e-5)
    }
}
