/// Evaluates the posterior π, the data prediction m = πA (LZN-ALGORITHM §1.2–1.3, §1.8) and their
/// vector–Jacobian products (Appendix B) for a batch of B query rows against one anchor set, with
/// GEMMs and O(B·N + B·D) scratch memory, never B×N×D.
final class PosteriorWorkspace<T: FlowScalar> {
    let anchors: AnchorSet<T>
    let batch: Int
    /// 2B×N. After `evaluate`, rows 0..<B hold π. During `accumulateGradient`, rows 0..<B hold
    /// the weighted score gradients W and rows B..<2B hold π.
    let scores: UnsafeMutablePointer<T>
    /// 2B×D: [X; G] stacked, for the one-GEMM anchor gradient Wᵀ X + Πᵀ G.
    let stacked: UnsafeMutablePointer<T>
    let bias: UnsafeMutablePointer<T>
    let rowTotals: UnsafeMutablePointer<Double>
    let columnTotals: UnsafeMutablePointer<T>
    let ones: UnsafeMutablePointer<T>
    /// Float64 scratch for small-t float32 evaluations (B×N scores, B×D queries, N biases).
    let wideScores: UnsafeMutablePointer<Double>?
    let wideQueries: UnsafeMutablePointer<Double>?
    let wideBias: UnsafeMutablePointer<Double>?

    init(anchors: AnchorSet<T>, batch: Int) {
        self.anchors = anchors
        self.batch = batch
        let n = anchors.count, d = anchors.dimension
        scores = .allocate(capacity: 2 * batch * n)
        stacked = .allocate(capacity: 2 * batch * d)
        bias = .allocate(capacity: n)
        rowTotals = .allocate(capacity: batch)
        columnTotals = .allocate(capacity: n)
        ones = .allocate(capacity: batch)
        ones.initialize(repeating: 1, count: batch)
        if anchors.wideValues != nil {
            wideScores = .allocate(capacity: batch * n)
            wideQueries = .allocate(capacity: batch * d)
            wideBias = .allocate(capacity: n)
        } else {
            wideScores = nil
            wideQueries = nil
            wideBias = nil
        }
    }

    deinit {
        scores.deallocate()
        stacked.deallocate()
        bias.deallocate()
        rowTotals.deallocate()
        columnTotals.deallocate()
        ones.deallocate()
        wideScores?.deallocate()
        wideQueries?.deallocate()
        wideBias?.deallocate()
    }

    /// π for the queries `x` (B×D) at time t, into `scores` rows 0..<B (see `probabilities`).
    /// When `rawProducts` is true, rows 0..<B already hold x·a_j (native precision path only).
    private func computeProbabilities(x: UnsafePointer<T>, t: Double, rawProducts: Bool) {
        let n = anchors.count, d = anchors.dimension, b = batch
        let c = 1 - t
        let scale = c / (t * t)
        if anchors.usesWideDistances(at: t), let wideScores, let wideQueries, let wideBias,
           let wideAnchors = anchors.wideValues {
            for i in 0..<(b * d) { wideQueries[i] = x[i].doubleValue }
            Double.gemm(transposeA: false, transposeB: true, m: b, n: n, k: d, alpha: 1,
                        a: wideQueries, lda: d, b: wideAnchors, ldb: d, beta: 0, c: wideScores, ldc: n)
            anchors.scoreBias(t: t, into: wideBias)
            let out = scores
            RowParallel.forEachChunk(b) { rows in
                for row in rows {
                    PosteriorRows.softmax(scores: wideScores + row * n, bias: wideBias, scale: scale,
                                          count: n, out: out + row * n)
                }
            }
        } else {
            if !rawProducts {
                T.gemm(transposeA: false, transposeB: true, m: b, n: n, k: d, alpha: 1,
                       a: x, lda: d, b: anchors.values, ldb: d, beta: 0, c: scores, ldc: n)
            }
            anchors.scoreBias(t: t, into: bias)
            let scores = self.scores, bias = self.bias, tScale = T(scale)
            RowParallel.forEachChunk(b) { rows in
                for row in rows {
                    PosteriorRows.softmax(scores: scores + row * n, bias: bias, scale: tScale,
                                          count: n, out: scores + row * n)
                }
            }
        }
    }

    /// Row-normalised posterior of the last `evaluate` (B×N, valid until the next call).
    var probabilities: UnsafePointer<T> { UnsafePointer(scores) }

    /// π (into `probabilities`) and the data prediction m = πA (into `mean`, B×D).
    func evaluate(x: UnsafePointer<T>, t: Double, mean: UnsafeMutablePointer<T>) {
        computeProbabilities(x: x, t: t, rawProducts: false)
        T.gemm(transposeA: false, transposeB: false, m: batch, n: anchors.dimension, k: anchors.count,
               alpha: 1, a: scores, lda: anchors.count, b: anchors.values, ldb: anchors.dimension,
               beta: 0, c: mean, ldc: anchors.dimension)
    }

    /// Adds the VJP of (m, π) at (x, t) to `xGradient` (B×D) and `anchorGradient` (N×D), given the
    /// upstream gradient on m (`meanGradient`, B×D, nil = zero) and sparse upstream gradients on π.
    /// π is recomputed here (activation checkpointing: the forward keeps only x).
    func accumulateGradient(x: UnsafePointer<T>, t: Double, meanGradient: UnsafePointer<T>?,
                            probabilityGradient: [ProbabilityGradientEntry<T>],
                            xGradient: UnsafeMutablePointer<T>, anchorGradient: UnsafeMutablePointer<T>) {
        let n = anchors.count, d = anchors.dimension, b = batch
        let c = 1 - t
        let hasMeanGradient = meanGradient != nil
        stacked.update(from: x, count: b * d)
        if let meanGradient { (stacked + b * d).update(from: meanGradient, count: b * d) }
        let wide = anchors.usesWideDistances(at: t)
        // Rows 0..<B: x·a_j (native path); rows B..<2B: u = g_m·a_j (+ g_π below).
        if !wide && hasMeanGradient {
            T.gemm(transposeA: false, transposeB: true, m: 2 * b, n: n, k: d, alpha: 1,
                   a: stacked, lda: d, b: anchors.values, ldb: d, beta: 0, c: scores, ldc: n)
        } else {
            if !wide {
                T.gemm(transposeA: false, transposeB: true, m: b, n: n, k: d, alpha: 1,
                       a: stacked, lda: d, b: anchors.values, ldb: d, beta: 0, c: scores, ldc: n)
            }
            if hasMeanGradient {
                T.gemm(transposeA: false, transposeB: true, m: b, n: n, k: d, alpha: 1,
                       a: stacked + b * d, lda: d, b: anchors.values, ldb: d, beta: 0,
                       c: scores + b * n, ldc: n)
            } else {
                (scores + b * n).update(repeating: 0, count: b * n)
            }
        }
        let upstream = scores + b * n
        for entry in probabilityGradient { upstream[entry.row * n + entry.column] += entry.value }

        // Probabilities into a spare buffer row by row would cost B×N more memory; instead the
        // softmax writes π into rows 0..<B, then the score-gradient kernel swaps: W → rows 0..<B,
        // π → rows B..<2B.
        computeProbabilities(x: x, t: t, rawProducts: !wide)
        let factor = T(c / (t * t))
        let scores = self.scores, rowTotals = self.rowTotals
        RowParallel.forEachChunk(b) { rows in
            let piRow = UnsafeMutablePointer<T>.allocate(capacity: n)
            defer { piRow.deallocate() }
            for row in rows {
                piRow.update(from: scores + row * n, count: n)
                rowTotals[row] = PosteriorRows.scoreGradient(
                    probabilities: piRow, upstream: upstream + row * n, count: n, factor: factor,
                    weightedOut: scores + row * n)
            }
        }

        // g_x += W A − (Σ_j g_s,j / t²) x
        T.gemm(transposeA: false, transposeB: false, m: b, n: d, k: n, alpha: 1, a: scores, lda: n,
               b: anchors.values, ldb: d, beta: 1, c: xGradient, ldc: d)
        let inverseT2 = 1 / (t * t)
        for row in 0..<b {
            let coefficient = T(rowTotals[row] * inverseT2)
            if coefficient == 0 { continue }
            let gx = xGradient + row * d, xr = x + row * d
            for k in 0..<d { gx[k] -= coefficient * xr[k] }
        }

        // g_A += Wᵀ X + Πᵀ G − c (Σ_b W_bj) a_j
        T.gemm(transposeA: true, transposeB: false, m: n, n: d, k: hasMeanGradient ? 2 * b : b,
               alpha: 1, a: scores, lda: n, b: stacked, ldb: d, beta: 1, c: anchorGradient, ldc: d)
        T.gemvTransposed(m: b, n: n, alpha: 1, a: scores, lda: n, x: ones, beta: 0, y: columnTotals)
        let tc = T(c)
        for j in 0..<n {
            let coefficient = tc * columnTotals[j]
            if coefficient == 0 { continue }
            let ga = anchorGradient + j * d, aj = anchors.values + j * d
            for k in 0..<d { ga[k] -= coefficient * aj[k] }
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
