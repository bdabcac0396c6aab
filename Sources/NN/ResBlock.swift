import Engine

/// MODELS.md's ResBlock(cin → cout, cond):
/// h = c1(SiLU(n1(x))); h += cond(SiLU(c))[:, :, None, None]; h = c2(dropout(SiLU(n2(h))));
/// out = (skip(x) + h) / √2, with a 1×1 skip convolution only when cin ≠ cout.
public final class ResBlock: Module {
    public let inChannels: Int
    public let outChannels: Int
    public let dropoutProbability: Float
    public let n1: GroupNorm
    public let c1: Conv2d
    public let n2: GroupNorm
    public let c2: Conv2d
    public let cond: Linear?
    public let skip: Conv2d?

    public init(_ cin: Int, _ cout: Int, condDim: Int? = nil, dropout: Float = 0, rng: inout Philox) {
        precondition(dropout >= 0 && dropout < 1, "ResBlock: dropout \(dropout) outside [0, 1)")
        inChannels = cin
        outChannels = cout
        dropoutProbability = dropout
        n1 = GroupNorm(channels: cin)
        c1 = Conv2d(cin, cout, 3, padding: 1, rng: &rng)
        n2 = GroupNorm(channels: cout)
        c2 = Conv2d(cout, cout, 3, padding: 1, rng: &rng)
        cond = condDim.map { Linear($0, cout, rng: &rng) }
        skip = cin == cout ? nil : Conv2d(cin, cout, 1, padding: 0, rng: &rng)
    }

    public override func visit(_ visitor: inout ModuleVisitor) {
        visitor.child("n1", n1)
        visitor.child("c1", c1)
        visitor.child("n2", n2)
        visitor.child("c2", c2)
        visitor.child("cond", cond)
        visitor.child("skip", skip)
    }

    /// Whether a forward pass draws random numbers (training mode with dropout).
    public var usesDropout: Bool { training && dropoutProbability > 0 }

    /// Forward pass without dropout randomness: eval mode, or a block built with dropout 0.
    public func callAsFunction(_ x: Tensor, cond c: Tensor? = nil) -> Tensor {
        precondition(!usesDropout, "ResBlock: training with dropout needs an rng; call with rng:")
        var unused = Philox(seed: 0)
        return self(x, cond: c, rng: &unused)
    }

    public func callAsFunction(_ x: Tensor, cond c: Tensor?, rng: inout Philox) -> Tensor {
        precondition((cond == nil) == (c == nil), "ResBlock: conditioning input given \(c != nil), expected \(cond != nil)")
        var h = c1(n1.withSiLU(x))
        if let cond, let c {
            h = h + cond(silu(c)).reshaped([h.shape[0], outChannels, 1, 1])
        }
        h = n2.withSiLU(h)
        if usesDropout { h = dropout(h, p: dropoutProbability, rng: &rng, training: true) }
        h = c2(h)
        let shortcut = skip.map { $0(x) } ?? x
        return scaledSum(shortcut, h, scale: 1 / Float(2).squareRoot())
    }
}
