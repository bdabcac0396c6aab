import Datasets
import Engine
import NN

/// The supervised baseline: pooled encoder features → linear classifier, cross-entropy. Trained on
/// the real training set it is also the feature network of the FID stage.
struct SupervisedObjective: TrainingObjective {
    let networks: Networks
    let dataset: Dataset

    func loss(indices: [Int], randomness: IterationRandomness, diagnostics: Bool) throws -> ObjectiveOutput {
        var flips = randomness.flips
        let x = dataset.batch(indices, randomFlip: &flips)
        let labels = indices.map { dataset.labels![$0] }
        let logits = networks.classifier!(networks.encoder!.features(x))
        let loss = crossEntropy(logits: logits, labels: labels)
        return ObjectiveOutput(loss: loss, terms: [
            "loss": Double(loss.scalar), "ce_loss": Double(loss.scalar), "train_accuracy": argmaxAccuracy(logits, labels: labels),
        ])
    }
}
