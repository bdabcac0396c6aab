import Engine
import Foundation

/// Evaluates the posterior π, the data prediction m = πA (LZN-ALGORITHM §1.2–1.3, §1.8) and their
/// vector–Jacobian products (Appendix B) for B query rows against one anchor set, with GEMMs in
/// precision P and O(B·N + B·D) scratch memory, never B×N×D. Queries, data predictions and
/// gradients cross the interface in float64 (the flow's state precision).
final class PosteriorKernel<P: FlowScalar> {
    let batch: Int
    let count: Int
    let dimension: Int
    /// N×D anchors in P, their squared norms, and log w_j (−∞ for zero weights; nil = uniform).
    let anchors: UnsafeMutablePointer<P>
    let squaredNorms: [Double]
    let logWeights: [Double]?
    /// 2B×N. After `evaluate`, rows 0..<B hold π. During `accumulateGradient`, rows 0..<B end
    /// up holding the weighted score gradients W and rows B..<2B holding π.
    let scores: UnsafeMutablePointer<P>
    /// 2B×D: the queries X and the data-prediction gradient G in precision P.
    let stacked: UnsafeMutablePointer<P>
    /// B×D and N×D GEMM outputs before they are added to the float64 accumulators.
    let pointOutput: UnsafeMutablePointer<P>
    let anchorOutput: UnsafeMutablePointer<P>
    let bias: UnsafeMutablePointer<P>
    let rowTotals: UnsafeMutablePointer<Double>
    let columnTotals: UnsafeMutablePointer<P>
    let ones: UnsafeMutablePointer<P>

    init(anchors source: UnsafePointer<Double>, count: Int, dimension: Int, logWeights: [Double]?, batch: Int) {
        self.batch = batch
        self.count = count
        self.dimension = dimension
        self.logWeights = logWeights
        anchors = .allocate(capacity: count * dimension)
        for i in 0..<(count * dimension) { anchors[i] = P(source[i]) }
        squaredNorms = (0..<count).map { j in
            var sum = 0.0
            for k in 0..<dimension { sum += source[j * dimension + k] * source[j * dimension + k] }
            return sum
        }
        scores = .allocate(capacity: 2 * batch * count)
        stacked = .allocate(capacity: 2 * batch * dimension)
        pointOutput = .allocate(capacity: batch * dimension)
        anchorOutput = .allocate(capacity: count * dimension)
        bias = .allocate(capacity: count)
        rowTotals = .allocate(capacity: batch)
        columnTotals = .allocate(capacity: count)
        ones = .allocate(capacity: batch)
        ones.initialize(repeating: 1, count: batch)
    }

    deinit {
        for pointer in [anchors, scores, stacked, pointOutput, anchorOutput, bias, columnTotals, ones] {
            pointer.deallocate()
        }
        rowTotals.deallocate()
    }

    /// Row-normalised posterior of the last `evaluate` (B×N, valid until the next call).
    var probabilities: UnsafePointer<P> { UnsafePointer(scores) }

    /// The per-anchor part of the score s_bj = (c/t²)·x_b·a_j + bias_j; the row constant
    /// −‖x_b‖²/(2t²) is dropped because the row max-shift removes it.
    private func fillBias(t: Double) {
        let c = 1 - t
        let factor = -0.5 * c * c / (t * t)
        for j in 0..<count { bias[j] = P(factor * squaredNorms[j] + (logWeights?[j] ?? 0)) }
    }

    /// π into rows 0..<B of `scores`, from the queries in rows 0..<B of `stacked`.
    private func computeProbabilities(t: Double, productsReady: Bool) {
        let n = count, b = batch
        if !productsReady {
            P.gemm(transposeA: false, transposeB: true, m: b, n: n, k: dimension, alpha: 1,
                   a: stacked, lda: dimension, b: anchors, ldb: dimension, beta: 0, c: scores, ldc: n)
        }
        fillBias(t: t)
        let scores = self.scores, bias = self.bias, scale = P((1 - t) / (t * t))
        Parallel.ranges(b, grain: 16) { rows in
            for row in rows {
                PosteriorRows.softmax(scores: scores + row * n, bias: bias, scale: scale, count: n)
            }
        }
    }

    private func loadQueries(_ x: UnsafePointer<Double>, into destination: UnsafeMutablePointer<P>) {
        for i in 0..<(batch * dimension) { destination[i] = P(x[i]) }
    }

    /// π (into `probabilities`) and the data prediction m = πA (into `mean`, B×D).
    func evaluate(x: UnsafePointer<Double>, t: Double, mean: UnsafeMutablePointer<Double>) {
        loadQueries(x, into: stacked)
        computeProbabilities(t: t, productsReady: false)
        P.gemm(transposeA: false, transposeB: false, m: batch, n: dimension, k: count, alpha: 1,
               a: scores, lda: count, b: anchors, ldb: dimension, beta: 0, c: pointOutput, ldc: dimension)
        for i in 0..<(batch * dimension) { mean[i] = pointOutput[i].doubleValue }
    }

    /// Adds the VJP of (m, π) at (x, t) to `xGradient` (B×D) and `anchorGradient` (N×D), given the
    /// upstream gradient on m (`meanGradient`, B×D, nil = zero) and sparse upstream gradients on π.
    /// π is recomputed here (activation checkpointing: the forward keeps only x).
    func accumulateGradient(x: UnsafePointer<Double>, t: Double, meanGradient: UnsafePointer<Double>?,
                            probabilityGradient: [ProbabilityGradientEntry<Double>],
                            xGradient: UnsafeMutablePointer<Double>, anchorGradient: UnsafeMutablePointer<Double>) {
        let n = count, d = dimension, b = batch
        let c = 1 - t
        loadQueries(x, into: stacked)
        if let meanGradient { loadQueries(meanGradient, into: stacked + b * d) }
        // Rows 0..<B: x_b·a_j; rows B..<2B: u_bj = g_m,b·a_j (+ g_π,bj). Separate GEMMs: OpenBLAS
        // runs two B-row products faster than one 2B-row product here.
        P.gemm(transposeA: false, transposeB: true, m: b, n: n, k: d, alpha: 1,
               a: stacked, lda: d, b: anchors, ldb: d, beta: 0, c: scores, ldc: n)
        let upstream = scores + b * n
        if meanGradient != nil {
            P.gemm(transposeA: false, transposeB: true, m: b, n: n, k: d, alpha: 1,
                   a: stacked + b * d, lda: d, b: anchors, ldb: d, beta: 0, c: upstream, ldc: n)
        } else {
            upstream.update(repeating: 0, count: b * n)
        }
        for entry in probabilityGradient { upstream[entry.row * n + entry.column] += P(entry.value) }
        computeProbabilities(t: t, productsReady: true)

        let factor = P(c / (t * t))
        let scores = self.scores, rowTotals = self.rowTotals
        Parallel.ranges(b, grain: 16) { rows in
            let piRow = UnsafeMutablePointer<P>.allocate(capacity: n)
            defer { piRow.deallocate() }
            for row in rows {
                piRow.update(from: scores + row * n, count: n)
                rowTotals[row] = PosteriorRows.scoreGradient(
                    probabilities: piRow, upstream: upstream + row * n, count: n, factor: factor,
                    weightedOut: scores + row * n)
            }
        }

        // g_x += W A − (Σ_j g_s,j / t²) x
        P.gemm(transposeA: false, transposeB: false, m: b, n: d, k: n, alpha: 1, a: scores, lda: n,
               b: anchors, ldb: d, beta: 0, c: pointOutput, ldc: d)
        let inverseT2 = 1 / (t * t)
        for row in 0..<b {
            let coefficient = rowTotals[row] * inverseT2
            for k in 0..<d {
                let i = row * d + k
                xGradient[i] += pointOutput[i].doubleValue - coefficient * x[i]
            }
        }

        // g_A += Wᵀ X + Πᵀ G − c (Σ_b W_bj) a_j (two K = B products: faster than one K = 2B product)
        P.gemm(transposeA: true, transposeB: false, m: n, n: d, k: b,
               alpha: 1, a: scores, lda: n, b: stacked, ldb: d, beta: 0, c: anchorOutput, ldc: d)
        if meanGradient != nil {
            P.gemm(transposeA: true, transposeB: false, m: n, n: d, k: b, alpha: 1, a: upstream, lda: n,
                   b: stacked + b * d, ldb: d, beta: 1, c: anchorOutput, ldc: d)
        }
        P.gemvTransposed(m: b, n: n, alpha: 1, a: scores, lda: n, x: ones, beta: 0, y: columnTotals)
        for j in 0..<n {
            let coefficient = P(c) * columnTotals[j]
            for k in 0..<d {
                let i = j * d + k
                anchorGradient[i] += (anchorOutput[i] - coefficient * anchors[i]).doubleValue
            }
        }
    }
}

/// One entry of a sparse upstream gradient on the posterior π of one evaluation.
public struct ProbabilityGradientEntry<T: FlowScalar>: Equatable, Sendable {
    public var row: Int
    public var column: Int
    public var value: T
    public init(row: Int, column: Int, value: T) {
        self.row = row
        self.column = column
        self.value = value
    }
}
