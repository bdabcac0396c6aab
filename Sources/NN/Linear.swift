import Engine

/// y = x·Wᵀ + b with W of shape [out, in] (PyTorch layout), x of shape [B, in].
public final class Linear: Module {
    public let inFeatures: Int
    public let outFeatures: Int
    public let weight: Tensor
    public let bias: Tensor?

    public init(_ inFeatures: Int, _ outFeatures: Int, bias: Bool = true, rng: inout Philox) {
        precondition(inFeatures > 0 && outFeatures > 0, "Linear(\(inFeatures), \(outFeatures)): sizes must be positive")
        self.inFeatures = inFeatures
        self.outFeatures = outFeatures
        weight = pytorchDefaultUniform([outFeatures, inFeatures], fanIn: inFeatures, rng: &rng)
        self.bias = bias ? pytorchDefaultUniform([outFeatures], fanIn: inFeatures, rng: &rng) : nil
    }

    public override func visit(_ visitor: inout ModuleVisitor) {
        visitor.parameter("weight", weight)
        if let bias { visitor.parameter("bias", bias) }
    }

    public func callAsFunction(_ x: Tensor) -> Tensor {
        precondition(x.rank == 2 && x.shape[1] == inFeatures, "Linear(\(inFeatures)→\(outFeatures)): input shape \(x.shape)")
        let y = matmul(x, weight, transposeB: true)
        guard let bias else { return y }
        return y + bias
    }
}
