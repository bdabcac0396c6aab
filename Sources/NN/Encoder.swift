import Engine

/// MODELS.md's encoder `enc-s`: image → anchor in R^D, through one of two heads: the sum of three
/// resolution-specific heads on the flattened maps (generation, case studies 1 and 3), or the
/// contrastive head on the pooled features that the linear probe reads (case study 2 and SimCLR).
/// Parameter names match the PyTorch twin `EncS` (`b0.c1.weight`, `heads.1.3.weight`, `head.0.weight`, …).
public final class Encoder: Module {
    public enum Head: String, Sendable {
        /// head_0(h0) + head_1(h1) + head_2(h2) on the flattened maps.
        case flattened
        /// `ContrastiveHead` on concat(GAP(h0), GAP(h1), GAP(h2)).
        case pooled
    }

    public let preset: NetworkPreset
    public let imageChannels: Int
    public let imageSize: Int
    public let latentDim: Int
    public let cin: Conv2d
    public let b0: ResBlock
    public let down0: Conv2d
    public let b1: ResBlock
    public let down1: Conv2d
    public let b2: ResBlock
    /// The flattened heads (empty with the pooled head).
    public let heads: [EncoderHead]
    /// The pooled contrastive head (nil with the flattened heads).
    public let contrastiveHead: ContrastiveHead?

    public init(preset: NetworkPreset, imageChannels: Int, imageSize: Int, latentDim: Int,
                head: Head = .flattened, dropout: Float = 0, rng: inout Philox) {
        precondition(imageChannels > 0 && imageSize > 0 && latentDim > 0,
                     "Encoder: channels \(imageChannels), size \(imageSize), latentDim \(latentDim)")
        self.preset = preset
        self.imageChannels = imageChannels
        self.imageSize = imageSize
        self.latentDim = latentDim
        let (c0, c1, c2) = preset.encoderChannels
        cin = Conv2d(imageChannels, c0, 3, padding: 1, rng: &rng)
        b0 = ResBlock(c0, c0, dropout: dropout, rng: &rng)
        down0 = Conv2d(c0, c0, 3, stride: 2, padding: 1, rng: &rng)
        b1 = ResBlock(c0, c1, dropout: dropout, rng: &rng)
        down1 = Conv2d(c1, c1, 3, stride: 2, padding: 1, rng: &rng)
        b2 = ResBlock(c1, c2, dropout: dropout, rng: &rng)
        // A stride-2, padding-1, 3×3 convolution maps size s to ⌈s/2⌉.
        let sizes = [imageSize, (imageSize + 1) / 2, (imageSize + 3) / 4]
        var heads: [EncoderHead] = []
        if head == .flattened {
            for (channels, size) in zip([c0, c1, c2], sizes) {
                heads.append(EncoderHead(channels: channels, size: size, latentDim: latentDim, rng: &rng))
            }
            contrastiveHead = nil
        } else {
            contrastiveHead = ContrastiveHead(inFeatures: c0 + c1 + c2, outFeatures: latentDim, rng: &rng)
        }
        self.heads = heads
    }

    public override func visit(_ visitor: inout ModuleVisitor) {
        visitor.child("cin", cin)
        visitor.child("b0", b0)
        visitor.child("down0", down0)
        visitor.child("b1", b1)
        visitor.child("down1", down1)
        visitor.child("b2", b2)
        for (i, head) in heads.enumerated() { visitor.child("heads.\(i)", head) }
        if let contrastiveHead { visitor.child("head", contrastiveHead) }
    }

    /// Whether a forward pass draws random numbers (training mode with dropout).
    public var usesDropout: Bool { b0.usesDropout || b1.usesDropout || b2.usesDropout }

    /// Anchors [B, D] without dropout randomness (eval mode or dropout 0).
    public func callAsFunction(_ x: Tensor) -> Tensor {
        var rng = noDropoutGenerator()
        return self(x, rng: &rng)
    }

    /// Anchors [B, D] through the head; dropout (training mode) draws from `rng`.
    public func callAsFunction(_ x: Tensor, rng: inout Philox) -> Tensor {
        anchors(trunk(x, rng: &rng))
    }

    /// The linear-probe representation without the heads: concatenated global-average-pooled
    /// h0, h1, h2, shape [B, c0 + c1 + c2].
    public func features(_ x: Tensor) -> Tensor {
        var rng = noDropoutGenerator()
        return pooledFeatures(trunk(x, rng: &rng))
    }

    /// Anchors and probe features of one forward pass through the trunk (eval mode).
    public func anchorsAndFeatures(_ x: Tensor) -> (anchors: Tensor, features: Tensor) {
        var rng = noDropoutGenerator()
        let levels = trunk(x, rng: &rng)
        return (anchors(levels), pooledFeatures(levels))
    }

    private func trunk(_ x: Tensor, rng: inout Philox) -> [Tensor] {
        precondition(x.rank == 4 && Array(x.shape.dropFirst()) == [imageChannels, imageSize, imageSize],
                     "Encoder: input shape \(x.shape), expected [B, \(imageChannels), \(imageSize), \(imageSize)]")
        let h0 = b0(cin(x), cond: nil, rng: &rng)
        let h1 = b1(down0(h0), cond: nil, rng: &rng)
        let h2 = b2(down1(h1), cond: nil, rng: &rng)
        return [h0, h1, h2]
    }

    private func anchors(_ levels: [Tensor]) -> Tensor {
        if let contrastiveHead { return contrastiveHead(pooledFeatures(levels)) }
        return heads[0](levels[0]) + heads[1](levels[1]) + heads[2](levels[2])
    }

    private func pooledFeatures(_ levels: [Tensor]) -> Tensor {
        concat(levels.map(globalAvgPool), axis: 1)
    }

    private func noDropoutGenerator() -> Philox {
        precondition(!usesDropout, "Encoder: training with dropout needs an rng; call with rng:")
        return Philox(seed: 0)
    }
}

/// One head of `enc-s`: Linear(128→D)(SiLU(Linear(4·h·w→128)(flatten(SiLU(Conv1x1(c→4)(h)))))).
/// Children are named "0", "3", "5" like the PyTorch twin's `nn.Sequential` positions.
public final class EncoderHead: Module {
    public let conv: Conv2d
    public let hidden: Linear
    public let out: Linear

    public init(channels: Int, size: Int, latentDim: Int, rng: inout Philox) {
        let headChannels = NetworkPreset.headChannels
        conv = Conv2d(channels, headChannels, 1, padding: 0, rng: &rng)
        hidden = Linear(headChannels * size * size, NetworkPreset.hiddenUnits, rng: &rng)
        out = Linear(NetworkPreset.hiddenUnits, latentDim, rng: &rng)
    }

    public override func visit(_ visitor: inout ModuleVisitor) {
        visitor.child("0", conv)
        visitor.child("3", hidden)
        visitor.child("5", out)
    }

    public func callAsFunction(_ h: Tensor) -> Tensor {
        let flat = silu(conv(h)).reshaped([h.shape[0], -1])
        return out(silu(hidden(flat)))
    }
}
