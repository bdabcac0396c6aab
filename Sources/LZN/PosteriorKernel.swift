import Engine
import Foundation

/// Evaluates the posterior π, the data prediction m = πA (LZN-ALGORITHM §1.2–1.3, §1.8) and their
/// vector–Jacobian products (Appendix B) for B query rows against one anchor set, in precision P.
///
/// The B×N work is cut into tiles of R query rows. A tile's scores, posterior and upstream products
/// stay in cache between its products; the tiles are split over the engine's workers in contiguous
/// runs (one single-threaded OpenBLAS call per product and tile), so for a given thread count every
/// sum is formed in the same order on every run. Scratch memory is O(R·N + N·D) per worker, never
/// B×N unless a caller records the whole posterior. A tile whose posterior is sparse (the forward
/// flows' early steps, where each query's own anchor takes all the mass) replaces its dense
/// products by sums over its nonzeros. Queries, data predictions and gradients cross the interface
/// in float64 (the flow's state precision).
final class PosteriorKernel<P: FlowScalar> {
    let batch: Int
    let count: Int
    let dimension: Int
    let tileRows: Int
    /// N×D anchors in P, their squared norms, and log w_j (−∞ for zero weights; nil = uniform).
    let anchors: UnsafeMutablePointer<P>
    let squaredNorms: [Double]
    let logWeights: [Double]?
    let bias: UnsafeMutablePointer<P>
    /// B×N, allocated on the first `evaluate` that records the posterior.
    private var recorded: UnsafeMutablePointer<P>?
    /// One per worker run of tiles; grown when the thread count grows.
    private var workspaces: [Workspace] = []
    /// Posterior tiles kept by `evaluate(keptAs:)` for the gradient of the same evaluation.
    private var keptByEvaluation: [Int: UnsafeMutablePointer<KeptTile?>] = [:]
    private var keptBytes = 0
    /// False runs every tile through the dense products (tests compare the two paths).
    var allowsSparseTiles = true

    /// What the forward keeps of the posterior, up to this many bytes per kernel; beyond it the
    /// backward recomputes (activation checkpointing: the flow itself keeps only the states x).
    static var keptBytesLimit: Int { 256 << 20 }

    /// A tile whose posterior has at most 1/16 of its entries nonzero is sparse: the sums over its
    /// nonzeros cost about as much per entry as a dense product per 16 entries.
    static func sparseCapacity(tileRows: Int, count: Int) -> Int { max(tileRows, tileRows * count / 16) }

    /// At most 128 rows (a tile's products then run near OpenBLAS's full speed while its R×N
    /// buffers stay within a few MB), and at least four tiles when the batch allows. Independent of
    /// the thread count, so that every tile, and whether it is sparse, is the same at any count.
    static func tileRows(batch: Int) -> Int { max(1, min(128, (batch + 3) / 4)) }

    init(anchors source: UnsafePointer<Double>, count: Int, dimension: Int, logWeights: [Double]?, batch: Int) {
        self.batch = batch
        self.count = count
        self.dimension = dimension
        self.logWeights = logWeights
        tileRows = Self.tileRows(batch: batch)
        anchors = .allocate(capacity: count * dimension)
        for i in 0..<(count * dimension) { anchors[i] = P(source[i]) }
        squaredNorms = (0..<count).map { j in
            var sum = 0.0
            for k in 0..<dimension { sum += source[j * dimension + k] * source[j * dimension + k] }
            return sum
        }
        bias = .allocate(capacity: count)
    }

    deinit {
        anchors.deallocate()
        bias.deallocate()
        recorded?.deallocate()
        for slots in keptByEvaluation.values { release(slots) }
    }

    // MARK: Forward

    /// π and the data prediction m = πA (into `mean`, B×D). With `recording`, also returns the
    /// whole B×N posterior (valid until the next call). With `keptAs` (the evaluation's index), the
    /// posterior's tiles are kept for `accumulateGradient(keptAs:)` of the same evaluation, which
    /// then skips recomputing them (same x, t and tiles: the same bits).
    @discardableResult
    func evaluate(x: UnsafePointer<Double>, t: Double, mean: UnsafeMutablePointer<Double>, recording: Bool,
                  keptAs evaluation: Int? = nil) -> UnsafePointer<P>? {
        fillBias(t: t)
        let n = count, d = dimension
        let scale = P((1 - t) / (t * t))
        var record: UnsafeMutablePointer<P>?
        if recording {
            if recorded == nil { recorded = .allocate(capacity: batch * count) }
            record = recorded
        }
        let kept = evaluation.map(newSlots)
        let keepDense = keptBytes + batch * count * MemoryLayout<P>.size <= Self.keptBytesLimit
        forEachTile { space, tile, rows in
            let r = rows.count
            let scores = space.pair
            load(x, rows: rows, into: space.stacked)
            products(space.stacked, rows: r, into: scores)
            for row in 0..<r {
                PosteriorRows.softmax(scores: scores + row * n, bias: bias, scale: scale, count: n)
            }
            record?.advanced(by: rows.lowerBound * n).update(from: scores, count: r * n)
            let out = mean + rows.lowerBound * d
            if allowsSparseTiles && space.gatherNonzeros(scores, rows: r) {
                out.update(repeating: 0, count: r * d)
                for row in 0..<r {
                    for entry in space.rowStarts[row]..<space.rowStarts[row + 1] {
                        addScaled(anchors + space.sparseColumns[entry] * d, space.sparseValues[entry].doubleValue, into: out + row * d)
                    }
                }
                kept?[tile] = .sparse(SparseTile(space, rows: r))
                return
            }
            if keepDense { kept?[tile] = .dense(Array(UnsafeBufferPointer(start: scores, count: r * n))) }
            P.gemm(transposeA: false, transposeB: false, m: r, n: d, k: n, alpha: 1,
                   a: scores, lda: n, b: anchors, ldb: d, beta: 0, c: space.output, ldc: d)
            for i in 0..<(r * d) { out[i] = space.output[i].doubleValue }
        }
        if let kept { for tile in 0..<tileCount { keptBytes += kept[tile]?.bytes ?? 0 } }
        return record.map { UnsafePointer($0) }
    }

    // MARK: Backward

    /// Adds the VJP of (m, π) at (x, t) to `xGradient` (B×D) and `anchorGradient` (N×D), given the
    /// upstream gradient on m (`meanGradient`, B×D, nil = zero) and sparse upstream gradients on π.
    /// π comes from the tiles kept by `evaluate(keptAs:)`, or is recomputed.
    func accumulateGradient(x: UnsafePointer<Double>, t: Double, meanGradient: UnsafePointer<Double>?,
                            probabilityGradient: [ProbabilityGradientEntry<Double>],
                            xGradient: UnsafeMutablePointer<Double>, anchorGradient: UnsafeMutablePointer<Double>,
                            keptAs evaluation: Int? = nil) {
        fillBias(t: t)
        let n = count, d = dimension
        let c = 1 - t
        let scale = P(c / (t * t)), inverseT2 = 1 / (t * t)
        let kept = evaluation.flatMap { keptByEvaluation.removeValue(forKey: $0) }
        defer { if let kept { release(kept) } }
        for space in preparedWorkspaces() { space.resetAnchorGradient() }
        let entries = EntriesByRow(probabilityGradient, batch: batch)
        let spaces = forEachTile { space, tile, rows in
            let r = rows.count
            // Rows 0..<r of `stacked` hold the queries X, rows r..<2r the gradient G on m; rows
            // 0..<r of `pair` the scores, then the weighted score gradients W; rows r..<2r the
            // upstream products u_bj = g_m,b·a_j + g_π,bj, then π.
            let queries = space.stacked, gradients = space.stacked + r * d
            let scores = space.pair, upstream = space.pair + r * n
            if let meanGradient { load(meanGradient, rows: rows, into: gradients) }
            let keptTile = kept?[tile]
            if case .sparse(let sparse) = keptTile {
                sparse.withRows { nonzeros in
                    sparseGradient(space, rows: rows, nonzeros: nonzeros, x: x, hasMeanGradient: meanGradient != nil,
                                   entries: entries, factor: scale, inverseT2: inverseT2, xGradient: xGradient)
                }
                return
            }
            load(x, rows: rows, into: queries)
            if case .dense(let probabilities) = keptTile {
                probabilities.withUnsafeBufferPointer { scores.update(from: $0.baseAddress!, count: r * n) }
                if meanGradient != nil { products(gradients, rows: r, into: upstream) }
            } else {
                products(queries, rows: meanGradient != nil ? 2 * r : r, into: scores)
                for row in 0..<r {
                    PosteriorRows.softmax(scores: scores + row * n, bias: bias, scale: scale, count: n)
                }
                if allowsSparseTiles && space.gatherNonzeros(scores, rows: r) {
                    sparseGradient(space, rows: rows, nonzeros: space.nonzeros, x: x, hasMeanGradient: meanGradient != nil,
                                   entries: entries, factor: scale, inverseT2: inverseT2, xGradient: xGradient)
                    return
                }
            }
            if meanGradient == nil { upstream.update(repeating: 0, count: r * n) }
            for row in 0..<r {
                for (column, value) in entries[rows.lowerBound + row] { upstream[row * n + column] += P(value) }
                space.rowTotals[row] = PosteriorRows.scoreGradient(
                    scores: scores + row * n, upstream: upstream + row * n, count: n, factor: scale)
            }
            // g_x += W A − (Σ_j g_s,j / t²) x
            P.gemm(transposeA: false, transposeB: false, m: r, n: d, k: n, alpha: 1, a: scores, lda: n,
                   b: anchors, ldb: d, beta: 0, c: space.output, ldc: d)
            for row in 0..<r {
                let coefficient = space.rowTotals[row] * inverseT2
                let base = (rows.lowerBound + row) * d
                for k in 0..<d {
                    xGradient[base + k] += space.output[row * d + k].doubleValue - coefficient * x[base + k]
                }
            }
            // The tile's Wᵀ X + Πᵀ G (one product over the stacked rows), summed over the worker's dense
            // tiles in P (GEMMs with β = 1 after the first), and Σ_b W_bj.
            P.gemm(transposeA: true, transposeB: false, m: n, n: d, k: meanGradient != nil ? 2 * r : r, alpha: 1,
                   a: scores, lda: n, b: queries, ldb: d, beta: space.hasDenseAnchorGradient ? 1 : 0,
                   c: space.denseAnchorGradient, ldc: d)
            space.hasDenseAnchorGradient = true
            PosteriorRows.addColumnSums(scores, rows: r, count: n, into: space.columnTotals)
        }
        // g_A += Σ_workers (Wᵀ X + Πᵀ G) − c (Σ_b W_bj) a_j, the workers' shares (sparse in float64, dense
        // in P) added in order.
        let anchorValues = anchors
        let denseSpaces = spaces.filter(\.hasDenseAnchorGradient)
        Parallel.ranges(n, grain: 64) { anchorRows in
            for j in anchorRows {
                var columnTotal = 0.0
                for space in spaces { columnTotal += space.columnTotals[j] }
                let coefficient = c * columnTotal
                for k in 0..<d {
                    let i = j * d + k
                    var sum = 0.0
                    for space in spaces { sum += space.anchorGradient[i] }
                    for space in denseSpaces { sum += space.denseAnchorGradient[i].doubleValue }
                    anchorGradient[i] += sum - coefficient * anchorValues[i].doubleValue
                }
            }
        }
    }

    /// The gradient of a sparse tile from its nonzeros: the dense path's sums over the entries
    /// where π > 0 (W and Π vanish elsewhere).
    private func sparseGradient(_ space: Workspace, rows: Range<Int>, nonzeros sparse: SparseRows<P>,
                                x: UnsafePointer<Double>, hasMeanGradient: Bool, entries: EntriesByRow, factor: P,
                                inverseT2: Double, xGradient: UnsafeMutablePointer<Double>) {
        let d = dimension
        let factor = factor.doubleValue, smallest = P.leastNormalMagnitude.doubleValue
        let upstream = space.pair  // u_bj per nonzero
        for row in 0..<rows.count {
            let b = rows.lowerBound + row
            let nonzeros = sparse.rowStarts[row]..<sparse.rowStarts[row + 1]
            let g = space.stacked + rows.count * d + row * d
            var rho = 0.0
            for entry in nonzeros {
                let j = sparse.columns[entry]
                var u = hasMeanGradient ? dot(g, anchors + j * d) : 0
                for (column, value) in entries[b] where column == j { u += value }
                upstream[entry] = P(u)
                rho += sparse.values[entry].doubleValue * u
            }
            var total = 0.0
            let gradientRow = xGradient + b * d, xRow = x + b * d
            for entry in nonzeros {
                let j = sparse.columns[entry]
                let p = sparse.values[entry].doubleValue
                let scoreGradient = p * (upstream[entry].doubleValue - rho)
                total += scoreGradient
                var weighted = factor * scoreGradient
                if abs(weighted) < smallest { weighted = 0 }
                addScaled(anchors + j * d, weighted, into: gradientRow)
                let anchorRow = space.anchorGradient + j * d
                for k in 0..<d {
                    var add = weighted * xRow[k]
                    if hasMeanGradient { add += p * g[k].doubleValue }
                    anchorRow[k] += add
                }
                space.columnTotals[j] += weighted
            }
            let coefficient = total * inverseT2
            for k in 0..<d { gradientRow[k] -= coefficient * xRow[k] }
        }
    }

    // MARK: Tiles and helpers

    private var tileCount: Int { (batch + tileRows - 1) / tileRows }

    /// Runs `body(workspace, tile, rows)` for every tile; each worker takes a contiguous run of tiles.
    @discardableResult
    private func forEachTile(_ body: (Workspace, _ tile: Int, Range<Int>) -> Void) -> ArraySlice<Workspace> {
        let spaces = preparedWorkspaces()
        let tiles = tileCount, runs = spaces.count
        let batch = self.batch, tileRows = self.tileRows
        Parallel.forEach(runs) { run in
            for tile in (tiles * run / runs)..<(tiles * (run + 1) / runs) {
                body(spaces[run], tile, tile * tileRows ..< min(batch, (tile + 1) * tileRows))
            }
        }
        return spaces
    }

    /// One workspace per run of tiles at the current thread count.
    private func preparedWorkspaces() -> ArraySlice<Workspace> {
        let runs = max(1, min(Parallel.threads, tileCount))
        while workspaces.count < runs {
            workspaces.append(Workspace(tileRows: tileRows, count: count, dimension: dimension))
        }
        return workspaces[0..<runs]
    }

    /// The per-anchor part of the score s_bj = (c/t²)·x_b·a_j + bias_j; the row constant
    /// −‖x_b‖²/(2t²) is dropped because the row max-shift removes it.
    private func fillBias(t: Double) {
        let c = 1 - t
        let factor = -0.5 * c * c / (t * t)
        for j in 0..<count { bias[j] = P(factor * squaredNorms[j] + (logWeights?[j] ?? 0)) }
    }

    /// The raw products of `rows` query rows with every anchor, rows×N into `scores`.
    private func products(_ queries: UnsafePointer<P>, rows: Int, into scores: UnsafeMutablePointer<P>) {
        P.gemm(transposeA: false, transposeB: true, m: rows, n: count, k: dimension, alpha: 1,
               a: queries, lda: dimension, b: anchors, ldb: dimension, beta: 0, c: scores, ldc: count)
    }

    private func load(_ source: UnsafePointer<Double>, rows: Range<Int>, into destination: UnsafeMutablePointer<P>) {
        let d = dimension, offset = rows.lowerBound * d
        for i in 0..<(rows.count * d) { destination[i] = P(source[offset + i]) }
    }

    @inline(__always)
    private func addScaled(_ row: UnsafePointer<P>, _ factor: Double, into destination: UnsafeMutablePointer<Double>) {
        for k in 0..<dimension { destination[k] += factor * row[k].doubleValue }
    }

    @inline(__always)
    private func dot(_ a: UnsafePointer<P>, _ b: UnsafePointer<P>) -> Double {
        var sum = 0.0
        for k in 0..<dimension { sum += a[k].doubleValue * b[k].doubleValue }
        return sum
    }

    /// How many of the tiles kept for `evaluation` are sparse (nil: nothing kept).
    func keptSparseTiles(evaluation: Int) -> Int? {
        guard let slots = keptByEvaluation[evaluation] else { return nil }
        return (0..<tileCount).filter { if case .sparse = slots[$0] { return true } else { return false } }.count
    }

    private func newSlots(for evaluation: Int) -> UnsafeMutablePointer<KeptTile?> {
        if let old = keptByEvaluation.removeValue(forKey: evaluation) { release(old) }
        let slots = UnsafeMutablePointer<KeptTile?>.allocate(capacity: tileCount)
        slots.initialize(repeating: nil, count: tileCount)
        keptByEvaluation[evaluation] = slots
        return slots
    }

    private func release(_ slots: UnsafeMutablePointer<KeptTile?>) {
        for tile in 0..<tileCount { keptBytes -= slots[tile]?.bytes ?? 0 }
        slots.deinitialize(count: tileCount)
        slots.deallocate()
    }

    /// One worker's scratch: a tile's 2R×N score/upstream pair and 2R×D query/gradient stack, its
    /// R×D product output, the sparse form of its posterior, the sum of its dense tiles' anchor-gradient
    /// products in one evaluation (N×D in P), and its float64 share of the sparse tiles' anchor gradient
    /// and of the column sums of W.
    final class Workspace {
        let pair: UnsafeMutablePointer<P>
        let stacked: UnsafeMutablePointer<P>
        let output: UnsafeMutablePointer<P>
        let rowTotals: UnsafeMutablePointer<Double>
        let denseAnchorGradient: UnsafeMutablePointer<P>
        /// Whether `denseAnchorGradient` holds this evaluation's products (false: none yet, contents stale).
        var hasDenseAnchorGradient = false
        let anchorGradient: UnsafeMutablePointer<Double>
        let columnTotals: UnsafeMutablePointer<Double>
        /// The nonzeros of a sparse tile's posterior, row by row (`rowStarts` has R + 1 entries).
        let sparseColumns: UnsafeMutablePointer<Int>
        let sparseValues: UnsafeMutablePointer<P>
        let rowStarts: UnsafeMutablePointer<Int>
        let sparseCapacity: Int
        let anchorCount: Int, dimension: Int

        init(tileRows: Int, count: Int, dimension: Int) {
            anchorCount = count
            self.dimension = dimension
            pair = .allocate(capacity: 2 * tileRows * count)
            stacked = .allocate(capacity: 2 * tileRows * dimension)
            output = .allocate(capacity: tileRows * dimension)
            rowTotals = .allocate(capacity: tileRows)
            denseAnchorGradient = .allocate(capacity: count * dimension)
            anchorGradient = .allocate(capacity: count * dimension)
            columnTotals = .allocate(capacity: count)
            sparseCapacity = PosteriorKernel.sparseCapacity(tileRows: tileRows, count: count)
            sparseColumns = .allocate(capacity: sparseCapacity)
            sparseValues = .allocate(capacity: sparseCapacity)
            rowStarts = .allocate(capacity: tileRows + 1)
        }

        deinit {
            for pointer in [pair, stacked, output, denseAnchorGradient, sparseValues] { pointer.deallocate() }
            anchorGradient.deallocate()
            rowTotals.deallocate()
            columnTotals.deallocate()
            sparseColumns.deallocate()
            rowStarts.deallocate()
        }

        var nonzeros: SparseRows<P> { SparseRows(rowStarts: rowStarts, columns: sparseColumns, values: sparseValues) }

        /// Collects the nonzeros of a rows×N posterior when there are at most `sparseCapacity`;
        /// returns false (a dense tile) otherwise.
        func gatherNonzeros(_ probabilities: UnsafePointer<P>, rows: Int) -> Bool {
            var k = 0
            for row in 0..<rows {
                rowStarts[row] = k
                let values = probabilities + row * anchorCount
                for j in 0..<anchorCount where values[j] != 0 {
                    guard k < sparseCapacity else { return false }
                    sparseColumns[k] = j
                    sparseValues[k] = values[j]
                    k += 1
                }
            }
            rowStarts[rows] = k
            return true
        }

        func resetAnchorGradient() {
            hasDenseAnchorGradient = false
            anchorGradient.initialize(repeating: 0, count: anchorCount * dimension)
            columnTotals.initialize(repeating: 0, count: anchorCount)
        }
    }

    /// A tile's posterior as the forward left it for the backward.
    enum KeptTile {
        case sparse(SparseTile)
        /// rows×N, row-major.
        case dense([P])

        var bytes: Int {
            switch self {
            case .sparse(let tile): return tile.bytes
            case .dense(let values): return values.count * MemoryLayout<P>.size
            }
        }
    }

    /// A sparse tile's nonzeros, owned.
    final class SparseTile {
        let rowStarts: [Int]
        let columns: [Int]
        let values: [P]

        init(_ space: Workspace, rows: Int) {
            rowStarts = Array(UnsafeBufferPointer(start: space.rowStarts, count: rows + 1))
            columns = Array(UnsafeBufferPointer(start: space.sparseColumns, count: rowStarts[rows]))
            values = Array(UnsafeBufferPointer(start: space.sparseValues, count: rowStarts[rows]))
        }

        var bytes: Int { (rowStarts.count + columns.count) * MemoryLayout<Int>.size + values.count * MemoryLayout<P>.size }

        func withRows<R>(_ body: (SparseRows<P>) -> R) -> R {
            rowStarts.withUnsafeBufferPointer { starts in
                columns.withUnsafeBufferPointer { columns in
                    values.withUnsafeBufferPointer { values in
                        body(SparseRows(rowStarts: starts.baseAddress!, columns: columns.baseAddress, values: values.baseAddress))
                    }
                }
            }
        }
    }
}

/// A borrowed view of a posterior tile's nonzeros in compressed-row form.
struct SparseRows<P: FlowScalar> {
    let rowStarts: UnsafePointer<Int>
    /// nil only when there are no nonzeros.
    private let columnBase: UnsafePointer<Int>?
    private let valueBase: UnsafePointer<P>?

    init(rowStarts: UnsafePointer<Int>, columns: UnsafePointer<Int>?, values: UnsafePointer<P>?) {
        self.rowStarts = rowStarts
        columnBase = columns
        valueBase = values
    }

    var columns: UnsafePointer<Int> { columnBase! }
    var values: UnsafePointer<P> { valueBase! }
}

/// The sparse upstream gradients on π of one evaluation, grouped by query row.
struct EntriesByRow {
    private var starts: [Int]
    private var columns: [Int]
    private var values: [Double]

    init(_ entries: [ProbabilityGradientEntry<Double>], batch: Int) {
        let ordered = entries.enumerated().sorted { ($0.element.row, $0.offset) < ($1.element.row, $1.offset) }.map(\.element)
        columns = ordered.map(\.column)
        values = ordered.map(\.value)
        starts = [Int](repeating: 0, count: batch + 1)
        for entry in ordered { starts[entry.row + 1] += 1 }
        for row in 0..<batch { starts[row + 1] += starts[row] }
    }

    subscript(row: Int) -> Zip2Sequence<ArraySlice<Int>, ArraySlice<Double>> {
        zip(columns[starts[row]..<starts[row + 1]], values[starts[row]..<starts[row + 1]])
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
