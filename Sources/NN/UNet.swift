import Engine

/// MODELS.md's decoder `unet-s`: the rectified-flow velocity network, conditioned only through an MLP
/// on concat(latent, one-hot label, emb(τ)) that every ResBlock adds per channel.
///
/// `latentDim` 0 is the unconditional rectified-flow baseline; `numClasses` 0 means no label input.
/// Parameter names match the PyTorch twin `UNetS` (`cond.0`, `d0.c1.weight`, …). With more than one
/// ResBlock per level (preset `m`), the extra blocks of level l are `d{l}_1`, … and `u{l}_1`, ….
public final class UNet: Module {
    public let preset: NetworkPreset
    public let imageChannels: Int
    public let imageSize: Int
    public let latentDim: Int
    public let numClasses: Int
    public let condIn: Linear
    public let condOut: Linear
    public let cin: Conv2d
    /// Down path: ResBlocks of levels 0, 1, 2; the first block of a level changes the channels.
    public let down: [[ResBlock]]
    public let down0: Conv2d
    public let down1: Conv2d
    public let m1: ResBlock
    public let att: Attn
    public let m2: ResBlock
    /// Up path: ResBlocks of levels 0, 1, 2; the first block of a level takes the skip concatenation.
    public let up: [[ResBlock]]
    public let up2: Conv2d
    public let up1: Conv2d
    public let nout: GroupNorm
    public let cout: Conv2d

    public init(preset: NetworkPreset, imageChannels: Int, imageSize: Int, latentDim: Int, numClasses: Int,
                dropout: Float = 0, rng: inout Philox) {
        precondition(imageChannels > 0 && imageSize > 0 && imageSize % 4 == 0,
                     "UNet: image size \(imageSize) must be a positive multiple of 4")
        precondition(latentDim >= 0 && numClasses >= 0, "UNet: latentDim \(latentDim), numClasses \(numClasses)")
        self.preset = preset
        self.imageChannels = imageChannels
        self.imageSize = imageSize
        self.latentDim = latentDim
        self.numClasses = numClasses
        let (c0, c1, c2) = preset.channels
        let hidden = NetworkPreset.hiddenUnits
        let blocks = preset.decoderBlocksPerLevel
        func level(_ cin: Int, _ cout: Int, _ rng: inout Philox) -> [ResBlock] {
            (0..<blocks).map { ResBlock($0 == 0 ? cin : cout, cout, condDim: hidden, dropout: dropout, rng: &rng) }
        }
        condIn = Linear(latentDim + numClasses + NetworkPreset.timeEmbeddingDim, hidden, rng: &rng)
        condOut = Linear(hidden, hidden, rng: &rng)
        cin = Conv2d(imageChannels, c0, 3, padding: 1, rng: &rng)
        let d0 = level(c0, c0, &rng)
        down0 = Conv2d(c0, c0, 3, stride: 2, padding: 1, rng: &rng)
        let d1 = level(c0, c1, &rng)
        down1 = Conv2d(c1, c1, 3, stride: 2, padding: 1, rng: &rng)
        let d2 = level(c1, c2, &rng)
        down = [d0, d1, d2]
        m1 = ResBlock(c2, c2, condDim: hidden, dropout: dropout, rng: &rng)
        att = Attn(c2, rng: &rng)
        m2 = ResBlock(c2, c2, condDim: hidden, dropout: dropout, rng: &rng)
        let u2 = level(2 * c2, c2, &rng)
        up2 = Conv2d(c2, c2, 3, padding: 1, rng: &rng)
        let u1 = level(c2 + c1, c1, &rng)
        up1 = Conv2d(c1, c1, 3, padding: 1, rng: &rng)
        let u0 = level(c1 + c0, c0, &rng)
        up = [u0, u1, u2]
        nout = GroupNorm(channels: c0)
        cout = Conv2d(c0, imageChannels, 3, padding: 1, rng: &rng)
        cout.weight.overwrite(with: Tensor.zeros(cout.weight.shape))
        cout.bias.overwrite(with: Tensor.zeros(cout.bias.shape))
    }

    public override func visit(_ visitor: inout ModuleVisitor) {
        func level(_ prefix: String, _ blocks: [ResBlock]) {
            for (i, block) in blocks.enumerated() { visitor.child(i == 0 ? prefix : "\(prefix)_\(i)", block) }
        }
        visitor.child("cond.0", condIn)
        visitor.child("cond.2", condOut)
        visitor.child("cin", cin)
        level("d0", down[0])
        visitor.child("down0", down0)
        level("d1", down[1])
        visitor.child("down1", down1)
        level("d2", down[2])
        visitor.child("m1", m1)
        visitor.child("att", att)
        visitor.child("m2", m2)
        level("u2", up[2])
        visitor.child("up2", up2)
        level("u1", up[1])
        visitor.child("up1", up1)
        level("u0", up[0])
        visitor.child("nout", nout)
        visitor.child("cout", cout)
    }

    /// Whether a forward pass draws random numbers (training mode with dropout).
    public var usesDropout: Bool { modules().contains { ($0 as? ResBlock)?.usesDropout ?? false } }

    /// Velocity prediction (≈ x1 − x0) without dropout randomness (eval mode or dropout 0).
    public func callAsFunction(xt: Tensor, tau: Tensor, latent: Tensor?, labelsOneHot: Tensor?) -> Tensor {
        precondition(!usesDropout, "UNet: training with dropout needs an rng; call with rng:")
        var unused = Philox(seed: 0)
        return self(xt: xt, tau: tau, latent: latent, labelsOneHot: labelsOneHot, rng: &unused)
    }

    /// Velocity prediction; dropout (training mode) draws from `rng`.
    /// xt [B, C, H, W], tau [B], latent [B, D] (nil iff D = 0), labelsOneHot [B, K] (nil iff K = 0).
    public func callAsFunction(xt: Tensor, tau: Tensor, latent: Tensor?, labelsOneHot: Tensor?,
                               rng: inout Philox) -> Tensor {
        let batch = xt.shape[0]
        precondition(xt.shape == [batch, imageChannels, imageSize, imageSize],
                     "UNet: xt shape \(xt.shape), expected [B, \(imageChannels), \(imageSize), \(imageSize)]")
        precondition(tau.shape == [batch], "UNet: tau shape \(tau.shape), expected [\(batch)]")
        let c = condition(tau: tau, latent: latent, labelsOneHot: labelsOneHot, batch: batch)
        func level(_ blocks: [ResBlock], _ x: Tensor) -> Tensor {
            blocks.reduce(x) { h, block in block(h, cond: c, rng: &rng) }
        }
        let s0 = level(down[0], cin(xt))
        let s1 = level(down[1], down0(s0))
        let s2 = level(down[2], down1(s1))
        let m = m2(att(m1(s2, cond: c, rng: &rng)), cond: c, rng: &rng)
        var h = level(up[2], concat([m, s2], axis: 1))
        h = up2(upsampleNearest2x(h))
        h = level(up[1], concat([h, s1], axis: 1))
        h = up1(upsampleNearest2x(h))
        h = level(up[0], concat([h, s0], axis: 1))
        return cout(nout.withSiLU(h))
    }

    /// cond.2(SiLU(cond.0(concat(latent, onehot, emb(τ))))).
    private func condition(tau: Tensor, latent: Tensor?, labelsOneHot: Tensor?, batch: Int) -> Tensor {
        var parts: [Tensor] = []
        if latentDim > 0 {
            guard let latent else { preconditionFailure("UNet: latent [B, \(latentDim)] required") }
            precondition(latent.shape == [batch, latentDim], "UNet: latent shape \(latent.shape), expected [\(batch), \(latentDim)]")
            parts.append(latent)
        } else {
            precondition(latent == nil, "UNet: built unconditional (latentDim 0) but given a latent")
        }
        if numClasses > 0 {
            guard let labelsOneHot else { preconditionFailure("UNet: labelsOneHot [B, \(numClasses)] required") }
            precondition(labelsOneHot.shape == [batch, numClasses],
                         "UNet: labelsOneHot shape \(labelsOneHot.shape), expected [\(batch), \(numClasses)]")
            parts.append(labelsOneHot)
        } else {
            precondition(labelsOneHot == nil, "UNet: built without classes but given labels")
        }
        parts.append(timestepEmbedding(tau, dim: NetworkPreset.timeEmbeddingDim))
        return condOut(silu(condIn(parts.count == 1 ? parts[0] : concat(parts, axis: 1))))
    }
}
