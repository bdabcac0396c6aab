import CBLAS

/// Matrix products through OpenBLAS sgemm: 2-D, batched 3-D, and 3-D × 2-D (rhs shared over the
/// batch). Transposes are passed to BLAS as flags, never materialised.

/// C[m, n] = alpha · op(A) · op(B) + beta · C for row-major buffers; A is stored [m, k] ([k, m] when
/// `transA`), B is stored [k, n] ([n, k] when `transB`). OpenBLAS runs single-threaded (see `Parallel`),
/// so a large product is split here into one band of C per worker: rows when m ≥ n, else columns.
/// Each element is still one uninterrupted dot product, so the result does not depend on the split.
func sgemm(_ transA: Bool, _ transB: Bool, m: Int, n: Int, k: Int,
           _ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ c: UnsafeMutablePointer<Float>,
           alpha: Float = 1, beta: Float = 0) {
    BLASKernelSelection.ensureSelected()
    let (lda, ldb, ldc) = (transA ? m : k, transB ? k : n, n)
    func band(rows: Range<Int>, columns: Range<Int>) {
        guard !rows.isEmpty && !columns.isEmpty else { return }
        let aBand = a + (transA ? rows.lowerBound : rows.lowerBound * lda)
        let bBand = b + (transB ? columns.lowerBound * ldb : columns.lowerBound)
        cblas_sgemm(CblasRowMajor, transA ? CblasTrans : CblasNoTrans, transB ? CblasTrans : CblasNoTrans,
                    Int32(rows.count), Int32(columns.count), Int32(k), alpha, aBand, Int32(lda), bBand, Int32(ldb),
                    beta, c + rows.lowerBound * ldc + columns.lowerBound, Int32(ldc))
    }
    let workers = Parallel.threads, splitRows = m >= n
    // Bands are whole multiples of 16 (the AVX-512 kernel's width); below ~2 MFLOP a split costs more than it saves.
    let bands = min(workers, (splitRows ? m : n) / 16)
    guard bands > 1 && m * n * k >= 1 << 20 else { return band(rows: 0..<m, columns: 0..<n) }
    let extent = splitRows ? m : n
    Parallel.forEach(bands) { index in
        let lower = index == 0 ? 0 : (extent * index / bands) & ~15
        let upper = index == bands - 1 ? extent : (extent * (index + 1) / bands) & ~15
        if splitRows { band(rows: lower..<upper, columns: 0..<n) } else { band(rows: 0..<m, columns: lower..<upper) }
    }
}

/// op(a) · op(b) where op transposes the last two axes when asked:
/// [m,k]×[k,n] → [m,n]; [b,m,k]×[b,k,n] → [b,m,n]; [b,m,k]×[k,n] → [b,m,n].
public func matmul(_ a: Tensor, _ b: Tensor, transposeA: Bool = false, transposeB: Bool = false) -> Tensor {
    precondition((a.rank == 2 && b.rank == 2) || (a.rank == 3 && (b.rank == 3 || b.rank == 2)),
                 "matmul: unsupported ranks \(a.shape) × \(b.shape)")
    let batch = a.rank == 3 ? a.shape[0] : 1
    let (aRows, aCols) = (a.shape[a.rank - 2], a.shape[a.rank - 1])
    let (bRows, bCols) = (b.shape[b.rank - 2], b.shape[b.rank - 1])
    let (m, k) = transposeA ? (aCols, aRows) : (aRows, aCols)
    let (kb, n) = transposeB ? (bCols, bRows) : (bRows, bCols)
    precondition(k == kb, "matmul: inner dimensions differ, \(a.shape)\(transposeA ? "ᵀ" : "") × \(b.shape)\(transposeB ? "ᵀ" : "")")
    precondition(b.rank == 2 || b.shape[0] == batch, "matmul: batch sizes differ, \(a.shape) × \(b.shape)")
    let sharedB = b.rank == 2 && a.rank == 3
    let out = Tensor(uninitializedShape: a.rank == 3 ? [batch, m, n] : [m, n])
    if sharedB && !transposeA {
        // The batch folds into the rows: one [batch·m, k] × [k, n] product.
        sgemm(false, transposeB, m: batch * m, n: n, k: k, a.data, b.data, out.data)
    } else {
        let bStride = sharedB ? 0 : k * n
        forEachBatchItem(batch, flops: m * n * k) { i in
            sgemm(transposeA, transposeB, m: m, n: n, k: k, a.data + i * m * k, b.data + i * bStride, out.data + i * m * n)
        }
    }
    return recordOp("matmul", inputs: [a, b], output: out) { g in
        var gradA: Tensor?, gradB: Tensor?
        if a.isTracked {
            let da = Tensor(uninitializedShape: a.shape)
            if sharedB && !transposeA {
                sgemm(false, !transposeB, m: batch * m, n: k, k: n, g.data, b.data, da.data)
            } else {
                let bStride = sharedB ? 0 : k * n
                forEachBatchItem(batch, flops: m * n * k) { i in
                    let gi = g.data + i * m * n, bi = b.data + i * bStride, dai = da.data + i * m * k
                    if transposeA {
                        // d(Aᵀ) = g · op(B)ᵀ, so dA = op(B) · gᵀ.
                        sgemm(transposeB, true, m: k, n: m, k: n, bi, gi, dai)
                    } else {
                        sgemm(false, !transposeB, m: m, n: k, k: n, gi, bi, dai)
                    }
                }
            }
            gradA = da
        }
        if b.isTracked {
            let db = Tensor(uninitializedShape: b.shape)
            if sharedB && !transposeA {
                if transposeB {
                    sgemm(true, false, m: n, n: k, k: batch * m, g.data, a.data, db.data)
                } else {
                    sgemm(true, false, m: k, n: n, k: batch * m, a.data, g.data, db.data)
                }
            } else {
                func accumulate(_ i: Int, beta: Float) {
                    let gi = g.data + i * m * n, ai = a.data + i * m * k, dbi = db.data + (sharedB ? 0 : i * k * n)
                    if transposeB {
                        // d(Bᵀ) = op(A)ᵀ · g, so dB = gᵀ · op(A).
                        sgemm(true, transposeA, m: n, n: k, k: m, gi, ai, dbi, beta: beta)
                    } else {
                        sgemm(!transposeA, false, m: k, n: n, k: m, ai, gi, dbi, beta: beta)
                    }
                }
                if sharedB {
                    // One shared B sums its per-item gradients (beta 1 after the first), in order.
                    for i in 0..<batch { accumulate(i, beta: i == 0 ? 0 : 1) }
                } else {
                    forEachBatchItem(batch, flops: m * n * k) { accumulate($0, beta: 0) }
                }
            }
            gradB = db
        }
        return [gradA, gradB]
    }
}

/// Runs `body` for every batch item: small products side by side, one item per worker (beats splitting
/// tiny GEMMs), large ones in order, each split across the workers by `sgemm`.
private func forEachBatchItem(_ batch: Int, flops: Int, _ body: (Int) -> Void) {
    if batch >= 2 && flops <= 128 * 128 * 128 {
        KernelParallel.forEachChunk(batch) { items in
            for i in items { body(i) }
        }
    } else {
        for i in 0..<batch { body(i) }
    }
}
