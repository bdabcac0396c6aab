/// Softmax over the rows of a `[rows, columns]` matrix, optionally of `scale · x` (attention's 1/√d).
public enum SoftmaxKernels {
    public static func forwardRows(input: UnsafePointer<Float>, output: UnsafeMutablePointer<Float>,
                                   rows: Int, columns: Int, scale: Float = 1) {
        KernelParallel.forEachChunk(rows, minimumPerChunk: max(1, (1 << 14) / max(1, columns))) { range in
            for r in range { softmaxRow(input + r * columns, output + r * columns, columns, scale) }
        }
    }

    /// inputGrad = scale · y ⊙ (dy − ⟨dy, y⟩) per row, from the forward's output y; overwrites `inputGrad`.
    public static func backwardRows(output: UnsafePointer<Float>, outputGrad: UnsafePointer<Float>,
                                    inputGrad: UnsafeMutablePointer<Float>, rows: Int, columns: Int, scale: Float = 1) {
        KernelParallel.forEachChunk(rows, minimumPerChunk: max(1, (1 << 14) / max(1, columns))) { range in
            for r in range {
                backwardRow(output + r * columns, outputGrad + r * columns, inputGrad + r * columns, columns, scale)
            }
        }
    }

    /// One row; `x` and `y` may be the same buffer.
    static func softmaxRow(_ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, _ n: Int, _ scale: Float) {
        var maximum = -Float.infinity
        if scale > 0 {
            maximum = scale * rowMaximum(x, n)
        } else {
            for j in 0..<n { maximum = Swift.max(maximum, scale * x[j]) }
        }
        if maximum == -.infinity { maximum = 0 }  // an all -inf row becomes zeros rather than NaN
        for j in 0..<n { y[j] = fastExp(scale * x[j] - maximum) }
        let total = VectorMath.sum(UnsafePointer(y), count: n)
        let inverse = total > 0 ? 1 / total : 0
        for j in 0..<n { y[j] *= inverse }
    }

    /// One row of the backward; `dy` and `dx` may be the same buffer.
    static func backwardRow(_ y: UnsafePointer<Float>, _ dy: UnsafePointer<Float>, _ dx: UnsafeMutablePointer<Float>,
                            _ n: Int, _ scale: Float) {
        let dot = VectorMath.sumAndDot(dy, y, count: n).dot
        for j in 0..<n { dx[j] = scale * y[j] * (dy[j] - dot) }
    }
}
