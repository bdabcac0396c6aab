import Engine

/// Scales all gradients together so their global L2 norm is at most `maxNorm`
/// (g *= min(1, maxNorm/(norm + 1e-6)), as `torch.nn.utils.clip_grad_norm_`) and returns the norm
/// before clipping. Parameters without a gradient are ignored. A non-finite norm is returned with the
/// gradients untouched: the caller skips that step.
@discardableResult
public func clipGradNorm(_ parameters: [Tensor], maxNorm: Float) -> Float {
    let grads = parameters.compactMap(\.grad)
    // One sum per gradient (on whichever core is free), added in parameter order.
    var sums = [Double](repeating: 0, count: grads.count)
    sums.withUnsafeMutableBufferPointer { sums in
        Parallel.forEachDynamically(grads.count) { _, index in
            sums[index] = grads[index].withUnsafeBufferPointer { g in g.reduce(0) { $0 + Double($1) * Double($1) } }
        }
    }
    let norm = Float(sums.reduce(0, +).squareRoot())
    guard norm.isFinite else { return norm }
    let coefficient = maxNorm / (norm + 1e-6)
    guard coefficient < 1 else { return norm }
    withoutGrad {
        for parameter in parameters {
            // A new tensor, not an in-place update: a gradient object may be shared with other nodes.
            if let grad = parameter.grad { parameter.grad = grad * coefficient }
        }
    }
    return norm
}
