import Models
import Datasets
import Engine
import NN

/// The SimCLR baseline: the same two-view augmentation and the same encoder as the contrastive
/// trainer (pooled features → contrastive head, here the projection) → NT-Xent with a temperature.
struct SimCLRObjective: TrainingObjective {
    let config: TrainingConfig
    let networks: Networks
    let dataset: Dataset
    let augmentation: TwoViewAugmentation

    func loss(indices: [Int], randomness: IterationRandomness, diagnostics: Bool, shard: BatchShard) throws -> ObjectiveOutput {
        let local = shard.rows.count
        var augmentationRNG = randomness.augmentation
        let (view0, view1) = augmentation.views(of: dataset, indices, rows: shard.rows, rng: &augmentationRNG)
        var projections = networks.encoder!(concat([view0, view1], axis: 0))
        if !shard.isWhole {
            // Every rank's projections are the negatives: [view 0 of the batch; view 1 of the batch].
            projections = concat([shard.gather(projections.sliced(axis: 0, range: 0..<local)),
                                  shard.gather(projections.sliced(axis: 0, range: local..<(2 * local)))], axis: 0)
        }
        let (loss, accuracy) = ntXentLoss(projections, temperature: Float(config.temperature))
        return ObjectiveOutput(loss: shard.replicated(loss), terms: [
            "loss": Double(loss.scalar), "nt_xent_loss": Double(loss.scalar), "positive_accuracy": accuracy,
        ])
    }
}

/// NT-Xent (SimCLR) over 2B projections where rows b and b + B are the two views of one image:
/// cosine similarities / temperature, each row's own similarity excluded, cross-entropy toward the
/// other view. Also returns how often the other view is the most similar row.
func ntXentLoss(_ projections: Tensor, temperature: Float) -> (loss: Tensor, positiveAccuracy: Double) {
    let rows = projections.shape[0], half = rows / 2
    precondition(rows == 2 * half && half >= 1, "ntXentLoss: needs 2B rows, got \(projections.shape)")
    let norms = sqrt(square(projections).sum(axes: [1], keepDims: true) + 1e-12)
    let unit = projections / norms
    let similarities = matmul(unit, unit, transposeB: true) / temperature
    // A large negative constant on the diagonal removes each row's similarity with itself.
    var mask = [Float](repeating: 0, count: rows * rows)
    for i in 0..<rows { mask[i * rows + i] = -1e4 }
    let logits = similarities + Tensor(shape: [rows, rows], values: mask)
    let targets = (0..<rows).map { $0 < half ? $0 + half : $0 - half }
    return (crossEntropy(logits: logits, labels: targets), argmaxAccuracy(logits, labels: targets))
}
