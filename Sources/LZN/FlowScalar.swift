import CBLAS
import Foundation

/// The element types the latent flows run in: `Float` (training, the fast path) and `Double`
/// (reference computations, gradient checks, float64 `.npy` inputs).
///
/// The requirements are the few primitives the flows need from each precision: BLAS level-2/3
/// products and `exp`/`log`. Whatever the element type, a flow keeps its states and gradient
/// accumulators in float64; `Float` only selects float32 GEMMs where they are accurate (see
/// `FlowField`).
public protocol FlowScalar: BinaryFloatingPoint, Sendable where Self.RawSignificand: FixedWidthInteger {
    init(_ value: Double)
    var doubleValue: Double { get }
    static func exponential(_ x: Self) -> Self
    static func logarithm(_ x: Self) -> Self
    /// True for `Float`: the flow may evaluate its posterior with float32 GEMMs.
    static var isSinglePrecision: Bool { get }
    /// Row-major C[m×n] = alpha · op(A) · op(B) + beta · C with op(A) m×k, op(B) k×n.
    static func gemm(transposeA: Bool, transposeB: Bool, m: Int, n: Int, k: Int, alpha: Self,
                     a: UnsafePointer<Self>, lda: Int, b: UnsafePointer<Self>, ldb: Int,
                     beta: Self, c: UnsafeMutablePointer<Self>, ldc: Int)
    /// Row-major y[n] = alpha · Aᵀ x + beta · y for A m×n, x of length m.
    static func gemvTransposed(m: Int, n: Int, alpha: Self, a: UnsafePointer<Self>, lda: Int,
                               x: UnsafePointer<Self>, beta: Self, y: UnsafeMutablePointer<Self>)
}

@inline(__always)
private func blasTranspose(_ flag: Bool) -> CBLAS_TRANSPOSE { flag ? CblasTrans : CblasNoTrans }

extension Float: FlowScalar {
    public var doubleValue: Double { Double(self) }
    @inline(__always) public static func exponential(_ x: Float) -> Float { Foundation.exp(x) }
    @inline(__always) public static func logarithm(_ x: Float) -> Float { Foundation.log(x) }
    public static var isSinglePrecision: Bool { true }

    public static func gemm(transposeA: Bool, transposeB: Bool, m: Int, n: Int, k: Int, alpha: Float,
                            a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
                            beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int) {
        guard m > 0, n > 0 else { return }
        cblas_sgemm(CblasRowMajor, blasTranspose(transposeA), blasTranspose(transposeB),
                    Int32(m), Int32(n), Int32(k), alpha, a, Int32(lda), b, Int32(ldb), beta, c, Int32(ldc))
    }

    public static func gemvTransposed(m: Int, n: Int, alpha: Float, a: UnsafePointer<Float>, lda: Int,
                                      x: UnsafePointer<Float>, beta: Float, y: UnsafeMutablePointer<Float>) {
        guard n > 0 else { return }
        cblas_sgemv(CblasRowMajor, CblasTrans, Int32(m), Int32(n), alpha, a, Int32(lda), x, 1, beta, y, 1)
    }
}

extension Double: FlowScalar {
    public var doubleValue: Double { self }
    @inline(__always) public static func exponential(_ x: Double) -> Double { Foundation.exp(x) }
    @inline(__always) public static func logarithm(_ x: Double) -> Double { Foundation.log(x) }
    public static var isSinglePrecision: Bool { false }

    public static func gemm(transposeA: Bool, transposeB: Bool, m: Int, n: Int, k: Int, alpha: Double,
                            a: UnsafePointer<Double>, lda: Int, b: UnsafePointer<Double>, ldb: Int,
                            beta: Double, c: UnsafeMutablePointer<Double>, ldc: Int) {
        guard m > 0, n > 0 else { return }
        cblas_dgemm(CblasRowMajor, blasTranspose(transposeA), blasTranspose(transposeB),
                    Int32(m), Int32(n), Int32(k), alpha, a, Int32(lda), b, Int32(ldb), beta, c, Int32(ldc))
    }

    public static func gemvTransposed(m: Int, n: Int, alpha: Double, a: UnsafePointer<Double>, lda: Int,
                                      x: UnsafePointer<Double>, beta: Double, y: UnsafeMutablePointer<Double>) {
        guard n > 0 else { return }
        cblas_dgemv(CblasRowMajor, CblasTrans, Int32(m), Int32(n), alpha, a, Int32(lda), x, 1, beta, y, 1)
    }
}
