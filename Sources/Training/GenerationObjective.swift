import Models
import Datasets
import Engine
import LZN
import NN

/// The generation trainer (LZN-ALGORITHM §3.2): encoder → LZN latent (DPM-Solver++ order 3, anchor
/// set = the batch) → rectified-flow decoder loss; with `latent = none` the decoder gets no latent
/// (the plain rectified-flow baseline); with `conditional` (case study 3) the decoder also gets the
/// one-hot label and the label loss of the class-weighted reverse Euler flow toward the learned label
/// anchors is added.
struct GenerationObjective: TrainingObjective {
    let config: TrainingConfig
    let networks: Networks
    let dataset: Dataset

    func loss(indices: [Int], randomness: IterationRandomness, diagnostics: Bool, shard: BatchShard) throws -> ObjectiveOutput {
        let decoder = networks.decoder!
        let batch = indices.count, rows = shard.rows
        var flips = randomness.flips
        let x1 = dataset.batch(indices, rows: rows, randomFlip: &flips)
        var terms: [String: Double] = [:]

        // The latents of the whole batch (every rank runs the flow on the gathered anchors) and this rank's rows.
        var latents: Tensor?, latent: Tensor?
        if config.latent == .lzn {
            let anchors = shard.gather(networks.encoder!(x1))
            var priorRNG = randomness.prior
            let prior = Tensor.normal([batch, config.latentDim], rng: &priorRNG)
            latents = try lznLatents(anchors: anchors, prior: prior, solver: .dpmSolver(order: 3), steps: config.latentSteps)
            latent = latents.map(shard.localRows)
        }

        // Image flow (τ = 0 noise, τ = 1 image): τ ~ U[1e-3, 1), x_τ = τ·x1 + (1 − τ)·x0.
        var timeRNG = randomness.times, noiseRNG = randomness.noise, dropoutRNG = randomness.dropout
        let tau = shard.localRows(Tensor.uniform([batch], low: 1e-3, high: 1, rng: &timeRNG))
        let x0 = Tensor.normal(x1.shape, rng: &noiseRNG, rows: rows, of: batch)
        let tauImage = tau.reshaped([rows.count, 1, 1, 1])
        let xt = tauImage * x1 + (1 - tauImage) * x0
        let labels = config.conditional ? indices.map { dataset.labels![$0] } : []
        let oneHot = config.conditional ? dataset.oneHotLabels(Array(indices[rows]), classCount: config.classCount) : nil
        let velocity = withBatchRows(rows, of: batch) {
            decoder(xt: xt, tau: tau, latent: latent, labelsOneHot: oneHot, rng: &dropoutRNG)
        }
        let reconstruction = shard.shareOfMean(mseLoss(velocity, x1 - x0))
        var total = reconstruction

        if config.conditional, let latents {
            // The label flow and its class weights follow the whole batch.
            let anchors = networks.labelAnchors!.weight
            let weights: [Float]? = config.classWeights ? try classWeights(labels: labels, classCount: config.classCount) : nil
            let label = try labelLoss(latents: latents, labelAnchors: anchors, labels: labels, weights: weights,
                                      steps: config.labelSteps, cutoff: config.cutoff, form: config.labelLoss)
            terms["label_loss"] = Double(label.scalar)
            total = total + shard.replicated(label * Float(config.labelLossWeight))
            if diagnostics {
                let predicted = try classifyLatents(
                    latents: FlowMatrix(rows: batch, columns: config.latentDim, values: latents.values),
                    labelAnchors: FlowMatrix(rows: config.classCount, columns: config.latentDim, values: anchors.values),
                    weights: weights, steps: config.labelSteps)
                terms["label_accuracy"] = Double(zip(predicted, labels).filter { $0 == $1 }.count) / Double(batch)
            }
        }
        let sums = shard.sum([Double(reconstruction.scalar), Double(total.scalar)])
        terms["recon_loss"] = sums[0]
        terms["loss"] = sums[1]
        return ObjectiveOutput(loss: total, terms: terms)
    }
}
