/// Inverted dropout: in training, each element is zeroed with probability `p` and the rest scaled by
/// 1/(1 − p); the mask comes from `rng` (one uniform draw per element, so it does not depend on the
/// thread count). Outside training, or with p = 0, returns `x` itself and draws nothing.
public func dropout(_ x: Tensor, p: Float, rng: inout Philox, training: Bool) -> Tensor {
    precondition(p >= 0 && p <= 1, "dropout: probability \(p) outside [0, 1]")
    guard training && p > 0 else { return x }
    let mask = Tensor(uninitializedShape: x.shape)
    mask.withUnsafeMutableBufferPointer { rng.fillUniform($0, low: 0, high: 1) }
    let keptScale: Float = p < 1 ? 1 / (1 - p) : 0
    let output = Tensor(uninitializedShape: x.shape)
    let (m, source, target) = (mask.data, x.data, output.data)
    Parallel.ranges(x.count, grain: 1 << 15) { range in
        for i in range {
            m[i] = m[i] < p ? 0 : keptScale
            target[i] = source[i] * m[i]
        }
    }
    return recordOp("dropout", inputs: [x], output: output) { outputGrad in
        let inputGrad = Tensor(uninitializedShape: x.shape)
        let (g, kept, d) = (outputGrad.data, mask.data, inputGrad.data)
        Parallel.ranges(x.count, grain: 1 << 15) { range in
            for i in range { d[i] = g[i] * kept[i] }
        }
        return [inputGrad]
    }
}
