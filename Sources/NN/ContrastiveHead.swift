import Engine

/// The paper's contrastive head on pooled encoder features (MODELS.md, case study 2), two layers:
/// GN(g)(Linear(f→f, no bias)) → ReLU → GN(g)(Linear(f→out, no bias)). The last GroupNorm fixes
/// the outputs' scale (‖a‖² ≈ out at initialisation). Used as the anchor head of the contrastive
/// encoder and, with the same shape, as SimCLR's projection head.
public final class ContrastiveHead: Module {
    public let hidden: Linear
    public let hiddenNorm: GroupNorm
    public let out: Linear
    public let outNorm: GroupNorm

    public init(inFeatures: Int, outFeatures: Int, rng: inout Philox) {
        hidden = Linear(inFeatures, inFeatures, bias: false, rng: &rng)
        hiddenNorm = GroupNorm(Self.groups(inFeatures), inFeatures)
        out = Linear(inFeatures, outFeatures, bias: false, rng: &rng)
        outNorm = GroupNorm(Self.groups(outFeatures), outFeatures)
    }

    /// At most 8 groups (MODELS.md) of at least 8 channels each, as the paper's output layer (256 in 32
    /// groups): a group of 2 normalises to ±1 whatever its inputs, which leaves it almost no gradient.
    static func groups(_ width: Int) -> Int { (1...8).last { width % $0 == 0 && width / $0 >= 8 } ?? 1 }

    public override func visit(_ visitor: inout ModuleVisitor) {
        visitor.child("0", hidden)
        visitor.child("1", hiddenNorm)
        visitor.child("3", out)
        visitor.child("4", outNorm)
    }

    /// [B, f] → [B, out].
    public func callAsFunction(_ x: Tensor) -> Tensor {
        let h = relu(normalized(hidden(x), hiddenNorm))
        return normalized(out(h), outNorm)
    }

    /// GroupNorm of rows [B, c], as [B, c, 1, 1] planes.
    private func normalized(_ x: Tensor, _ norm: GroupNorm) -> Tensor {
        norm(x.reshaped([x.shape[0], x.shape[1], 1, 1])).reshaped([x.shape[0], x.shape[1]])
    }
}
