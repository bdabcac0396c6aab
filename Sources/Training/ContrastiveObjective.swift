import Models
import Datasets
import Engine
import LZN
import NN

/// The contrastive trainer (LZN-ALGORITHM §3.3, case study 2): two augmented views; the forward
/// Euler latent flow of view 0's anchors (prior scale 0.45), the reverse Euler flow toward view 1's
/// anchors, and the assignment loss −mean log max_{k ≥ cut-off} π_k[b, b]. With `symmetric` the
/// loss is the mean of that and the same with the views' roles swapped (not the paper's: SimCLR's
/// loss uses both views as queries, the paper's assignment loss only view 0).
struct ContrastiveObjective: TrainingObjective {
    let config: TrainingConfig
    let networks: Networks
    let dataset: Dataset
    let augmentation: TwoViewAugmentation

    func loss(indices: [Int], randomness: IterationRandomness, diagnostics: Bool, shard: BatchShard) throws -> ObjectiveOutput {
        let batch = indices.count, local = shard.rows.count
        var augmentationRNG = randomness.augmentation
        let (view0, view1) = augmentation.views(of: dataset, indices, rows: shard.rows, rng: &augmentationRNG)
        // Both views through the encoder in one pass (GroupNorm is per sample, so nothing mixes);
        // the flows then run on the whole batch's anchors, gathered from every rank.
        let anchors = networks.encoder!(concat([view0, view1], axis: 0))
        let anchors0 = shard.gather(anchors.sliced(axis: 0, range: 0..<local))
        let anchors1 = shard.gather(anchors.sliced(axis: 0, range: local..<(2 * local)))
        var priorRNG = randomness.prior
        var directions = [try assignment(from: anchors0, to: anchors1, batch: batch, rng: &priorRNG)]
        if config.symmetric {
            directions.append(try assignment(from: anchors1, to: anchors0, batch: batch, rng: &priorRNG))
        }
        let share = 1 / Double(directions.count)
        let loss = directions.dropFirst().reduce(directions[0].loss) { $0 + $1.loss } * Float(share)
        let value = Double(loss.scalar)
        func mean(_ term: (AssignmentDiagnostics) -> Float) -> Double {
            directions.reduce(0.0) { $0 + Double(term($1.diagnostics)) } * share
        }
        let terms: [String: Double] = ["loss": value, "assignment_loss": value, "prob_loss": mean(\.probabilityLoss),
                                       "assignment_acc": mean(\.assignmentAccuracy), "ode_error": mean(\.odeError)]
        return ObjectiveOutput(loss: shard.replicated(loss), terms: terms)
    }

    /// One direction of the loss: the forward flow of `source`'s anchors (fresh prior draws from
    /// `rng`), then the reverse flow toward `target`, whose row b is the same image's other view.
    private func assignment(from source: Tensor, to target: Tensor, batch: Int,
                            rng: inout Philox) throws -> (loss: Tensor, diagnostics: AssignmentDiagnostics) {
        let prior = Tensor.normal([batch, config.latentDim], rng: &rng)
        let latents = try lznLatents(anchors: source, prior: prior, solver: .euler, steps: config.latentSteps,
                                     priorScale: config.priorScale)
        return try assignmentLoss(latents: latents, targetAnchors: target, steps: config.latentSteps, cutoff: config.cutoff)
    }
}
