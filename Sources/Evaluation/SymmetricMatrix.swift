// Dense symmetric float64 matrix helpers on LAPACK's dsyevd (OpenBLAS) for FID.
import CBLAS
import Engine

enum SymmetricMatrix {
    /// Eigenvalues (ascending) and, if requested, eigenvectors of a symmetric `n×n` matrix.
    /// Row-major symmetric input is its own column-major transpose, so LAPACK can read it as is;
    /// the returned eigenvectors are column-major: vector k is `vectors[k*n ..< (k+1)*n]`.
    static func eigen(_ matrix: [Double], dimension n: Int, vectors: Bool) throws -> (values: [Double], vectors: [Double]) {
        BLASKernelSelection.ensureSelected()
        var a = matrix
        var w = [Double](repeating: 0, count: n)
        var jobz: CChar = vectors ? 86 /* V */ : 78 /* N */
        var uplo: CChar = 85 /* U */
        var order = Int32(n), lda = Int32(max(1, n)), info: Int32 = 0
        var lwork: Int32 = -1, liwork: Int32 = -1
        var workQuery = 0.0
        var iworkQuery: Int32 = 0
        dsyevd_(&jobz, &uplo, &order, &a, &lda, &w, &workQuery, &lwork, &iworkQuery, &liwork, &info)
        guard info == 0 else { throw EvaluationError.numericalFailure(context: "FID", detail: "LAPACK dsyevd workspace query failed (info \(info))") }
        lwork = Int32(workQuery.rounded(.up))
        liwork = max(1, iworkQuery)
        var work = [Double](repeating: 0, count: Int(lwork))
        var iwork = [Int32](repeating: 0, count: Int(liwork))
        dsyevd_(&jobz, &uplo, &order, &a, &lda, &w, &work, &lwork, &iwork, &liwork, &info)
        guard info == 0 else {
            throw EvaluationError.numericalFailure(context: "FID", detail: "LAPACK dsyevd did not converge (info \(info)); covariance may contain NaN or Inf")
        }
        return (w, vectors ? a : [])
    }

    static func eigenvalues(_ matrix: [Double], dimension n: Int) throws -> [Double] {
        try eigen(matrix, dimension: n, vectors: false).values
    }

    /// The positive semi-definite square root V·diag(√max(λ,0))·Vᵀ of a symmetric matrix.
    static func squareRoot(_ matrix: [Double], dimension n: Int) throws -> [Double] {
        let (values, vectors) = try eigen(matrix, dimension: n, vectors: true)
        // Scaled columns: U[:,k] = V[:,k]·λ_k^{1/4}, so U·Uᵀ = V·diag(√λ)·Vᵀ.
        var scaled = vectors
        for k in 0..<n {
            let s = max(values[k], 0).squareRoot().squareRoot()
            for i in 0..<n { scaled[k * n + i] *= s }
        }
        var root = [Double](repeating: 0, count: n * n)
        // scaled is column-major n×n (= row-major Uᵀ); U·Uᵀ = (Uᵀ)ᵀ(Uᵀ).
        cblas_dsyrk(CblasRowMajor, CblasUpper, CblasTrans, Int32(n), Int32(n),
                    1.0, scaled, Int32(n), 0.0, &root, Int32(n))
        symmetrizeFromUpper(&root, n)
        return root
    }

    /// S·M·S for symmetric S and M, symmetrised against rounding.
    static func sandwich(_ s: [Double], _ m: [Double], dimension n: Int) -> [Double] {
        BLASKernelSelection.ensureSelected()
        var sm = [Double](repeating: 0, count: n * n)
        cblas_dsymm(CblasRowMajor, CblasLeft, CblasUpper, Int32(n), Int32(n), 1.0, s, Int32(n), m, Int32(n), 0.0, &sm, Int32(n))
        var result = [Double](repeating: 0, count: n * n)
        cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, Int32(n), Int32(n), Int32(n),
                    1.0, sm, Int32(n), s, Int32(n), 0.0, &result, Int32(n))
        for i in 0..<n {
            for j in (i + 1)..<max(i + 1, n) {
                let v = 0.5 * (result[i * n + j] + result[j * n + i])
                result[i * n + j] = v
                result[j * n + i] = v
            }
        }
        return result
    }

    private static func symmetrizeFromUpper(_ m: inout [Double], _ n: Int) {
        for i in 0..<n { for j in (i + 1)..<max(i + 1, n) { m[j * n + i] = m[i * n + j] } }
    }
}
