import Engine
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
    @inline(__always)
    static func softmax<P: FlowScalar>(scores: UnsafeMutablePointer<P>, bias: UnsafePointer<P>, scale: P, count n: Int) {
        if P.self == Float.self {
            softmax16(scores: UnsafeMutableRawPointer(scores).assumingMemoryBound(to: Float.self),
                      bias: UnsafeRawPointer(bias).assumingMemoryBound(to: Float.self), scale: Float(scale.doubleValue), count: n)
        } else {
            softmaxScalar(scores: scores, bias: bias, scale: scale, count: n)
        }
    }

    @_specialize(where P == Double)
    static func softmaxScalar<P: FlowScalar>(scores: UnsafeMutablePointer<P>, bias: UnsafePointer<P>, scale: P, count n: Int) {
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

    /// The float32 softmax on 16 lanes (`fastExp`: relative error below 3e-7, float32 rounding).
    static func softmax16(scores: UnsafeMutablePointer<Float>, bias: UnsafePointer<Float>, scale: Float, count n: Int) {
        typealias V = SIMD16<Float>
        let vectorEnd = n & ~15
        var maxima = V(repeating: -.infinity)
        var j = 0
        while j < vectorEnd {
            let s = UnsafeRawPointer(bias + j).loadUnaligned(as: V.self)
                .addingProduct(UnsafeRawPointer(scores + j).loadUnaligned(as: V.self), scale)
            UnsafeMutableRawPointer(scores + j).storeBytes(of: s, as: V.self)
            maxima.replace(with: s, where: s .> maxima)  // pointwiseMax compiles to a lane-by-lane loop here
            j += 16
        }
        var maxScore = maxima.max()
        for j in vectorEnd..<n {
            let s = scale * scores[j] + bias[j]
            scores[j] = s
            maxScore = max(maxScore, s)
        }
        let floor = Float(flushBound(Float.self, count: n))
        var sums = V(repeating: 0)
        j = 0
        while j < vectorEnd {
            let shifted = UnsafeRawPointer(scores + j).loadUnaligned(as: V.self) - maxScore
            let kept = shifted .> floor
            // A concentrated posterior (each query near its own anchor) leaves most lanes below the floor.
            let p = any(kept) ? fastExp(shifted).replacing(with: 0, where: .!kept) : V(repeating: 0)
            UnsafeMutableRawPointer(scores + j).storeBytes(of: p, as: V.self)
            sums += p
            j += 16
        }
        var sum = Double(sums.sum())
        for j in vectorEnd..<n {
            let shifted = scores[j] - maxScore
            let p = shifted > floor ? fastExp(shifted) : 0
            sum += Double(p)
            scores[j] = p
        }
        let inverse = Float(1 / sum)
        j = 0
        while j < vectorEnd {
            let p = UnsafeRawPointer(scores + j).loadUnaligned(as: V.self) * inverse
            UnsafeMutableRawPointer(scores + j).storeBytes(of: p, as: V.self)
            j += 16
        }
        for j in vectorEnd..<n { scores[j] *= inverse }
    }

    /// The VJP of the posterior through the scores for one row, in place. On entry `scores[j]`
    /// holds π_j and `upstream[j]` u_j = a_j·g_m + g_π,j. On exit `scores[j]` holds (c/t²)·g_s,j
    /// (`factor` = c/t²) with g_s,j = π_j (u_j − Σ_k π_k u_k), `upstream` holds π (for the anchor
    /// gradient's products), and the return value is Σ_j g_s,j.
    @_specialize(where T == Float)
    @_specialize(where T == Double)
    static func scoreGradient<T: FlowScalar>(scores: UnsafeMutablePointer<T>, upstream: UnsafeMutablePointer<T>,
                                             count n: Int, factor: T) -> Double {
        var mean = 0.0
        for j in 0..<n { mean += (scores[j] * upstream[j]).doubleValue }
        let rho = T(mean)
        var total = 0.0
        let smallest = T.leastNormalMagnitude
        for j in 0..<n {
            let p = scores[j]
            let g = p * (upstream[j] - rho)
            total += g.doubleValue
            let weighted = factor * g
            scores[j] = abs(weighted) < smallest ? 0 : weighted  // no subnormal GEMM operands
            upstream[j] = p
        }
        return total
    }

    /// totals[j] += Σ_rows matrix[row, j] for a rows×n matrix.
    @_specialize(where T == Float)
    @_specialize(where T == Double)
    static func addColumnSums<T: FlowScalar>(_ matrix: UnsafePointer<T>, rows: Int, count n: Int,
                                             into totals: UnsafeMutablePointer<Double>) {
        for row in 0..<rows {
            let values = matrix + row * n
            for j in 0..<n { totals[j] += values[j].doubleValue }
        }
    }
}
