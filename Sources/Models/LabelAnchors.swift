import Engine
import NN

/// The learned label anchors of case study 3 (LZN-ALGORITHM §4.4): a K×D matrix, initialised N(0, 1).
public final class LabelAnchors: Module {
    public let weight: Tensor

    public init(classCount: Int, latentDim: Int, rng: inout Philox) {
        weight = Tensor.normal([classCount, latentDim], rng: &rng)
        weight.requiresGrad = true
    }

    public override func visit(_ visitor: inout ModuleVisitor) {
        visitor.parameter("weight", weight)
    }
}
