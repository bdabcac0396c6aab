import Engine

/// Scales all gradients together so their global L2 norm is at most `maxNorm`
/// (g *= min(1, maxNorm/(norm + 1e-6)), as `torch.nn.utils.clip_grad_norm_`) and returns the norm
/// before clipping. Parameters without a gradient are ignored. A non-finite norm is returned with the
/// gradients untouched: the caller skips that step.
@discardableResult
public func clipGradNorm(_ parameters: [Tensor], maxNorm: Float) -> Float {
    let grads = parameters.compactMap(\.grad)
    var sumOfSquares = 0.0
    for grad in grads {
        sumOfSquares += grad.withUnsafeBufferPointer { g in
            var partial: Float = 0
            for x in g { partial += x * x }
            return Double(partial)
        }
    }
    let norm = Float(sumOfSquares.squareRoot())
    guard norm.isFinite else { return norm }
    let coefficient = maxNorm / (norm + 1e-6)
    guard coefficient < 1 else { return norm }
    for parameter in parameters {
        guard let grad = parameter.grad else { continue }
        // A fresh tensor: a gradient object may be shared with other nodes of the graph.
        var scaled = grad.values
        scaled.withUnsafeMutableBufferPointer { g in
            for i in 0..<g.count { g[i] *= coefficient }
        }
        parameter.grad = Tensor(shape: grad.shape, values: scaled)
    }
    return norm
}
