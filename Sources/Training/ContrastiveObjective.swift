import Models
import Datasets
import Engine
import LZN
import NN

/// The contrastive trainer (LZN-ALGORITHM §3.3, case study 2): two augmented views; the forward
/// Euler latent flow of view 0's anchors (prior scale 0.45), the reverse Euler flow toward view 1's
/// anchors, and the assignment loss −mean log max_{k ≥ cut-off} π_k[b, b].
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
        let prior = Tensor.normal([batch, config.latentDim], rng: &priorRNG)
        let latents = try lznLatents(anchors: anchors0, prior: prior, solver: .euler, steps: config.latentSteps,
                                     priorScale: config.priorScale)
        let (loss, diagnosticsValues) = try assignmentLoss(latents: latents, targetAnchors: anchors1,
                                                           steps: config.latentSteps, cutoff: config.cutoff)
        let value = Double(loss.scalar)
        var terms: [String: Double] = ["loss": value, "assignment_loss": value]
        terms["prob_loss"] = Double(diagnosticsValues.probabilityLoss)
        terms["assignment_acc"] = Double(diagnosticsValues.assignmentAccuracy)
        terms["ode_error"] = Double(diagnosticsValues.odeError)
        return ObjectiveOutput(loss: shard.replicated(loss), terms: terms)
    }
}
