// What the evaluation stages ask of a trained model (Training.TrainedModel): the parts they need,
// with errors naming what is missing.
import Store
import Models

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
