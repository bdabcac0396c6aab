// What the evaluation stages ask of a trained model (Training.TrainedModel): the parts they need,
// with errors naming what is missing, and the tag its metrics carry.
import Store
import Training

extension TrainingConfig {
    /// The tag of this model's evaluation metrics (see EvaluationMetrics) unless a stage overrides it.
    public var evaluationTag: String {
        switch mode {
        case .generation: return conditional ? "lzn-conditional" : (latent == .lzn ? "rf-lzn" : "rf")
        case .contrastive: return "lzn"
        case .supervised, .simclr: return mode.rawValue
        }
    }
}

extension TrainedModel {
    /// `part` when the model has it, else an error naming the model and the missing part.
    func require<T>(_ part: T?, _ name: String, for purpose: String) throws -> T {
        guard let part else {
            throw EvaluationError.missingModelPart(purpose: purpose, mode: config.mode.rawValue, tag: config.evaluationTag, part: name)
        }
        return part
    }

    static func load(from store: Store, artifact: Artifact, weights: String) throws -> TrainedModel {
        try load(store: store, artifact: artifact, weights: Weights(rawValue: weights)!)
    }
}
