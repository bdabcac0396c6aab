import Engine

/// GroupNorm with an affine per-channel scale (init 1) and shift (init 0).
public final class GroupNorm: Module {
    public let groups: Int
    public let channels: Int
    public let eps: Float
    public let weight: Tensor
    public let bias: Tensor

    public init(_ groups: Int, _ channels: Int, _ eps: Float = 1e-5) {
        precondition(groups > 0 && channels % groups == 0, "GroupNorm: \(channels) channels in \(groups) groups")
        self.groups = groups
        self.channels = channels
        self.eps = eps
        weight = parameter(Tensor(shape: [channels], repeating: 1))
        bias = parameter(Tensor(shape: [channels], repeating: 0))
    }

    /// MODELS.md's `GN(c)`: min(8, c/4) groups, eps 1e-5.
    public convenience init(channels: Int) {
        self.init(min(8, channels / 4), channels, 1e-5)
    }

    public override func visit(_ visitor: inout ModuleVisitor) {
        visitor.parameter("weight", weight)
        visitor.parameter("bias", bias)
    }

    public func callAsFunction(_ x: Tensor) -> Tensor {
        precondition(x.rank == 4 && x.shape[1] == channels, "GroupNorm(\(channels)): input shape \(x.shape)")
        return groupNorm(x, groups: groups, weight: weight, bias: bias, eps: eps)
    }

    /// SiLU(self(x)) in one fused pass (the pre-activation pair of every ResBlock).
    public func withSiLU(_ x: Tensor) -> Tensor {
        precondition(x.rank == 4 && x.shape[1] == channels, "GroupNorm(\(channels)): input shape \(x.shape)")
        return groupNormSiLU(x, groups: groups, weight: weight, bias: bias, eps: eps)
    }
}
