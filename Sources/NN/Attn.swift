import Engine

/// MODELS.md's Attn(c): single-head self-attention over the H·W positions,
/// out = (x + proj(attention(q, k, v))) / √2 with q, k, v = split(qkv(n(x))) along channels.
public final class Attn: Module {
    public let channels: Int
    public let n: GroupNorm
    public let qkv: Conv2d
    public let proj: Conv2d

    public init(_ channels: Int, rng: inout Philox) {
        self.channels = channels
        n = GroupNorm(channels: channels)
        qkv = Conv2d(channels, 3 * channels, 1, padding: 0, rng: &rng)
        proj = Conv2d(channels, channels, 1, padding: 0, rng: &rng)
    }

    public override func visit(_ visitor: inout ModuleVisitor) {
        visitor.child("n", n)
        visitor.child("qkv", qkv)
        visitor.child("proj", proj)
    }

    public func callAsFunction(_ x: Tensor) -> Tensor {
        precondition(x.rank == 4 && x.shape[1] == channels, "Attn(\(channels)): input shape \(x.shape)")
        let (b, c, height, width) = (x.shape[0], channels, x.shape[2], x.shape[3])
        // [B, 3C, HW] → positions-major [B, HW, 3C], so q, k, v are [B, HW, C] slices for the kernel.
        let positionsMajor = qkv(n(x)).reshaped([b, 3 * c, height * width]).permuted([0, 2, 1])
        let q = positionsMajor.sliced(axis: 2, range: 0..<c)
        let k = positionsMajor.sliced(axis: 2, range: c..<(2 * c))
        let v = positionsMajor.sliced(axis: 2, range: (2 * c)..<(3 * c))
        let attended = scaledDotProductAttention(q: q, k: k, v: v)
        let channelsMajor = attended.permuted([0, 2, 1]).reshaped([b, c, height, width])
        return scaledSum(x, proj(channelsMajor), scale: 1 / Float(2).squareRoot())
    }
}
