/// The mean over all spatial positions of `x` `[N, C, ...]`, giving `[N, C]`.
public func globalAvgPool(_ x: Tensor) -> Tensor {
    precondition(x.rank >= 2, "globalAvgPool: input \(x.shape) needs [N, C, ...]")
    let planes = x.shape[0] * x.shape[1], plane = x.shape.dropFirst(2).reduce(1, *)
    let output = Tensor(uninitializedShape: [x.shape[0], x.shape[1]])
    PoolKernels.globalAverageForward(input: x.data, output: output.data, planes: planes, plane: plane)
    return recordOp("globalAvgPool", inputs: [x], output: output) { outputGrad in
        let inputGrad = Tensor(uninitializedShape: x.shape)
        PoolKernels.globalAverageBackward(outputGrad: outputGrad.data, inputGrad: inputGrad.data, planes: planes, plane: plane)
        return [inputGrad]
    }
}
