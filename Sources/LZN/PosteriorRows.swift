import Foundation

/// Row kernels of the posterior (LZN-ALGORITHM §1.3, Appendix B), one query row at a time.
enum PosteriorRows {
    /// Shifted scores below this become exactly 0: their normalised probability would be below
    /// the smallest normal number (the sum is ≤ n), i.e. subnormal, and subnormal GEMM operands
    /// run ~10× slower on x86. Dropping terms under e⁻⁷⁸ (float32) relative to the row maximum 1
    /// changes nothing at working precision.
    @inline(__always)
    static func flushBound<T: FlowScalar>(_: T.Type, count n: Int) -> Double {
        T.logarithm(T.leastNormalMagnitude).doubleValue + Foundation.log(Double(max(n, 1))) + 1
    }

    /// Turns the raw products `scores[j]` = x·a_j of one row into its normalised posterior, in
    /// place: s_j = scale·scores[j] + bias[j], shifted by the row max, exponentiated, normalised.
    @_specialize(where P == Float)
    @_specialize(where P == Double)
    static func softmax<P: FlowScalar>(scores: UnsafeMutablePointer<P>, bias: UnsafePointer<P>, scale: P, count n: Int) {
        var maxScore = -P.infinity
        for j in 0..<n {
            let s = scale * scores[j] + bias[j]
            scores[j] = s
            if s > maxScore { maxScore = s }
        }
        let floor = P(flushBound(P.self, count: n))
        var sum = 0.0
        for j in 0..<n {
            let shifted = scores[j] - maxScore
            let p: P = shifted > floor ? P.exponential(shifted) : 0
            sum += p.doubleValue
            scores[j] = p
        }
        let inverse = P(1 / sum)
        for j in 0..<n { scores[j] *= inverse }
    }

    /// The VJP of the posterior through the scores for one row. On entry `upstream[j]` holds
    /// u_j = a_j·g_m + g_π,j and `probabilities` the row's π. On exit `weightedOut[j]` holds
    /// (c/t²)·g_s,j with g_s,j = π_j (u_j − Σ_k π_k u_k), `upstream` holds π (for the stacked
    /// anchor-gradient GEMM), and the return value is Σ_j g_s,j.
    @_specialize(where T == Float)
    @_specialize(where T == Double)
    static func scoreGradient<T: FlowScalar>(
        probabilities: UnsafePointer<T>, upstream: UnsafeMutablePointer<T>, count n: Int,
        factor: T, weightedOut: UnsafeMutablePointer<T>
    ) -> Double {
        var mean = 0.0
        for j in 0..<n { mean += (probabilities[j] * upstream[j]).doubleValue }
        let rho = T(mean)
        var total = 0.0
        let smallest = T.leastNormalMagnitude
        for j in 0..<n {
            let g = probabilities[j] * (upstream[j] - rho)
            total += g.doubleValue
            let weighted = factor * g
            weightedOut[j] = abs(weighted) < smallest ? 0 : weighted  // no subnormal GEMM operands
            upstream[j] = probabilities[j]
        }
        return total
    }
}
