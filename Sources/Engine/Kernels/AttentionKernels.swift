import CBLAS

/// Scaled dot-product attention over `batch` independent `[length, dim]` problems:
/// P = softmax(q·kᵀ/√dim) row-wise, output = P·v. The probabilities are kept for the backward.
public enum AttentionKernels {
    public struct Shape: Equatable, Sendable {
        public let batch: Int, length: Int, dim: Int
        public init(batch: Int, length: Int, dim: Int) { self.batch = batch; self.length = length; self.dim = dim }
        var scale: Float { 1 / Float(dim).squareRoot() }
    }

    /// `probabilities` receives `batch·length·length` floats, `output` `batch·length·dim`.
    public static func forward(q: UnsafePointer<Float>, k: UnsafePointer<Float>, v: UnsafePointer<Float>,
                               probabilities: UnsafeMutablePointer<Float>, output: UnsafeMutablePointer<Float>, shape s: Shape) {
        let (l, d) = (Int32(s.length), Int32(s.dim))
        let matrix = s.length * s.dim, square = s.length * s.length
        KernelParallel.forEachChunk(s.batch) { items in
            for b in items {
                let p = probabilities + b * square
                cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, l, l, d, 1, q + b * matrix, d, k + b * matrix, d, 0, p, l)
                for row in 0..<s.length { SoftmaxKernels.softmaxRow(p + row * s.length, p + row * s.length, s.length, s.scale) }
                cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, l, d, l, 1, p, l, v + b * matrix, d, 0, output + b * matrix, d)
            }
        }
    }

    /// Gradients from the forward's probabilities; each requested gradient (`batch·length·dim` floats) is overwritten.
    public static func backward(q: UnsafePointer<Float>, k: UnsafePointer<Float>, v: UnsafePointer<Float>,
                                probabilities: UnsafePointer<Float>, outputGrad: UnsafePointer<Float>, shape s: Shape,
                                qGrad: UnsafeMutablePointer<Float>?, kGrad: UnsafeMutablePointer<Float>?,
                                vGrad: UnsafeMutablePointer<Float>?) {
        let (l, d) = (Int32(s.length), Int32(s.dim))
        let matrix = s.length * s.dim, square = s.length * s.length
        KernelParallel.forEachChunk(s.batch) { items in
            let scores = UnsafeMutablePointer<Float>.allocate(capacity: square)
            defer { scores.deallocate() }
            for b in items {
                let p = probabilities + b * square, dOut = outputGrad + b * matrix
                if let vGrad {
                    cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, l, d, l, 1, p, l, dOut, d, 0, vGrad + b * matrix, d)
                }
                guard qGrad != nil || kGrad != nil else { continue }
                // dP = dOut·vᵀ, then through the softmax (and the 1/√dim) to the scores, in place.
                cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, l, l, d, 1, dOut, d, v + b * matrix, d, 0, scores, l)
                for row in 0..<s.length {
                    let r = row * s.length
                    SoftmaxKernels.backwardRow(p + r, scores + r, scores + r, s.length, s.scale)
                }
                if let qGrad {
                    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, l, d, l, 1, scores, l, k + b * matrix, d, 0, qGrad + b * matrix, d)
                }
                if let kGrad {
                    cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, l, d, l, 1, scores, l, q + b * matrix, d, 0, kGrad + b * matrix, d)
                }
            }
        }
    }
}
