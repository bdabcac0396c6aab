/// Nearest-neighbour 2x upsampling of `x` `[N, C, H, W]` to `[N, C, 2H, 2W]`.
public func upsampleNearest2x(_ x: Tensor) -> Tensor {
    precondition(x.rank == 4, "upsampleNearest2x: input \(x.shape) needs [N, C, H, W]")
    let (planes, height, width) = (x.shape[0] * x.shape[1], x.shape[2], x.shape[3])
    let output = Tensor(uninitializedShape: [x.shape[0], x.shape[1], 2 * height, 2 * width])
    UpsampleKernels.nearest2xForward(input: x.data, output: output.data, planes: planes, height: height, width: width)
    return recordOp("upsampleNearest2x", inputs: [x], output: output) { outputGrad in
        let inputGrad = Tensor(uninitializedShape: x.shape)
        UpsampleKernels.nearest2xBackward(outputGrad: outputGrad.data, inputGrad: inputGrad.data,
                                          planes: planes, height: height, width: width)
        return [inputGrad]
    }
}
