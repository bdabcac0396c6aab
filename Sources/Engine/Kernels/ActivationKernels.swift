/// SiLU(x) = x·σ(x) over flat buffers (branch-free `fastSigmoid`, so the loops vectorise).
public enum ActivationKernels {
    public static func siluForward(input: UnsafePointer<Float>, output: UnsafeMutablePointer<Float>, count: Int) {
        KernelParallel.forEachChunk(count, minimumPerChunk: 1 << 15) { range in
            for i in range { output[i] = input[i] * fastSigmoid(input[i]) }
        }
    }

    /// inputGrad = outputGrad · σ(x)·(1 + x·(1 − σ(x))); overwrites `inputGrad`.
    public static func siluBackward(input: UnsafePointer<Float>, outputGrad: UnsafePointer<Float>,
                                    inputGrad: UnsafeMutablePointer<Float>, count: Int) {
        KernelParallel.forEachChunk(count, minimumPerChunk: 1 << 15) { range in
            for i in range {
                let x = input[i], s = fastSigmoid(x)
                inputGrad[i] = outputGrad[i] * s * (1 + x * (1 - s))
            }
        }
    }
}
