/// GroupNorm of `x` `[N, C, ...]` (any spatial rank) with `groups` groups of channels and a per-channel
/// affine `weight`, `bias` `[C]`: statistics per sample and group, biased variance, as PyTorch.
public func groupNorm(_ x: Tensor, groups: Int, weight: Tensor, bias: Tensor, eps: Float) -> Tensor {
    groupNorm(x, groups: groups, weight: weight, bias: bias, eps: eps, applySiLU: false)
}

/// `silu(groupNorm(x, ...))` in one pass over memory, forward and backward; the pre-activation
/// networks of MODELS.md apply this pair before every convolution of a ResBlock.
public func groupNormSiLU(_ x: Tensor, groups: Int, weight: Tensor, bias: Tensor, eps: Float) -> Tensor {
    groupNorm(x, groups: groups, weight: weight, bias: bias, eps: eps, applySiLU: true)
}

private func groupNorm(_ x: Tensor, groups: Int, weight: Tensor, bias: Tensor, eps: Float, applySiLU: Bool) -> Tensor {
    let name = applySiLU ? "groupNormSiLU" : "groupNorm"
    precondition(x.rank >= 2, "\(name): input \(x.shape) needs [N, C, ...]")
    let channels = x.shape[1]
    precondition(groups >= 1 && channels % groups == 0, "\(name): \(channels) channels do not split into \(groups) groups")
    precondition(weight.shape == [channels] && bias.shape == [channels],
                 "\(name): weight \(weight.shape) and bias \(bias.shape) for \(channels) channels")
    let g = GroupNormGeometry(batch: x.shape[0], channels: channels, plane: x.shape.dropFirst(2).reduce(1, *), groups: groups)
    let output = Tensor(uninitializedShape: x.shape)
    let mean = Tensor(uninitializedShape: [g.statisticsCount]), rstd = Tensor(uninitializedShape: [g.statisticsCount])
    GroupNormKernels.forward(input: x.data, weight: weight.data, bias: bias.data, output: output.data,
                             mean: mean.data, rstd: rstd.data, geometry: g, eps: eps, applySiLU: applySiLU)
    let needs = (x.isTracked, weight.isTracked, bias.isTracked)
    return recordOp(name, inputs: [x, weight, bias], output: output) { outputGrad in
        let inputGrad = needs.0 ? Tensor(uninitializedShape: x.shape) : nil
        let weightGrad = needs.1 ? Tensor(uninitializedShape: [channels]) : nil
        let biasGrad = needs.2 ? Tensor(uninitializedShape: [channels]) : nil
        GroupNormKernels.backward(input: x.data, weight: weight.data, bias: bias.data, mean: mean.data, rstd: rstd.data,
                                  outputGrad: outputGrad.data, geometry: g, inputGrad: inputGrad?.data,
                                  weightGrad: weightGrad?.data, biasGrad: biasGrad?.data, applySiLU: applySiLU)
        return [inputGrad, weightGrad, biasGrad]
    }
}
