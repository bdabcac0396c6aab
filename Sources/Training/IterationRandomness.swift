import Engine

/// The generators of one training iteration, each a pure function of (seed, iteration), so a run
/// resumed from a checkpoint draws exactly what an uninterrupted run draws.
public struct IterationRandomness {
    public let root: Philox

    public init(seed: UInt64, iteration: Int) {
        root = Philox(seed: seed, stream: 0x7121).split(UInt64(iteration))
    }

    /// Horizontal flips of the training batch.
    public var flips: Philox { root.split(1) }
    /// Prior draws z of the latent flow.
    public var prior: Philox { root.split(2) }
    /// Image-flow times τ.
    public var times: Philox { root.split(3) }
    /// Image-flow noise x0.
    public var noise: Philox { root.split(4) }
    /// Dropout masks.
    public var dropout: Philox { root.split(5) }
    /// The two-view augmentation.
    public var augmentation: Philox { root.split(6) }
}
