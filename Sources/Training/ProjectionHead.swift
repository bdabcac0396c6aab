import Engine
import NN

/// SimCLR's 2-layer projection head on the pooled encoder features: Linear → ReLU → Linear.
public final class ProjectionHead: Module {
    public let hidden: Linear
    public let out: Linear

    public init(inFeatures: Int, hiddenUnits: Int = NetworkPreset.hiddenUnits, outFeatures: Int, rng: inout Philox) {
        hidden = Linear(inFeatures, hiddenUnits, rng: &rng)
        out = Linear(hiddenUnits, outFeatures, rng: &rng)
    }

    public override func visit(_ visitor: inout ModuleVisitor) {
        visitor.child("0", hidden)
        visitor.child("2", out)
    }

    public func callAsFunction(_ x: Tensor) -> Tensor {
        out(relu(hidden(x)))
    }
}
