import Models
import Datasets
import Engine
import NN

/// The supervised baseline: pooled encoder features → linear classifier, cross-entropy. Trained on
/// the real training set it is also the feature network of the FID stage.
struct SupervisedObjective: TrainingObjective {
    let networks: Networks
    let dataset: Dataset

    func loss(indices: [Int], randomness: IterationRandomness, diagnostics: Bool, shard: BatchShard) throws -> ObjectiveOutput {
        var flips = randomness.flips
        let x = dataset.batch(indices, rows: shard.rows, randomFlip: &flips)
        let labels = indices[shard.rows].map { dataset.labels![$0] }
        let logits = networks.classifier!(networks.encoder!.features(x))
        let loss = shard.shareOfMean(crossEntropy(logits: logits, labels: labels))
        let share = Double(shard.rows.count) / Double(indices.count)
        let sums = shard.sum([Double(loss.scalar), argmaxAccuracy(logits, labels: labels) * share])
        return ObjectiveOutput(loss: loss, terms: ["loss": sums[0], "ce_loss": sums[0], "train_accuracy": sums[1]])
    }
}
