/// softmax(q·kᵀ/√d)·v for `q`, `k`, `v` `[B, L, d]` (row-wise softmax over the keys), as batched GEMMs.
/// The backward is analytic and reuses the forward's probabilities.
public func scaledDotProductAttention(q: Tensor, k: Tensor, v: Tensor) -> Tensor {
    precondition(q.rank == 3 && q.shape == k.shape && q.shape == v.shape,
                 "scaledDotProductAttention: q \(q.shape), k \(k.shape), v \(v.shape) must all be [B, L, d]")
    let shape = AttentionKernels.Shape(batch: q.shape[0], length: q.shape[1], dim: q.shape[2])
    let probabilities = Tensor(uninitializedShape: [shape.batch, shape.length, shape.length])
    let output = Tensor(uninitializedShape: q.shape)
    AttentionKernels.forward(q: q.data, k: k.data, v: v.data, probabilities: probabilities.data, output: output.data, shape: shape)
    let needs = (q.isTracked, k.isTracked, v.isTracked)
    return recordOp("scaledDotProductAttention", inputs: [q, k, v], output: output) { outputGrad in
        let qGrad = needs.0 ? Tensor(uninitializedShape: q.shape) : nil
        let kGrad = needs.1 ? Tensor(uninitializedShape: k.shape) : nil
        let vGrad = needs.2 ? Tensor(uninitializedShape: v.shape) : nil
        AttentionKernels.backward(q: q.data, k: k.data, v: v.data, probabilities: probabilities.data,
                                  outputGrad: outputGrad.data, shape: shape,
                                  qGrad: qGrad?.data, kGrad: kGrad?.data, vGrad: vGrad?.data)
        return [qGrad, kGrad, vGrad]
    }
}
