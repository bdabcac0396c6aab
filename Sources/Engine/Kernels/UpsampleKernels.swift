/// Nearest-neighbour 2x upsampling of `planes` images of `height × width` (planes = batch · channels).
public enum UpsampleKernels {
    public static func nearest2xForward(input: UnsafePointer<Float>, output: UnsafeMutablePointer<Float>,
                                        planes: Int, height: Int, width: Int) {
        let inPlane = height * width, outWidth = 2 * width
        KernelParallel.forEachChunk(planes, minimumPerChunk: max(1, (1 << 15) / (4 * inPlane))) { range in
            for p in range {
                for h in 0..<height {
                    let source = input + p * inPlane + h * width
                    let row = output + 4 * p * inPlane + 2 * h * outWidth
                    for w in 0..<width {
                        row[2 * w] = source[w]
                        row[2 * w + 1] = source[w]
                    }
                    (row + outWidth).update(from: row, count: outWidth)
                }
            }
        }
    }

    /// Each input pixel's gradient is the sum of its 2x2 block of output gradients; overwrites `inputGrad`.
    public static func nearest2xBackward(outputGrad: UnsafePointer<Float>, inputGrad: UnsafeMutablePointer<Float>,
                                         planes: Int, height: Int, width: Int) {
        let inPlane = height * width, outWidth = 2 * width
        KernelParallel.forEachChunk(planes, minimumPerChunk: max(1, (1 << 15) / (4 * inPlane))) { range in
            for p in range {
                for h in 0..<height {
                    let top = outputGrad + 4 * p * inPlane + 2 * h * outWidth, bottom = top + outWidth
                    let target = inputGrad + p * inPlane + h * width
                    for w in 0..<width {
                        target[w] = (top[2 * w] + top[2 * w + 1]) + (bottom[2 * w] + bottom[2 * w + 1])
                    }
                }
            }
        }
    }
}
