/// Global average pooling: the mean of each of `planes` contiguous planes of `plane` pixels.
public enum PoolKernels {
    public static func globalAverageForward(input: UnsafePointer<Float>, output: UnsafeMutablePointer<Float>,
                                            planes: Int, plane: Int) {
        let inverse = 1 / Float(plane)
        for p in 0..<planes { output[p] = VectorMath.sum(input + p * plane, count: plane) * inverse }
    }

    /// Spreads each plane's gradient evenly over its pixels; overwrites `inputGrad`.
    public static func globalAverageBackward(outputGrad: UnsafePointer<Float>, inputGrad: UnsafeMutablePointer<Float>,
                                             planes: Int, plane: Int) {
        let inverse = 1 / Float(plane)
        for p in 0..<planes { (inputGrad + p * plane).update(repeating: outputGrad[p] * inverse, count: plane) }
    }
}
