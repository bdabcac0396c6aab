/// 2-D convolution of `x` `[N, C, H, W]` with `weight` `[O, C, kh, kw]` and an optional `bias` `[O]`
/// (zero padding on all sides). Output `[N, O, (H + 2p − kh)/s + 1, (W + 2p − kw)/s + 1]`.
public func conv2d(_ x: Tensor, weight: Tensor, bias: Tensor?, stride: Int = 1, padding: Int) -> Tensor {
    precondition(x.rank == 4 && weight.rank == 4 && x.shape[1] == weight.shape[1],
                 "conv2d: input \(x.shape) and weight \(weight.shape) need [N, C, H, W] and [O, C, kh, kw]")
    precondition(bias == nil || bias!.shape == [weight.shape[0]], "conv2d: bias \(bias!.shape) for \(weight.shape[0]) channels")
    let g = Conv2DGeometry(batch: x.shape[0], inChannels: x.shape[1], height: x.shape[2], width: x.shape[3],
                           outChannels: weight.shape[0], kernelHeight: weight.shape[2], kernelWidth: weight.shape[3],
                           stride: stride, padding: padding)
    if let problem = g.problem { preconditionFailure("conv2d: \(problem) (input \(x.shape), weight \(weight.shape))") }
    let output = Tensor(uninitializedShape: [g.batch, g.outChannels, g.outHeight, g.outWidth])
    Conv2DKernels.forward(input: x.data, weight: weight.data, bias: bias.map { UnsafePointer($0.data) },
                          output: output.data, geometry: g)
    let inputs = [x, weight] + (bias.map { [$0] } ?? [])
    let needsInputGrad = x.isTracked, needsWeightGrad = weight.isTracked, needsBiasGrad = bias?.isTracked ?? false
    return recordOp("conv2d", inputs: inputs, output: output) { outputGrad in
        let inputGrad = needsInputGrad ? Tensor(uninitializedShape: x.shape) : nil
        let weightGrad = needsWeightGrad ? Tensor(uninitializedShape: weight.shape) : nil
        let biasGrad = needsBiasGrad ? Tensor(uninitializedShape: [g.outChannels]) : nil
        Conv2DKernels.backward(input: x.data, weight: weight.data, outputGrad: outputGrad.data, geometry: g,
                               inputGrad: inputGrad?.data, weightGrad: weightGrad?.data, biasGrad: biasGrad?.data)
        return [inputGrad, weightGrad] + (bias == nil ? [] : [biasGrad])
    }
}
