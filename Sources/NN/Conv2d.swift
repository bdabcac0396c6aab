import Engine

/// 2-D convolution over [N, C, H, W] with a square kernel, weight [out, in, k, k] (PyTorch layout).
public final class Conv2d: Module {
    public let inChannels: Int
    public let outChannels: Int
    public let kernelSize: Int
    public let stride: Int
    public let padding: Int
    public let weight: Tensor
    public let bias: Tensor

    public init(_ inChannels: Int, _ outChannels: Int, _ kernelSize: Int, stride: Int = 1, padding: Int,
                rng: inout Philox) {
        precondition(inChannels > 0 && outChannels > 0 && kernelSize > 0 && stride > 0 && padding >= 0,
                     "Conv2d(\(inChannels), \(outChannels), k \(kernelSize), stride \(stride), padding \(padding))")
        self.inChannels = inChannels
        self.outChannels = outChannels
        self.kernelSize = kernelSize
        self.stride = stride
        self.padding = padding
        let fanIn = inChannels * kernelSize * kernelSize
        weight = pytorchDefaultUniform([outChannels, inChannels, kernelSize, kernelSize], fanIn: fanIn, rng: &rng)
        bias = pytorchDefaultUniform([outChannels], fanIn: fanIn, rng: &rng)
    }

    public override func visit(_ visitor: inout ModuleVisitor) {
        visitor.parameter("weight", weight)
        visitor.parameter("bias", bias)
    }

    public func callAsFunction(_ x: Tensor) -> Tensor {
        precondition(x.rank == 4 && x.shape[1] == inChannels, "Conv2d(\(inChannels)→\(outChannels)): input shape \(x.shape)")
        return conv2d(x, weight: weight, bias: bias, stride: stride, padding: padding)
    }
}
