import CBLAS

/// Matrix products through OpenBLAS sgemm: 2-D, batched 3-D, and 3-D × 2-D (rhs shared over the
/// batch). Transposes are passed to BLAS as flags, never materialised.

/// C[m, n] = alpha · op(A) · op(B) + beta · C for row-major buffers; A is stored [m, k] ([k, m] when
/// `transA`), B is stored [k, n] ([n, k] when `transB`).
@inline(__always)
func sgemm(_ transA: Bool, _ transB: Bool, m: Int, n: Int, k: Int,
           _ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ c: UnsafeMutablePointer<Float>,
           alpha: Float = 1, beta: Float = 0) {
    BLASKernelSelection.ensureSelected()
    cblas_sgemm(CblasRowMajor, transA ? CblasTrans : CblasNoTrans, transB ? CblasTrans : CblasNoTrans,
                Int32(m), Int32(n), Int32(k), alpha, a, Int32(transA ? m : k), b, Int32(transB ? k : n),
                beta, c, Int32(n))
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

/// Runs `body` for every batch item: small products side by side on single-threaded BLAS (one
/// item per worker beats splitting tiny GEMMs across cores), large ones in order on threaded BLAS.
private func forEachBatchItem(_ batch: Int, flops: Int, _ body: (Int) -> Void) {
    if batch >= 2 && flops <= 128 * 128 * 128 {
        KernelParallel.forEachChunk(batch) { _, items in
            for i in items { body(i) }
        }
    } else {
        for i in 0..<batch { body(i) }
    }
}
